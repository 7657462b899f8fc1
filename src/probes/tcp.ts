/**
 * tcp: connect to a port, time it, optionally send a string and expect a reply (check_tcp).
 * Refused and timed-out are distinct outcomes with the words operators know.
 *
 * Written for many checks per CPU-second: one plain socket per check, no timer of its own (the
 * runner's abort signal is the timeout), nothing read unless a reply is expected.
 */
import net from 'node:net';
import tls from 'node:tls';
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, seconds } from '../core/schema.ts';
import { describeConnectError, excerpt, timeoutSeconds } from './tcp-errors.ts';
import { defineProbe } from './types.ts';

export const schema = z.strictObject({
  port: port().meta({ description: 'TCP port to connect to' }),
  send: z.string().optional().meta({ description: 'string to send after connecting' }),
  expect: z.string().optional().meta({ description: 'string the reply must contain' }),
  tls: z.boolean().default(false).meta({ description: 'connect with TLS' }),
  warning: seconds('response time above which the state is WARNING').optional(),
  critical: seconds('response time above which the state is CRITICAL').optional(),
});

type Options = z.output<typeof schema>;

/** At most this much of a reply is kept while looking for `expect`: memory stays bounded. */
export const MAX_REPLY_BYTES = 64 * 1024;

/**
 * After a reply that does not (yet) contain `expect`, wait this long for more before calling it
 * unexpected: check_tcp's READ_TIMEOUT, so a chatty server that never says the word is WARNING
 * like under the plugin, not a socket timeout.
 */
const READ_IDLE_MS = 2000;

/** Threshold range as check_tcp prints it in perfdata (`1.000000` = alert above 1 s). */
const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

function timePerf(seconds: number, o: Options, timeoutMs: number): PerfDatum[] {
  return [{ label: 'time', value: Number(seconds.toFixed(6)), unit: 's', warn: upTo(o.warning), crit: upTo(o.critical), min: 0, max: timeoutMs / 1000 }];
}

function timedResult(seconds: number, host: string, o: Options, timeoutMs: number, reply?: string): ProbeOutcome {
  const state =
    o.critical !== undefined && seconds > o.critical ? NagiosState.CRITICAL : o.warning !== undefined && seconds > o.warning ? NagiosState.WARNING : NagiosState.OK;
  const shown = reply === undefined ? '' : ` [${excerpt(reply)}]`;
  return outcome(state, `TCP ${stateName(state)} - ${seconds.toFixed(3)} second response time on ${host} port ${o.port}${shown}`, timePerf(seconds, o, timeoutMs));
}

function critical(text: string): ProbeOutcome {
  return outcome(NagiosState.CRITICAL, `TCP CRITICAL - ${text}`);
}

function probeTcp(host: string, o: Options, signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  if (signal.aborted) return Promise.resolve(critical(`Socket timeout after ${timeoutSeconds(timeoutMs)} seconds`));
  return new Promise<ProbeOutcome>((resolve) => {
    const t0 = performance.now();
    const expect = o.expect;
    let connected = false;
    let done = false;
    let reply: Buffer | undefined;
    let idle: NodeJS.Timeout | undefined;

    const socket: net.Socket = o.tls
      ? tls.connect({ host, port: o.port, rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) })
      : net.connect(o.port, host);

    const finish = (result: ProbeOutcome) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', onAbort);
      if (idle) clearTimeout(idle);
      socket.destroy();
      resolve(result);
    };
    const unexpected = () =>
      finish(outcome(NagiosState.WARNING, `TCP WARNING - Unexpected response from host/socket on port ${o.port}: ${excerpt(reply!.toString('utf8'))}`, timePerf((performance.now() - t0) / 1000, o, timeoutMs)));
    const onAbort = () => {
      // A reply came but never the expected words: that is what went wrong, not the clock.
      if (reply && reply.length > 0) unexpected();
      else finish(critical(`Socket timeout after ${timeoutSeconds(timeoutMs)} seconds`));
    };
    signal.addEventListener('abort', onAbort, { once: true });

    socket.on('error', (err) => {
      if (done) return;
      if (connected && reply && reply.length > 0) unexpected();
      else if (connected) finish(critical(`connection to ${host} port ${o.port} failed after connecting: ${describeConnectError(err, host, o.port)}`));
      else finish(critical(describeConnectError(err, host, o.port)));
    });

    socket.once(o.tls ? 'secureConnect' : 'connect', () => {
      connected = true;
      if (expect === undefined) {
        const result = timedResult((performance.now() - t0) / 1000, host, o, timeoutMs);
        if (o.send === undefined) return finish(result);
        // Like check_tcp without -e: send, then close once the bytes are handed to the kernel.
        done = true;
        signal.removeEventListener('abort', onAbort);
        socket.write(o.send, () => socket.destroy());
        return resolve(result);
      }
      if (o.send !== undefined) socket.write(o.send);
      socket.on('data', (chunk: Buffer) => {
        if (done) return;
        const room = MAX_REPLY_BYTES - (reply?.length ?? 0);
        const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
        reply = reply ? Buffer.concat([reply, part]) : part;
        if (reply.includes(expect)) return finish(timedResult((performance.now() - t0) / 1000, host, o, timeoutMs, reply.toString('utf8')));
        if (reply.length >= MAX_REPLY_BYTES) return unexpected();
        if (idle) idle.refresh();
        else idle = setTimeout(unexpected, READ_IDLE_MS);
      });
      socket.once('end', () => {
        if (done) return;
        if (reply && reply.length > 0) unexpected();
        else finish(critical('No data received from host'));
      });
    });
  });
}

export default defineProbe({
  type: 'tcp',
  summary: 'TCP connect time, optional send/expect and TLS (like check_tcp)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', send: 's', expect: 'e', tls: 'S' },
  run(target, options, ctx) {
    return probeTcp(target.address, options, ctx.signal, ctx.timeoutMs);
  },
});
