/**
 * ping: ICMP echo, packet loss and round-trip average against warn/crit pairs (check_ping).
 * Uses a raw socket when it may open one (root, or CAP_NET_RAW as mamoru.service gives its user),
 * so it works where no ping binary is installed; else the binary. The long output says which.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { duration } from '../core/schema.ts';
import { binaryEcho } from './ping-binary.ts';
import { rawEcho, type EchoOptions, type PingStats } from './ping-raw.ts';
import { defineProbe } from './types.ts';

/** check_ping's `RTA,LOSS%` pair, e.g. `100,20%`: RTA in ms, loss in percent. */
export const rtaLoss = (description: string) =>
  z
    .string()
    .regex(/^\d+(\.\d+)?,\d+(\.\d+)?%$/, 'expected "RTA,LOSS%" like "100,20%" (ms and percent)')
    .transform((v) => {
      const [rta, loss] = v.split(',');
      return { rtaMs: Number(rta), lossPct: Number(loss!.replace('%', '')) };
    })
    .meta({ description });

export const schema = z.strictObject({
  packets: z.number().int().min(1).max(100).default(5).meta({ description: 'echo requests to send' }),
  packet_interval: duration('time between echo requests').prefault('200ms'),
  warning: rtaLoss('WARNING when RTA (ms) or loss (%) reaches this').prefault('100,20%'),
  critical: rtaLoss('CRITICAL when RTA (ms) or loss (%) reaches this').prefault('500,60%'),
  method: z.enum(['auto', 'raw', 'binary']).default('auto').meta({ description: 'raw socket (root or CAP_NET_RAW), the ping/fping binary, or auto (the socket, else the binary when the socket is not permitted)' }),
});

export default defineProbe({
  type: 'ping',
  summary: 'ICMP echo: packet loss and round-trip average (like check_ping)',
  schema,
  shortFlags: { packets: 'P', warning: 'w', critical: 'c' },
  async run(target, opts, ctx) {
    const t0 = performance.now();
    const resolved = await resolve(target.address, ctx.signal);
    if ('error' in resolved) return outcome(NagiosState.UNKNOWN, `PING UNKNOWN - cannot resolve host "${target.address}" (${resolved.error})`);
    const echo: EchoOptions = {
      packets: opts.packets,
      intervalMs: opts.packet_interval,
      // Leave the runner time to hear our answer before its own timeout speaks.
      deadline: t0 + Math.max(ctx.timeoutMs - 250, ctx.timeoutMs * 0.8),
      signal: ctx.signal,
    };
    let measured: Awaited<ReturnType<typeof measure>>;
    try {
      measured = await measure(resolved.address, resolved.family, opts.method, echo);
    } catch (e) {
      return outcome(NagiosState.UNKNOWN, `PING UNKNOWN - ${(e as Error).message}`);
    }
    const judged = judge(measured.stats, resolved.address, opts.warning, opts.critical);
    return { ...judged, longOutput: measured.how };
  },
});

type Limits = { rtaMs: number; lossPct: number };

/**
 * Why a raw socket could not be opened, when that is a lack of the right (EPERM, EACCES: neither
 * root nor CAP_NET_RAW) or of the addon (not built on this machine): then `auto` pings with the
 * binary. The addon throws the bare strerror text, so the words are matched as well as the code.
 */
function rawUnavailable(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'EPERM' || err.code === 'EACCES' || /^(Operation not permitted|Permission denied)$/.test(err.message)) return `${err.message}: neither root nor CAP_NET_RAW`;
  if (err.code === 'MODULE_NOT_FOUND' || err.code === 'ERR_DLOPEN_FAILED') return 'the raw-socket addon is not built here';
  return undefined;
}

/** The measurement and how it was taken (the result's long output says which, so an operator can tell). */
async function measure(address: string, family: 4 | 6, method: 'auto' | 'raw' | 'binary', echo: EchoOptions): Promise<{ stats: PingStats; how: string }> {
  if (method === 'binary') return { stats: await binaryEcho(address, family, echo), how: 'ICMP echo by the ping program (method: binary)' };
  // auto tries the socket whatever the uid: a service user with CAP_NET_RAW (mamoru.service gives it) opens it.
  try {
    return { stats: await rawEcho(address, family, echo), how: 'ICMP echo over a raw socket' };
  } catch (e) {
    const why = rawUnavailable(e);
    if (method === 'auto' && why) return { stats: await binaryEcho(address, family, echo), how: `ICMP echo by the ping program: no raw socket (${why})` };
    throw new Error(`cannot open a raw ICMP socket: ${(e as Error).message} (run as root or with CAP_NET_RAW, or use method "binary")`);
  }
}

// RFC 6761: names under .invalid never resolve, and resolvers should say so without asking anyone.
async function resolve(name: string, signal: AbortSignal): Promise<{ address: string; family: 4 | 6 } | { error: string }> {
  const family = isIP(name);
  if (family === 4 || family === 6) return { address: name, family };
  if (/(^|\.)invalid\.?$/i.test(name)) return { error: 'ENOTFOUND' };
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<{ error: string }>((res) => {
    onAbort = () => res({ error: 'timed out' });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([
      lookup(name).then(
        (r) => ({ address: r.address, family: r.family === 6 ? (6 as const) : (4 as const) }),
        (e: NodeJS.ErrnoException) => ({ error: e.code ?? e.message }),
      ),
      aborted,
    ]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

const upTo = (n: number) => ({ start: 0, end: n, inside: false });

/** check_ping's verdict: CRITICAL when loss or RTA reaches the critical pair, else WARNING for the warning pair. */
export function judge(stats: PingStats, address: string, warn: Limits, crit: Limits): ProbeOutcome {
  const loss = stats.transmitted === 0 ? 100 : Math.floor(((stats.transmitted - stats.received) * 100) / stats.transmitted);
  const plDatum: PerfDatum = { label: 'pl', value: loss, unit: '%', warn: upTo(warn.lossPct), crit: upTo(crit.lossPct), min: 0 };
  if (stats.received === 0) {
    const rtaDatum: PerfDatum = { label: 'rta', value: null, unit: '', warn: upTo(warn.rtaMs), crit: upTo(crit.rtaMs) };
    const text = stats.error ? `PING CRITICAL - ${stats.error} (${stats.errorFrom ?? address})` : 'PING CRITICAL - Packet loss = 100%';
    return outcome(NagiosState.CRITICAL, text, [rtaDatum, plDatum]);
  }
  // ping reports RTA in microseconds; judge on that, as check_ping does.
  const rta = Math.round((stats.rttsMs.reduce((a, b) => a + b, 0) / stats.rttsMs.length) * 1000) / 1000;
  const state =
    loss >= crit.lossPct || rta >= crit.rtaMs ? NagiosState.CRITICAL : loss >= warn.lossPct || rta >= warn.rtaMs ? NagiosState.WARNING : NagiosState.OK;
  const rtaDatum: PerfDatum = { label: 'rta', value: rta, unit: 'ms', warn: upTo(warn.rtaMs), crit: upTo(crit.rtaMs), min: 0 };
  return outcome(state, `PING ${stateName(state)} - Packet loss = ${loss}%, RTA = ${rta.toFixed(2)} ms`, [rtaDatum, plDatum]);
}
