/**
 * The mamoru side of bench/probes, run as a child process so its CPU is measured alone: the real
 * Scheduler runs the real tcp or http probe (through runCheck) on a set of checks against the
 * bench nginx until N results have arrived. CPU (process.cpuUsage, user + system, all threads) is
 * counted from scheduler.start() to the Nth result, so module loading and setup are left out.
 * Results go either nowhere (probe + scheduler) or through the real SQLite store's write().
 *
 * Usage (run.ts starts it; by hand it needs a listening port):
 *   node --import tsx bench/probes/mamoru-child.ts --kind tcp --port 8080 --n 20000 [--store sqlite]
 * Prints one JSON line (ChildReport) on stdout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { systemClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import { outcome } from '../../src/core/result.ts';
import { probes, type ProbeDefinition } from '../../src/probes/index.ts';
import { defineProbe } from '../../src/probes/types.ts';
import { Scheduler, type ScheduledCheck } from '../../src/scheduler/scheduler.ts';
import { stores, type Store } from '../../src/store/index.ts';

/** What the child reports to run.ts. */
export interface ChildReport {
  kind: 'tcp' | 'http' | 'noop';
  store: 'none' | 'sqlite';
  results: number;
  /** Results that were not OK (should be 0 against a healthy nginx), and the first such text. */
  notOk: number;
  firstNotOk: string | undefined;
  /** CPU seconds from start() to the Nth result (and, with the store, to its last flush). */
  cpuUser: number;
  cpuSystem: number;
  cpu: number;
  wallSeconds: number;
  /** Scheduler counters at the end: skippedSlots > 0 means the demand outran the CPU. */
  skippedSlots: number;
  configured: number;
  intervalMs: number;
  concurrency: number;
  perHost: number;
  maxRssMB: number;
}

const { values } = parseArgs({
  options: {
    kind: { type: 'string', default: 'tcp' },
    port: { type: 'string' },
    n: { type: 'string', default: '20000' },
    checks: { type: 'string', default: '500' },
    'interval-ms': { type: 'string', default: '250' },
    concurrency: { type: 'string', default: '64' },
    'per-host': { type: 'string', default: '64' },
    store: { type: 'string', default: 'none' },
    // Given by run.ts, which removes it even when this child is killed.
    'db-dir': { type: 'string' },
  },
});

const kind = values.kind as 'tcp' | 'http' | 'noop';
if (kind !== 'tcp' && kind !== 'http' && kind !== 'noop') throw new Error(`--kind must be tcp, http or noop, got ${values.kind}`);
if (!values.port) throw new Error('--port is required (the nginx to probe)');
const storeKind = values.store as 'none' | 'sqlite';
if (storeKind !== 'none' && storeKind !== 'sqlite') throw new Error(`--store must be none or sqlite, got ${values.store}`);
const port = Number(values.port);
const n = Number(values.n);
const count = Number(values.checks);
const intervalMs = Number(values['interval-ms']);
const concurrency = Number(values.concurrency);
const perHost = Number(values['per-host']);

// noop: a probe that answers OK at once, to price the scheduler and runCheck without a network.
const noop = defineProbe({
  type: 'noop',
  summary: 'bench only: OK at once',
  schema: z.strictObject({ port: z.number() }),
  run: async () => outcome(NagiosState.OK, 'NOOP OK'),
});
const probe: ProbeDefinition<any> = kind === 'noop' ? noop : probes[kind];
// Parsed by the probe's own schema, as the config path would: defaults filled in.
const options = probe.schema.parse({ port });
const target = targetFromAddress('127.0.0.1');
const checks: ScheduledCheck[] = [];
for (let i = 0; i < count; i++) {
  checks.push({ id: `bench-${i}/${kind}`, target, probe, options, intervalMs, retryIntervalMs: intervalMs, maxAttempts: 3, timeoutMs: 10_000 });
}

let store: Store | undefined;
let dbDir: string | undefined;
if (storeKind === 'sqlite') {
  dbDir = values['db-dir'] ?? mkdtempSync(join(tmpdir(), 'mamoru-bench-db-'));
  store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dbDir, 'bench.db') }), { log: silentLogger });
}

let results = 0;
let notOk = 0;
let firstNotOk: string | undefined;
let cpu0: NodeJS.CpuUsage = { user: 0, system: 0 };
let t0 = 0;
let resolveDone!: () => void;
const done = new Promise<void>((r) => (resolveDone = r));

const scheduler = new Scheduler({
  clock: systemClock,
  concurrency,
  perHostConcurrency: perHost,
  log: silentLogger,
  onResult: (check, result) => {
    if (results >= n) return;
    results++;
    if (result.state !== NagiosState.OK) {
      notOk++;
      firstNotOk ??= result.text;
    }
    store?.write({ ...result, checkId: check.id, target: check.target.name });
    if (results === n) resolveDone();
  },
});
scheduler.setChecks(checks);

// The system clock's timers are unref'd (a daemon's pending check must not hold it up at exit),
// so something must keep this process alive between runs.
const keepAlive = setInterval(() => {}, 60_000);

// Everything is loaded and compiled up to here; only the runs are measured.
cpu0 = process.cpuUsage();
t0 = performance.now();
scheduler.start();
await done;
if (store) await store.flush();
const used = process.cpuUsage(cpu0);
const wallSeconds = (performance.now() - t0) / 1000;
const stats = scheduler.stats();
await scheduler.stop();
clearInterval(keepAlive);
if (store) await store.close();
if (dbDir && !values['db-dir']) rmSync(dbDir, { recursive: true, force: true });

const report: ChildReport = {
  kind,
  store: storeKind,
  results,
  notOk,
  firstNotOk,
  cpuUser: used.user / 1e6,
  cpuSystem: used.system / 1e6,
  cpu: (used.user + used.system) / 1e6,
  wallSeconds,
  skippedSlots: stats.skippedSlots,
  configured: stats.configured,
  intervalMs,
  concurrency,
  perHost,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
};
process.stdout.write(`${JSON.stringify(report)}\n`);
