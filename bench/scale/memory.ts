/**
 * What a configured check costs the daemon (issue 19): memory per check, time to ready, the hot
 * path per result, and a heap snapshot's summary. Each size runs the real Daemon (src/daemon.ts,
 * `Daemon.start`, web room on) in a child process of its own, on a config of N tcp checks at
 * loopback addresses (127.x.y.z, port 9, interval 60 s, 10 checks a target), with its own store.
 *
 *   node --import tsx bench/scale/memory.ts [--checks 1,10000,100000] [--snapshot 10000,100000] [--per-target 10] [--run 0]
 *
 * Per size, in the child (`node --expose-gc`):
 *   ready:    from just before `Daemon.start` until it resolves (config read, store opened,
 *             states restored, checks planned and installed, scheduler and web started), on a
 *             restart: a first start (`cold`, in a process of its own) parsed the YAML and filled
 *             the config cache in the store's directory, as `mamoru start` does
 *   reload:   one `Daemon.reload()` of the same file (the YAML parsed again, every check
 *             installed again, states kept)
 *   then the scheduler is stopped (unless `--run S`, which lets real checks run S seconds):
 *             100,000 connections refused on port 9 would open incidents and mix their cost in
 *   pass 1/2: every check gets one OK result through the daemon's own `onResult` (store write,
 *             metrics, state, overview, alerting), twice; the second pass is the steady hot path,
 *             in µs per result (the store's share included: its write() queues the row)
 *   /metrics: one scrape, its time and size
 *   memory:   RSS and heapUsed after gc, before and after the results; per check is
 *             (figure at N - figure of the 1-check daemon) / (N - 1)
 *   snapshot: `v8.writeHeapSnapshot` after the results, summed per constructor (self size;
 *             heap-summary.ts), less the 1-check daemon's, per configured check
 * Note the load (`uptime`) beside the figures: the machine is shared.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeHeapSnapshot } from 'node:v8';
import { summariseSnapshot, type ConstructorRow } from './heap-summary.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

interface Figures {
  checks: number;
  /** The first start, in a process of its own (YAML parsed, config cache written). */
  readyColdS: number;
  readyS: number;
  reloadS: number;
  /** CPU seconds of the process (all threads) for the same spans: what load from others barely moves. */
  readyCpuS: number;
  reloadCpuS: number;
  pass2CpuUs: number;
  pass1Us: number;
  pass2Us: number;
  metricsMs: number;
  metricsKB: number;
  configured: { rss: number; heap: number };
  results: { rss: number; heap: number };
  snapshot?: { nodes: number; bytes: number; rows: ConstructorRow[] } | undefined;
}

const MB = 2 ** 20;

