/**
 * The scheduler's lag while the console is read, alone and quicker than pages.ts, with the means
 * to see why: `node --import tsx bench/web/lag.ts [--checks 10000] [--results 1000000]
 * [--incidents 20000] [--bans 2000] [--db FILE] [--seconds 30] [--clients 10] [--rounds 1]
 * [--prof] [--split] [--trace-gc]`.
 *
 * The daemon of bench/web/daemon.ts (pages.ts's, same config) on a store seeded by seed.ts (kept
 * in `--db` and copied for each run when given, so a second run skips the seeding); after 10 s,
 * per round: `--seconds` with no client, then `--seconds` with `--clients` clients loading the
 * four pages of pages.ts in a loop. Per window: lag p50 / p99 / the bucket that holds the slowest
 * run (mamoru_scheduler_lag_seconds), runs, pages, 503s, load average.
 * `--prof`: the daemon runs with --cpu-prof; the profile is cut to the last loaded window
 * (V8's profile clock is CLOCK_MONOTONIC, as is process.hrtime here) and summed by
 * bench/lib/prof-top.ts. `--split`: one loaded window per page instead (and a profile of each).
 * `--trace-gc`: GC pauses of ≥ 20 ms seen during each window.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ADMIN_PASSWORD, login, type Session } from '../../test/web/console.ts';
import { processCpu } from '../lib/procs.ts';
import { intervalFor, lagBuckets, lagMaxBound, lagQuantile, startDaemon, stopDaemon } from './daemon.ts';
import { seedStore } from './seed.ts';

const { values: a } = parseArgs({ options: { checks: { type: 'string', default: '10000' }, results: { type: 'string', default: '1000000' }, incidents: { type: 'string', default: '20000' }, bans: { type: 'string', default: '2000' }, db: { type: 'string' }, seconds: { type: 'string', default: '30' }, clients: { type: 'string', default: '10' }, rounds: { type: 'string', default: '1' }, prof: { type: 'boolean', default: false }, split: { type: 'boolean', default: false }, 'trace-gc': { type: 'boolean', default: false } } });
const N = Number(a.checks);
const S = Number(a.seconds);
const CLIENTS = Number(a.clients);
const PAGES = ['/', '/checks/t0000/c0?range=24h', '/incidents', '/guard'];
const root = new URL('../..', import.meta.url).pathname;
const uptime = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const monoUs = () => Number(process.hrtime.bigint() / 1000n);

const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-lag-'));
mkdirSync(join(dir, 'data'));
const dbFile = join(dir, 'data', 'mamoru.db');
const up = net.createServer((c) => c.end());
await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
const gcPauses: { at: number; ms: number; line: string }[] = [];
let child: Awaited<ReturnType<typeof startDaemon>>['child'] | undefined;
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { child?.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); process.exit(130); });

async function window(url: string, s: Session, clients: number, pages_ = PAGES) {
  const before = await lagBuckets(url);
  const cpu0 = child?.pid ? processCpu(child.pid) : NaN;
  const load0 = uptime();
  const from = monoUs();
  const t0 = Date.now();
  const end = t0 + S * 1000;
  let pages = 0;
  let busy = 0;
  const times: number[] = [];
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let k = c; Date.now() < end; k++) {
      const t = performance.now();
      const r = await fetch(`${url}${pages_[k % pages_.length]}`, { headers: { cookie: s.cookie, accept: 'text/html' } });
      await r.arrayBuffer();
      times.push(performance.now() - t);
      if (r.status === 503) busy++;
      else pages++;
    }
  }));
  if (clients === 0) await new Promise((r) => setTimeout(r, S * 1000));
  const after = await lagBuckets(url);
  // The daemon's own CPU seconds in the window: unlike wall times, hardly moved by other load.
  const cpu = child?.pid ? processCpu(child.pid) - cpu0 : NaN;
  const p50 = lagQuantile(before, after, 0.5);
  const p99 = lagQuantile(before, after, 0.99);
  times.sort((x, y) => x - y);
  const gc = gcPauses.filter((g) => g.at >= t0 && g.at <= Date.now());
  const w = { clients, pages_: clients ? pages_ : [], cpu_s: +cpu.toFixed(2), runs: p99.runs, p50: +p50.ms.toFixed(1), p99: +p99.ms.toFixed(1), max_le: lagMaxBound(before, after), pages, busy, page_p50: +(times[Math.floor(times.length / 2)] ?? 0).toFixed(1), load: `${load0} → ${uptime()}`, from, to: monoUs(), gc_over_20ms: gc.map((g) => g.ms) };
  console.log(`  ${clients} clients${clients && pages_.length === 1 ? ` on ${pages_[0]}` : ''}: lag p50 ${w.p50} ms, p99 ${w.p99} ms, max ≤ ${w.max_le} ms; ${w.runs} runs (about ${Math.round((N * S) / parseInt(intervalFor(N)))} due); ${pages} pages (median ${w.page_p50} ms), ${busy} 503; daemon CPU ${w.cpu_s} s; load ${w.load}${a['trace-gc'] ? `; GC ≥ 20 ms: ${gc.map((g) => g.ms.toFixed(0)).join(', ') || 'none'}` : ''}`);
  return w;
}

const report: Record<string, unknown> = { started: new Date().toISOString(), args: a, windows: [] as unknown[] };
try {
  if (a.db && existsSync(a.db)) copyFileSync(a.db, dbFile);
  else {
    console.log(`seeding ${N.toLocaleString('en-US')} checks' store (load ${uptime()})`);
    await seedStore(dbFile, { checks: N, results: Number(a.results), incidents: Number(a.incidents), bans: Number(a.bans) }, Date.now(), console.log);
    if (a.db) copyFileSync(dbFile, a.db);
  }
  const profDir = join(dir, 'prof');
  const nodeArgs = [...(a.prof ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'] : []), ...(a['trace-gc'] ? ['--trace-gc'] : [])];
  const d = await startDaemon(dir, N, (up.address() as AddressInfo).port, { nodeArgs, stdout: a['trace-gc'] ? 'pipe' : 'ignore' });
  child = d.child;
  if (a['trace-gc']) {
    let rest = '';
    d.child.stdout!.on('data', (b: Buffer) => {
      const lines = (rest + b.toString()).split('\n');
      rest = lines.pop()!;
      // "... Mark-Compact 310.2 (330.1) -> 300.0 (331.2) MB, 212.34 / 0.00 ms ..."
      for (const l of lines) {
        const m = / MB, (?:pooled: \d+ MB, )?([\d.]+) \/ [\d.]+ ms/.exec(l);
        if (m && Number(m[1]) >= 20) gcPauses.push({ at: Date.now(), ms: Number(m[1]), line: l.trim() });
      }
    });
  }
  console.log(`${N.toLocaleString('en-US')} checks: daemon answering (load ${uptime()}); settling 10 s`);
  await new Promise((r) => setTimeout(r, 10_000));
  const s = await login(d.url, 'admin', ADMIN_PASSWORD);
  const loaded: { from: number; to: number; pages_: string[] }[] = [];
  for (let i = 0; i < Number(a.rounds); i++) {
    (report.windows as unknown[]).push(await window(d.url, s, 0));
    // --split: one loaded window per page, to see which page holds the loop.
    for (const set of a.split ? PAGES.map((p) => [p]) : [PAGES]) {
      const w = await window(d.url, s, CLIENTS, set);
      (report.windows as unknown[]).push(w);
      loaded.push(w);
    }
  }
  await stopDaemon(child);
  for (const last of a.prof ? (a.split ? loaded.slice(-PAGES.length) : loaded.slice(-1)) : []) {
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'))!;
    const prof = JSON.parse(readFileSync(join(profDir, file), 'utf8')) as { samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
    // Keep the samples of the last loaded window: the others are re-pointed at the idle root so the
    // totals stay the window's own.
    let t = prof.startTime;
    const samples: number[] = [];
    const deltas: number[] = [];
    let prev = last.from;
    for (let i = 0; i < prof.samples.length; i++) {
      t += prof.timeDeltas[i]!;
      if (t < last.from || t > last.to) continue;
      samples.push(prof.samples[i]!);
      deltas.push(t - prev);
      prev = t;
    }
    const cut = join(root, 'bench', 'out', `web-lag-${N}-${last.pages_.length === 1 ? last.pages_[0]!.replace(/\W+/g, '_') : 'all'}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`);
    mkdirSync(join(root, 'bench', 'out'), { recursive: true });
    writeFileSync(cut, JSON.stringify({ ...prof, samples, timeDeltas: deltas, startTime: last.from, endTime: last.to }));
    console.log(`profile of the loaded window on ${last.pages_.join(' ')} (${samples.length} samples): ${cut}`);
    spawnSync(process.execPath, ['--import', 'tsx', join(root, 'bench', 'lib', 'prof-top.ts'), cut, '--top', a.split ? '15' : '40'], { stdio: 'inherit', cwd: root });
  }
  if (a['trace-gc']) report.gc_over_20ms = gcPauses.map((g) => g.line);
} finally {
  await stopDaemon(child);
  up.close();
  rmSync(dir, { recursive: true, force: true });
}
mkdirSync(join(root, 'bench', 'out'), { recursive: true });
const out = join(root, 'bench', 'out', `web-lag-${N}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(out, JSON.stringify(report, null, 2));
console.log(`JSON: ${out}`);
