/**
 * dns: ask a DNS server for a name's records, time the answer, and compare it with what is
 * expected, in check_dig's words (`DNS OK - 0.004 seconds response time (www.example.com. 300 IN
 * A 192.0.2.1)`). No answer in time, a refused connection, SERVFAIL, REFUSED, NXDOMAIN and an
 * empty answer (NOERROR without data) are each their own result, so the text says which.
 *
 * Uses node's resolver (c-ares) with the server set explicitly: no search domains, no
 * /etc/hosts, one query of the asked type. Without `server` it asks the servers of the
 * system's resolv.conf.
 */
import { Resolver } from 'node:dns/promises';
import net from 'node:net';
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, seconds } from '../core/schema.ts';
import { describeAnswers, listValues, normalizeExpected, query, recordTypes, type Answer } from './dns-answers.ts';
import { timeoutSeconds } from './tcp-errors.ts';
import { defineProbe } from './types.ts';

export const schema = z.strictObject({
  query: z
    .string()
    .min(1)
    .max(253)
    .regex(/^[^\s]+$/, 'expected a domain name without spaces')
    .meta({ description: 'the name to look up, e.g. www.example.com (like check_dig -l)' }),
  record_type: z.enum(recordTypes).default('A').meta({ description: 'the record type to ask for' }),
  server: z
    .string()
    .refine((v) => net.isIP(v) !== 0, 'expected the DNS server as an IPv4 or IPv6 address')
    .optional()
    .meta({ description: "the DNS server's address (default: the servers in the system's resolv.conf)" }),
  port: port().default(53).meta({ description: "the DNS server's port" }),
  expect: z.array(z.string().min(1)).optional().meta({ description: 'answers that must be in the reply: addresses, names, "10 mx.example.com" or a bare exchange for MX, the text of a TXT record' }),
  expect_exact: z.boolean().default(false).meta({ description: 'the reply must hold exactly the expected answers, no others' }),
  warning: seconds('response time above which the state is WARNING').optional(),
  critical: seconds('response time above which the state is CRITICAL').optional(),
});

type Options = z.output<typeof schema>;

/** The alert-above range check_dig prints in perfdata for a response time limit. */
const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

function timePerf(secs: number, o: Options): PerfDatum[] {
  return [{ label: 'time', value: Number(secs.toFixed(6)), unit: 's', warn: upTo(o.warning), crit: upTo(o.critical), min: 0 }];
}

const critical = (text: string, perf: PerfDatum[] = []) => outcome(NagiosState.CRITICAL, `DNS CRITICAL - ${text}`, perf);

/** Where the query went, for texts: `10.0.0.53`, `10.0.0.53 port 5353`, or the system's servers. */
function serverLabel(o: Options, systemServers: string[]): string {
  if (o.server === undefined) return systemServers.length ? systemServers.join(', ') : 'the system resolver';
  return o.port === 53 ? o.server : `${o.server} port ${o.port}`;
}

/**
 * A failed lookup in words: each DNS answer code and each transport failure is its own sentence.
 * Node's resolver names NXDOMAIN ENOTFOUND and an empty NOERROR answer ENODATA.
 */