/** The config: N tcp checks, `perTarget` a target, each target on its own loopback address. */
function config(dir: string, n: number, perTarget: number): string {
  const lines = [
    'defaults: { interval: 60s, timeout: 5s }',
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }`,
    'web: { host: 127.0.0.1, port: 0 }',
    'log: { level: error }',
    'targets:',
  ];
  for (let i = 0; i < n; i++) {
    if (i % perTarget === 0) {
      const t = i / perTarget;
      lines.push(`  - name: t${t}`, `    address: 127.${1 + ((t >> 16) & 127)}.${(t >> 8) & 255}.${t & 255}`, '    checks:');
    }
    lines.push(`      - { type: tcp, name: c${i % perTarget}, port: 9 }`);
  }
  return `${lines.join('\n')}\n`;
}

/** The first start in a process of its own: YAML parsed, the config cache written. Seconds until ready. */
async function coldStart(dir: string): Promise<number> {
  const { Daemon } = await import('../../src/daemon.ts');
  const { createLogger } = await import('../../src/core/log.ts');
  const t = performance.now();
  const daemon = await Daemon.start({ configFile: join(dir, 'mamoru.yml'), webPort: 0, log: createLogger('error'), announce: () => {}, configCacheDir: dir });
  const s = (performance.now() - t) / 1000;
  await daemon.stop();
  return s;
}

async function child(dir: string, n: number, snapshot: boolean, runS: number): Promise<Omit<Figures, 'readyColdS'>> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('the child runs with --expose-gc');
  const mem = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heap: m.heapUsed };
  };
  {
    const file = join(dir, 'mamoru.yml');
    const { Daemon } = await import('../../src/daemon.ts');
    const { createLogger } = await import('../../src/core/log.ts');
    const cpu = () => {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1e6;
    };
    // As `mamoru start` does: the parsed config is cached in the store's directory (the cold start,
    // in a process of its own, filled it); this start, measured, is a restart that reads the cache.
    const opts = { configFile: file, webPort: 0, log: createLogger('error'), announce: () => {}, configCacheDir: dir };
    const c0 = cpu();
    const t0 = performance.now();
    const daemon = await Daemon.start(opts);
    const readyS = (performance.now() - t0) / 1000;
    const readyCpuS = cpu() - c0;
    const c1 = cpu();
    const t1 = performance.now();
    const reloaded = daemon.reload();
    const reloadS = (performance.now() - t1) / 1000;
    const reloadCpuS = cpu() - c1;
    if (!reloaded.ok) throw reloaded.error;
    // The daemon's private parts, reached for the bench alone.
    const inside = daemon as unknown as { scheduler: { stop(): Promise<void> }; entries: Map<string, unknown>; onResult(id: string, r: unknown): void };
    if (runS > 0) await new Promise((r) => setTimeout(r, runS * 1000));
    else await inside.scheduler.stop();
    const configured = mem();
    const ids = [...inside.entries.keys()];
    const pass = () => {
      const now = Date.now();
      const t = performance.now();
      for (const id of ids) inside.onResult(id, { state: 0, text: 'TCP OK - 0.000 second response time on 127.0.0.1 port 9', perfdata: [{ label: 'time', value: 0.0003, uom: 's', min: 0, max: 5 }], startedAt: now, durationMs: 0.3 });
      return ((performance.now() - t) * 1000) / ids.length;
    };
    const pass1Us = pass();
    // Let the store write what was queued before the second pass, as it would between results.
    await new Promise((r) => setTimeout(r, 1500));
    const c2 = cpu();
    const pass2Us = pass();
    const pass2CpuUs = ((cpu() - c2) * 1e6) / ids.length;
    await new Promise((r) => setTimeout(r, 1500));
    const t2 = performance.now();
    const body = await (await fetch(`${daemon.webUrl}/metrics`)).text();
    const metricsMs = performance.now() - t2;
    const results = mem();
    let summary: Figures['snapshot'];
    if (snapshot) {
      const path = writeHeapSnapshot(join(dir, 'heap.heapsnapshot'));
      summary = await summariseSnapshot(path, 400);
      rmSync(path, { force: true });
    }
    await daemon.stop();
    return { checks: ids.length, readyS, reloadS, readyCpuS, reloadCpuS, pass2CpuUs, pass1Us, pass2Us, metricsMs, metricsKB: Buffer.byteLength(body) / 1024, configured, results, snapshot: summary };
  }
}

function runChild<T>(dir: string, n: number, mode: string[]): Promise<T> {
  const self = fileURLToPath(import.meta.url);
  const argv = ['--expose-gc', '--max-old-space-size=8192', '--import', 'tsx', self, '--dir', dir, '--child', String(n), ...mode];
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`child for ${n} checks exited ${code}: ${out.slice(-2000)}`));
      else resolve(JSON.parse(line) as T);
    });
  });
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });

if (process.argv.includes('--child')) {
  const dir = arg('dir', '');
  const f = process.argv.includes('--cold') ? { readyColdS: await coldStart(dir) } : await child(dir, Number(arg('child', '1')), process.argv.includes('--snap'), Number(arg('run', '0')));
  process.stdout.write(`${JSON.stringify(f)}\n`);
  process.exit(0);
}

const sizes = arg('checks', '1,10000,100000').split(',').map(Number);
const snaps = new Set(arg('snapshot', '10000,100000').split(',').filter(Boolean).map(Number));
const perTarget = Number(arg('per-target', '10'));
const runS = Number(arg('run', '0'));
if (sizes.some((n) => !(n >= 1 && n <= 1_000_000)) || !(perTarget >= 1 && perTarget <= 1000) || !(runS >= 0 && runS <= 600)) throw new Error('usage: --checks N[,N] (1-1000000) --per-target N (1-1000) --run S (0-600)');
if (!sizes.includes(1)) sizes.unshift(1);
// The 1-check daemon's snapshot is what the others are counted against.
if (snaps.size) snaps.add(1);
const all: Figures[] = [];
for (const n of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-scale-'));
  try {
    writeFileSync(join(dir, 'mamoru.yml'), config(dir, n, perTarget));
    const { readyColdS } = await runChild<{ readyColdS: number }>(dir, n, ['--cold']);
    const f = await runChild<Omit<Figures, 'readyColdS'>>(dir, n, ['--run', String(runS), ...(snaps.has(n) ? ['--snap'] : [])]);
    all.push({ ...f, readyColdS });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stderr.write(`${n} checks done\n`);
}
const base = all.find((f) => f.checks === 1)!;
const per = (a: number, b: number, n: number) => (n > 1 ? fmt((a - b) / (n - 1)) : '-');
console.log(`checks   cold s   ready s (cpu)  reload s (cpu)  RSS MB  heap MB  RSS/check B (cfg | +results)  heap/check B (cfg | +results)  result µs (1st | 2nd, cpu)     /metrics ms     KB`);
for (const f of all) {
  console.log(
    [
      fmt(f.checks).padStart(7),
      fmt(f.readyColdS ?? NaN, 2).padStart(7),
      `${fmt(f.readyS, 2)} (${fmt(f.readyCpuS ?? NaN, 2)})`.padStart(15),
      `${fmt(f.reloadS, 2)} (${fmt(f.reloadCpuS ?? NaN, 2)})`.padStart(15),
      fmt(f.results.rss / MB).padStart(7),
      fmt(f.results.heap / MB).padStart(8),
      `${per(f.configured.rss, base.configured.rss, f.checks)} | ${per(f.results.rss, base.results.rss, f.checks)}`.padStart(30),
      `${per(f.configured.heap, base.configured.heap, f.checks)} | ${per(f.results.heap, base.results.heap, f.checks)}`.padStart(31),
      `${fmt(f.pass1Us, 1)} | ${fmt(f.pass2Us, 1)} (cpu ${fmt(f.pass2CpuUs ?? NaN, 1)})`.padStart(30),
      fmt(f.metricsMs).padStart(12),
      fmt(f.metricsKB).padStart(6),
    ].join(' '),
  );
}
const baseRows = new Map((base.snapshot?.rows ?? []).map((r) => [r.name, r]));
for (const f of all) {
  if (!f.snapshot || f.checks === 1) continue;
  const n = f.checks - 1;
  const rows = f.snapshot.rows
    .map((r) => ({ name: r.name, count: (r.count - (baseRows.get(r.name)?.count ?? 0)) / n, bytes: (r.bytes - (baseRows.get(r.name)?.bytes ?? 0)) / n }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 25);
  console.log(`\nheap snapshot at ${fmt(f.checks)} checks: ${fmt(f.snapshot.nodes)} nodes, ${fmt(f.snapshot.bytes / MB)} MB self size; per configured check over the 1-check daemon, by constructor (self size):`);
  console.log(`${'constructor'.padEnd(40)} ${'objects'.padStart(8)} ${'bytes'.padStart(8)}`);
  for (const r of rows) console.log(`${r.name.slice(0, 40).padEnd(40)} ${fmt(r.count, 2).padStart(8)} ${fmt(r.bytes).padStart(8)}`);
}
