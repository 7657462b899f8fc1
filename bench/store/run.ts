/**
 * What the result store costs the main thread (issue 19): writes N results for K checks through
 * Store.write() as the daemon does (a few hundred at a time, the event loop turning between), then
 * runs maintain() (rollups, then retention of most of what was written), and prints:
 * - main-thread CPU µs per result (Linux per-thread counters) and the event loop's busy time (performance.eventLoopUtilization)
 *   during the writes, minus the same loop's busy time without a store (making the results);
 * - the whole process's CPU µs per result (process.cpuUsage: main thread and any worker);
 * - the longest event-loop block during the writes and during maintain() (monitorEventLoopDelay).
 *
 *   node --import tsx bench/store/run.ts [--checks 10000] [--results 200000] [--dir /tmp/x]
 *
 * Nothing here asserts a time: it prints figures with the machine's load beside them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';
import type { StoredResult } from '../../src/store/types.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}
const K = arg('checks', 10_000);
const N = arg('results', 200_000);
/** Results handed over between two turns of the event loop (a burst of finished checks). */
const BURST = 200;
const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);

function make(i: number): StoredResult {
  const c = i % K;
  const round = Math.floor(i / K);
  const ms = 0.4 + ((i * 7919) % 1000) / 1000;
  // One problem in fifty, like a real installation with a few things broken.
  const state = i % 50 === 0 ? 2 : 0;
  return {
    checkId: `t${Math.floor(c / 10)}/c${c % 10}`,
    target: `t${Math.floor(c / 10)}`,
    state,
    text: state ? 'CRITICAL - Socket timeout after 10 seconds' : `TCP OK - ${(ms / 1000).toFixed(3)} second response time on 127.0.0.1 port 8080`,
    perfdata: [{ label: 'time', value: ms / 1000, unit: 's', min: 0 }],
    // Each check once a minute, spread over the minute.
    startedAt: T0 + round * MIN + Math.floor((c / K) * MIN),
    durationMs: ms,
  };
}

/** CPU µs the main thread alone has used (Linux: /proc/self/task/<pid>/stat, in 10 ms ticks). */
function mainThreadCpuUs(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10_000;
  } catch {
    return NaN;
  }
}

/** Busy ms of the event loop, main-thread and process CPU µs while `fn` runs. */
async function measure(fn: () => Promise<void>): Promise<{ busyMs: number; cpuUs: number; mainUs: number; wallMs: number; maxBlockMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // A 1 ms interval's longest gap, beside the histogram (which missed single long blocks here).
  let last = performance.now();
  let gap = 0;
  const iv = setInterval(() => {
    const t = performance.now();
    gap = Math.max(gap, t - last);
    last = t;
  }, 1);
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  const main0 = mainThreadCpuUs();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const mainUs = mainThreadCpuUs() - main0;
  const elu = performance.eventLoopUtilization(elu0);
  // The histogram records a block when its timer runs after it: give it that turn.
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  clearInterval(iv);
  return { busyMs: elu.active, cpuUs: cpu.user + cpu.system, mainUs, wallMs, maxBlockMs: Math.max(h.max / 1e6, gap) };
}

async function feed(sink: (r: StoredResult) => void): Promise<void> {
  for (let i = 0; i < N; i++) {
    sink(make(i));
    if (i % BURST === BURST - 1) await tick();
  }
}

const dir = mkdtempSync(join(process.argv.includes('--dir') ? process.argv[process.argv.indexOf('--dir') + 1]! : tmpdir(), 'mamoru-bench-store-'));
try {
  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`store bench: ${N.toLocaleString('en-US')} results for ${K.toLocaleString('en-US')} checks (load ${load})`);
  let sinkHole = 0;
  const base = await measure(() => feed((r) => (sinkHole += r.text.length)));

  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dir, 'mamoru.db'), retention_raw: '1h' }), { log: silentLogger });
  // Meanwhile the main thread writes a check state every 20 ms, as the daemon does: how long does
  // it wait for the lock the writer thread holds?
  let stateWaitMax = 0;
  let stateWrites = 0;
  // --no-states: without them, to tell their lock waits from the rest.
  let feeding = !process.argv.includes('--no-states');
  const states = (async () => {
    while (feeding) {
      const t = performance.now();
      await store.upsertCheckStates([{ checkId: 't0/c0', target: 't0', state: 0, stateType: 'hard', attempt: 1, lastResult: 'OK', lastChange: T0, lastCheck: T0 + stateWrites }]);
      stateWaitMax = Math.max(stateWaitMax, performance.now() - t);
      stateWrites++;
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  const w = await measure(async () => {
    await feed((r) => store.write(r));
    await store.flush();
  });
  feeding = false;
  await states;
  const perResult = (w.busyMs - base.busyMs) * 1000 / N;
  console.log(`writes:   main thread CPU ${((w.mainUs - base.mainUs) / N).toFixed(1)} µs/result, event loop busy ${perResult.toFixed(1)} µs/result (${w.busyMs.toFixed(0)} ms - ${base.busyMs.toFixed(0)} ms making results), process CPU ${((w.cpuUs - base.cpuUs) / N).toFixed(1)} µs/result, ${(N / (w.wallMs / 1000)).toFixed(0)} results/s, longest block ${w.maxBlockMs.toFixed(1)} ms`);

  console.log(`          main-thread state writes meanwhile: ${stateWrites}, longest ${stateWaitMax.toFixed(1)} ms`);
  // Everything written spans N/K minutes; with raw retention 1h, a pass a day later deletes all raw rows.
  const now = T0 + Math.ceil(N / K) * MIN + 24 * 3_600_000;
  let report: unknown;
  const m = await measure(async () => {
    report = await store.maintain(now);
  });
  console.log(`maintain: ${m.wallMs.toFixed(0)} ms wall, main thread CPU ${(m.mainUs / 1000).toFixed(0)} ms, busy ${m.busyMs.toFixed(0)} ms, longest block ${m.maxBlockMs.toFixed(1)} ms, ${JSON.stringify(report)}`);
  const c = await measure(() => store.close());
  console.log(`close:    ${c.wallMs.toFixed(0)} ms, longest block ${c.maxBlockMs.toFixed(1)} ms (${sinkHole > 0 ? 'ok' : ''})`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