function failure(err: NodeJS.ErrnoException, o: Options, server: string, host: string, secs: number, timeoutMs: number): ProbeOutcome {
  const what = `${o.query} ${o.record_type}`;
  const perf = timePerf(secs, o);
  switch (err.code) {
    case 'ENOTFOUND':
      return critical(`${o.query}: no such name (NXDOMAIN) at ${server}`, perf);
    case 'ENODATA':
      return critical(`${o.query} has no ${o.record_type} record (NOERROR, empty answer) at ${server}`, perf);
    case 'ESERVFAIL':
      return critical(`server ${server} failed to answer ${what} (SERVFAIL)`, perf);
    case 'EREFUSED':
      return critical(`server ${server} refused to answer ${what} (REFUSED)`, perf);
    case 'ENOTIMP':
      return critical(`server ${server} does not implement the query ${what} (NOTIMP)`, perf);
    case 'EFORMERR':
      return critical(`server ${server} called the query ${what} malformed (FORMERR)`, perf);
    case 'EBADRESP':
    case 'EBADFAMILY':
      return critical(`bad response from ${server} to ${what}: not a valid DNS reply (${err.code})`, perf);
    case 'ECONNREFUSED':
      return critical(`connect to address ${host} and port ${o.port}: Connection refused`);
    case 'ETIMEOUT':
    case 'ECANCELLED':
      return critical(`No response from DNS server ${server} after ${timeoutSeconds(timeoutMs)} seconds`);
    case 'EBADNAME':
    case 'EBADQUERY':
      return outcome(NagiosState.UNKNOWN, `DNS UNKNOWN - cannot ask for ${what}: ${err.message}`);
    default:
      return critical(`lookup of ${what} at ${server} failed: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' '));
  }
}

/** Compares the answers with `expect`: undefined when they agree, else check_dns's sentence. */
function mismatch(answers: Answer[], o: Options): string | undefined {
  if (!o.expect) return undefined;
  const expected = [...new Set(o.expect.map((e) => normalizeExpected(o.record_type, e)))];
  const has = (e: string) => answers.some((a) => a.value === e || a.aliases.includes(e));
  const missing = expected.filter((e) => !has(e));
  const extra = o.expect_exact ? answers.filter((a) => !expected.includes(a.value) && !a.aliases.some((x) => expected.includes(x))) : [];
  if (missing.length === 0 && extra.length === 0) return undefined;
  const got = listValues(answers.map((a) => a.value));
  return `expected ${o.expect_exact ? 'exactly ' : ''}'${listValues(expected)}' but got '${got}' for ${o.query} ${o.record_type}`;
}

async function probeDns(o: Options, signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  // c-ares doubles its wait on each try: a lost packet is asked again at 40% of the timeout, and
  // the check's own abort (which cancels the query) always comes before c-ares gives up.
  const resolver = new Resolver({ timeout: Math.max(100, Math.floor(timeoutMs * 0.4)), tries: 2 });
  const host = o.server;
  if (host !== undefined) resolver.setServers([o.port === 53 ? host : net.isIPv6(host) ? `[${host}]:${o.port}` : `${host}:${o.port}`]);
  const server = serverLabel(o, host === undefined ? resolver.getServers() : []);
  if (signal.aborted) return critical(`No response from DNS server ${server} after ${timeoutSeconds(timeoutMs)} seconds`);
  const onAbort = () => resolver.cancel();
  signal.addEventListener('abort', onAbort, { once: true });
  const t0 = performance.now();
  try {
    const answers = await query(resolver, o.record_type, o.query);
    const secs = (performance.now() - t0) / 1000;
    const wrong = mismatch(answers, o);
    if (wrong) return critical(wrong, timePerf(secs, o));
    const state =
      o.critical !== undefined && secs > o.critical ? NagiosState.CRITICAL : o.warning !== undefined && secs > o.warning ? NagiosState.WARNING : NagiosState.OK;
    return outcome(state, `DNS ${stateName(state)} - ${secs.toFixed(3)} seconds response time (${describeAnswers(o.query, o.record_type, answers)})`, timePerf(secs, o));
  } catch (e) {
    return failure(e as NodeJS.ErrnoException, o, server, host ?? server, (performance.now() - t0) / 1000, timeoutMs);
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

export default defineProbe({
  type: 'dns',
  summary: 'look a name up (A, AAAA, MX, TXT, CNAME, NS), time it, compare the answers (like check_dig)',
  schema,
  shortFlags: { query: 'l', record_type: 'T', server: 's', port: 'p', expect: 'a', warning: 'w', critical: 'c' },
  run(_target, options, ctx) {
    return probeDns(options, ctx.signal, ctx.timeoutMs);
  },
});
