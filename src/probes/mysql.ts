/**
 * mysql: log in to a MySQL/MariaDB server and report its status line like check_mysql
 * (`Uptime: 1234  Threads: 1  Questions: ...`), or run one query and judge its first value like
 * check_mysql_query (`QUERY OK: 'select ...' returned 42.000000`), with an optional expected
 * value and warn/crit on the response time. Refused, timed out (and in which phase), access
 * denied and not-a-MySQL-server are distinct results with the words operators know.
 */
import { z } from 'zod';
import { NagiosState, stateName, worstState } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import { evaluate, type Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { nagiosRange, port, seconds } from '../core/schema.ts';
import { errnoText, runSession, type SessionFailure, type SessionOk } from './mysql-session.ts';
import { timeoutSeconds } from './tcp-errors.ts';
import { defineProbe } from './types.ts';


/** The mysql probe's options (snake_case, like every check's). */
export const schema = z.strictObject({
  port: port().default(3306).meta({ description: 'TCP port of the server' }),
  username: z.string().optional().meta({ description: 'user to log in as' }),
  password_secret: z.string().optional().meta({ description: 'name of the secret holding the password' }),
  database: z.string().optional().meta({ description: 'database to open (the login fails if the user cannot)' }),
  query: z.string().min(1).optional().meta({ description: 'SQL whose first column of the first row is checked (check_mysql_query)' }),
  expect: z
    .union([z.string(), z.number()])
    .transform(String)
    .optional()
    .meta({ description: 'value the query must return (compared as numbers when both are numeric)' }),
  result_warning: nagiosRange('Nagios range for the query\'s numeric result; outside it is WARNING').optional(),
  result_critical: nagiosRange('Nagios range for the query\'s numeric result; outside it is CRITICAL').optional(),
  warning: seconds('response time above which the state is WARNING').optional(),
  critical: seconds('response time above which the state is CRITICAL').optional(),
});

type Options = z.output<typeof schema>;

/** The status counters check_mysql shows (its stat line and perfdata), read in one statement. */
const STATUS_VARIABLES = ['Uptime', 'Threads_connected', 'Threads_running', 'Questions', 'Queries', 'Slow_queries', 'Opened_tables', 'Open_tables', 'Open_files', 'Connections'];
const STATUS_SQL = `SHOW GLOBAL STATUS WHERE Variable_name IN (${STATUS_VARIABLES.map((v) => `'${v}'`).join(', ')})`;
/** Counters (perfdata unit `c`); the rest are gauges. */
const COUNTERS = new Set(['Uptime', 'Questions', 'Queries', 'Slow_queries', 'Connections']);

const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

function timeState(t: number, o: Options): NagiosState {
  if (o.critical !== undefined && t > o.critical) return NagiosState.CRITICAL;
  if (o.warning !== undefined && t > o.warning) return NagiosState.WARNING;
  return NagiosState.OK;
}

function timePerf(t: number, o: Options, timeoutMs: number): PerfDatum {
  return { label: 'time', value: Number(t.toFixed(6)), unit: 's', warn: upTo(o.warning), crit: upTo(o.critical), min: 0, max: timeoutMs / 1000 };
}

/** check_mysql_query's test: a number as C's strtod would take all of it (no empty, no junk). */
function isNumeric(v: string | null): v is string {
  return v !== null && v.trim() !== '' && Number.isFinite(Number(v));
}

/** The words for a session that did not deliver, as check_mysql (status) or check_mysql_query (query). */
function failure(f: SessionFailure, host: string, o: Options, timeoutMs: number): ProbeOutcome {
  const where = `'${host}:${o.port}'`;
  const prefix = (state: NagiosState) => (o.query === undefined ? '' : `QUERY ${stateName(state)}: `);
  const say = (state: NagiosState, text: string) => outcome(state, prefix(state) + text);
  const after = `Socket timeout after ${timeoutSeconds(timeoutMs)} seconds`;
  switch (f.kind) {
    case 'resolve':
      // check_mysql: an unknown host is WARNING (CR_UNKNOWN_HOST), not CRITICAL.
      return say(NagiosState.WARNING, `Unknown MySQL server host '${host}' (${f.code === 'EAI_AGAIN' ? 'temporary failure in name resolution' : 'name or service not known'})`);
    case 'connect':
      return say(NagiosState.CRITICAL, `Can't connect to MySQL server on ${where} (${errnoText(f.code, f.message)})`);
    case 'timeout':
      if (f.phase === 'connecting') return say(NagiosState.CRITICAL, `${after} connecting to MySQL server on ${where}`);
      if (f.phase === 'handshake') return say(NagiosState.CRITICAL, `${after}: connected to MySQL server on ${where} but the login did not complete`);
      return say(NagiosState.CRITICAL, `${after} waiting for ${o.query === undefined ? 'the server status' : `the result of '${o.query}'`} from ${where}`);
    case 'server':
      // The server's own sentence, e.g. "Access denied for user 'lab'@'10.0.0.1' (using password: YES)".
      return say(NagiosState.CRITICAL, f.message);
    case 'query':
      return o.query === undefined
        ? say(NagiosState.CRITICAL, `status query failed: ${f.message}`)
        : say(NagiosState.CRITICAL, `Error with query - ${f.message}`);
    case 'protocol':
      if (f.phase === 'query') return say(NagiosState.CRITICAL, `Lost connection to MySQL server on ${where} during query: ${f.message}`);
      return say(NagiosState.CRITICAL, `Bad response from MySQL server on ${where}: ${f.message}`);
  }
}

/** check_mysql's OK: the server's status line and its counters as perfdata. */
function statusResult(s: SessionOk, host: string, o: Options, timeoutMs: number): ProbeOutcome {
  const v = new Map(s.rows.map((r) => [String(r[0]), Number(r[1])]));
  const n = (k: string) => v.get(k) ?? 0;
  const uptime = n('Uptime');
  const qps = uptime > 0 ? n('Questions') / uptime : 0;
  const line =
    `Uptime: ${uptime}  Threads: ${n('Threads_connected')}  Questions: ${n('Questions')}  Slow queries: ${n('Slow_queries')}  ` +
    `Opens: ${n('Opened_tables')}  Open tables: ${n('Open_tables')}  Queries per second avg: ${qps.toFixed(3)}`;
  const t = s.totalSeconds;
  const state = timeState(t, o);
  const perf: PerfDatum[] = [timePerf(t, o, timeoutMs)];
  for (const k of STATUS_VARIABLES) if (v.has(k)) perf.push({ label: k, value: n(k), unit: COUNTERS.has(k) ? 'c' : '' });
  const text = state === NagiosState.OK ? line : `MYSQL ${stateName(state)} - ${t.toFixed(3)} second response time on ${host} port ${o.port} - ${line}`;
  return outcome(state, text, perf);
}

/** check_mysql_query's verdict on the first value, plus `expect` and the response time. */
function queryResult(s: SessionOk, o: Options, timeoutMs: number): ProbeOutcome {
  const q = o.query!;
  const t = s.totalSeconds;
  const time = timePerf(t, o, timeoutMs);
  if (!s.hasResultSet) return outcome(NagiosState.CRITICAL, `QUERY CRITICAL: Error with store_result - '${q}' returned no result set`, [time]);
  const row = s.rows[0];
  if (!row) return outcome(NagiosState.WARNING, 'QUERY WARNING: No rows returned', [time]);
  const value = row[0] ?? null;
  const numeric = isNumeric(value);
  const slow = timeState(t, o);
  const slowText = slow === NagiosState.OK ? '' : ` in ${t.toFixed(3)} seconds`;

  if (o.expect !== undefined) {
    const same = numeric && isNumeric(o.expect) ? Number(value) === Number(o.expect) : value === o.expect;
    if (!same) {
      const shown = value === null ? 'NULL' : `'${value}'`;
      return outcome(NagiosState.CRITICAL, `QUERY CRITICAL: '${q}' returned ${shown}, expected '${o.expect}'`, [time]);
    }
    if (!numeric) {
      return outcome(slow, `QUERY ${stateName(slow)}: '${q}' returned '${value}'${slowText}`, [time]);
    }
  }
  if (!numeric) return outcome(NagiosState.CRITICAL, `QUERY CRITICAL: Is not a numeric - '${value ?? '(null)'}'`, [time]);
  const n = Number(value);
  const thresholds = { warning: o.result_warning, critical: o.result_critical };
  const state = worstState(evaluate(n, thresholds), slow);
  const result: PerfDatum = { label: 'result', value: n, unit: '', warn: o.result_warning, crit: o.result_critical };
  return outcome(state, `QUERY ${stateName(state)}: '${q}' returned ${n.toFixed(6)}${slowText}`, [result, time]);
}

async function probeMysql(host: string, o: Options, password: string | undefined, signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  const s = await runSession({
    host,
    port: o.port,
    user: o.username,
    password,
    database: o.database,
    statement: o.query ?? STATUS_SQL,
    maxRows: o.query === undefined ? STATUS_VARIABLES.length : 1,
    signal,
  });
  if (s.kind !== 'ok') return failure(s, host, o, timeoutMs);
  return o.query === undefined ? statusResult(s, host, o, timeoutMs) : queryResult(s, o, timeoutMs);
}

export default defineProbe({
  type: 'mysql',
  summary: 'MySQL/MariaDB login and status, or a query with an expected value (like check_mysql and check_mysql_query)',
  schema,
  shortFlags: { port: 'P', username: 'u', database: 'd', query: 'q', result_warning: 'w', result_critical: 'c' },
  run(target, options, ctx) {
    const password = options.password_secret === undefined ? undefined : ctx.secret(options.password_secret);
    return probeMysql(target.address, options, password, ctx.signal, ctx.timeoutMs);
  },
});
