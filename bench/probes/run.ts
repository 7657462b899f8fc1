/**
 * bench/probes: CPU per check of mamoru's tcp and http probes under its real scheduler, side by
 * side in one run with check_tcp/check_http (fork per check, 8 in parallel) and blackbox_exporter
 * (8 concurrent probes, its own CPU), all against one local nginx; plus the heap of 10,000
 * configured checks. Prints a table with PASS/MISS per goal and writes JSON to bench/out/.
 *
 *   node --import tsx bench/probes/run.ts [--tcp N] [--http N] [--peers-sample N] [--help]
 *
 * Every process it starts (nginx, exporter, plugins, mamoru children) is gone when it ends,
 * also on Ctrl-C or an error (bench/lib/procs.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startNginx, type BenchNginx } from '../lib/nginx.ts';
import { runExporter, runPlugin, startExporter, type PeerFigure } from '../lib/peers.ts';
import { atExit, track } from '../lib/procs.ts';
import { perCpuSecond, table, verdictLines, verdicts, type Row, type Verdict } from '../lib/report.ts';
import type { HeapReport } from './heap.ts';
import type { ChildReport } from './mamoru-child.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const PLUGINS = '/usr/lib/nagios/plugins';
const EXPORTER = '/usr/bin/prometheus-blackbox-exporter';

const HELP = `usage: node --import tsx bench/probes/run.ts [options]
  --tcp N                mamoru tcp checks to measure (default 20000; 0 skips tcp)
  --http N               mamoru http checks to measure (default 20000; 0 skips http)
  --peers-sample N       check_tcp/check_http forks per kind, scaled to per-1,000 (default 4000)
  --blackbox-sample N    blackbox_exporter probes per kind (default: the same as --tcp/--http)
  --checks N             configured checks that cycle in mamoru's scheduler (default 500)
  --interval-ms N        their interval; short, so the scheduler is never idle (default 25)
  --paced-interval-ms N  also measure at this interval, below saturation (default 250; 0 skips)
  --no-store             skip the runs that write every result to a real SQLite store
  --no-peers             measure mamoru only
  --profile              write V8 CPU profiles of mamoru's headline runs to bench/out/prof/
  --heap-targets N       targets in the heap bench, 10 checks each (default 1000; 0 skips)`;

const { values: a } = parseArgs({
  options: {
    tcp: { type: 'string', default: '20000' },
    http: { type: 'string', default: '20000' },
    'peers-sample': { type: 'string', default: '4000' },
    'blackbox-sample': { type: 'string' },
    checks: { type: 'string', default: '500' },
    'interval-ms': { type: 'string', default: '25' },
    'paced-interval-ms': { type: 'string', default: '250' },
    'no-store': { type: 'boolean', default: false },
    'no-peers': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'heap-targets': { type: 'string', default: '1000' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}
const num = (k: keyof typeof a) => {
  const v = Number(a[k]);
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a whole number, got ${a[k]}`);
  return v;
};
const counts = { tcp: num('tcp'), http: num('http') };
const peersSample = num('peers-sample');
const checks = num('checks');
const intervalMs = num('interval-ms');
const pacedMs = num('paced-interval-ms');
const heapTargets = num('heap-targets');
const outDir = join(root, 'bench/out');
const progress = (s: string) => process.stderr.write(`${s}\n`);

/** Runs a TS child to its end and returns its last stdout line as JSON. */
async function runChild<T>(script: string, args: string[], nodeFlags: string[] = []): Promise<T> {
  const child = track(spawn(process.execPath, [...nodeFlags, '--import', 'tsx', join(here, script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] }));
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

async function mamoru(kind: 'tcp' | 'http' | 'noop', n: number, port: number, opts: { store?: boolean; interval?: number; profile?: boolean } = {}): Promise<ChildReport> {
  const dbDir = opts.store ? mkdtempSync(join(os.tmpdir(), 'mamoru-bench-db-')) : undefined;
  if (dbDir) atExit(() => rmSync(dbDir, { recursive: true, force: true }));
  const args = ['--kind', kind, '--port', String(port), '--n', String(n), '--checks', String(checks), '--interval-ms', String(opts.interval ?? intervalMs), '--concurrency', '64', '--per-host', '64', '--store', opts.store ? 'sqlite' : 'none', ...(dbDir ? ['--db-dir', dbDir] : [])];
  const flags = opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'prof')}`, `--cpu-prof-name=${kind}${opts.store ? '-store' : ''}-${Date.now()}.cpuprofile`] : [];
  progress(`mamoru ${kind}: ${n.toLocaleString('en-US')} checks, ${checks} configured every ${opts.interval ?? intervalMs} ms${opts.store ? ', SQLite store writes' : ''} ...`);
  const r = await runChild<ChildReport>('mamoru-child.ts', args, flags).finally(() => dbDir && rmSync(dbDir, { recursive: true, force: true }));
  if (r.notOk > 0) progress(`  WARNING: ${r.notOk} results were not OK, e.g. ${r.firstNotOk}`);
  return r;
}

const peerRow = (f: PeerFigure, note: string): Row => ({ name: f.peer, checks: f.checks, cpu: f.cpu, note });
const mamoruRow = (r: ChildReport, name: string, note: string): Row => ({ name, checks: r.results, cpu: r.cpu, note });

function checkPeer(f: PeerFigure): PeerFigure {
  progress(`  ${f.peer}: ${f.checks.toLocaleString('en-US')} in ${f.wallSeconds.toFixed(1)} s, ${f.cpu.toFixed(2)} CPU-s${f.failed ? `, ${f.failed} FAILED, e.g. ${f.firstFailure}` : ''}`);
  return f;
}

interface KindResult {
  rows: Row[];
  headline: Row;
  verdicts: Verdict[];
  mamoru: Record<string, ChildReport>;
  peers: Record<string, PeerFigure>;
}

const goals = {
  tcp: { perSecond: 15_000, plugin: 25, blackbox: 6 },
  http: { perSecond: 6_000, plugin: 12, blackbox: 3.5 },
} as const;

async function benchKind(kind: 'tcp' | 'http', nginx: BenchNginx): Promise<KindResult> {
  const n = counts[kind];
  const m: Record<string, ChildReport> = {};
  m.headline = await mamoru(kind, n, nginx.port, { profile: a.profile });
  if (!a['no-store']) m.store = await mamoru(kind, n, nginx.port, { store: true, profile: a.profile });
  if (pacedMs > 0) m.paced = await mamoru(kind, n, nginx.port, { interval: pacedMs });
  const headline = mamoruRow(m.headline, 'mamoru', 'probe+scheduler');
  const rows: Row[] = [headline];
  if (m.store) rows.push(mamoruRow(m.store, 'mamoru', 'with store writes'));
  if (m.paced) rows.push(mamoruRow(m.paced, 'mamoru', `paced, ${Math.round((1000 * checks) / pacedMs).toLocaleString('en-US')}/s`));

  const peers: Record<string, PeerFigure> = {};
  if (!a['no-peers']) {
    if (peersSample > 0) {
      const argv = kind === 'tcp' ? [`${PLUGINS}/check_tcp`, '-H', '127.0.0.1', '-p', String(nginx.port)] : [`${PLUGINS}/check_http`, '-I', '127.0.0.1', '-p', String(nginx.port)];
      progress(`check_${kind}: ${peersSample.toLocaleString('en-US')} forks, 8 in parallel ...`);
      peers.plugin = checkPeer(await runPlugin(`check_${kind}`, argv, peersSample));
      rows.push(peerRow(peers.plugin, `sample ${peersSample.toLocaleString('en-US')}, 8 parallel`));
    }
    const bbN = a['blackbox-sample'] === undefined ? n : num('blackbox-sample');
    if (bbN > 0) {
      progress(`blackbox_exporter ${kind}: ${bbN.toLocaleString('en-US')} probes, 8 concurrent ...`);
      const exporter = await startExporter(EXPORTER);
      try {
        const [module, target] = kind === 'tcp' ? ['tcp_connect', `127.0.0.1:${nginx.port}`] : ['http_2xx', `http://127.0.0.1:${nginx.port}/`];
        peers.blackbox = checkPeer(await runExporter('blackbox_exporter', exporter, module, target, bbN));
        rows.push(peerRow(peers.blackbox, `${module}, 8 concurrent`));
      } finally {
        await exporter.stop();
      }
    }
  }
  const g = goals[kind];
  const vs = verdicts(kind, headline, g.perSecond, [
    { row: rows.find((r) => r.name === `check_${kind}`), ratio: g.plugin },
    { row: rows.find((r) => r.name === 'blackbox_exporter'), ratio: g.blackbox },
  ]);
  for (const p of Object.values(peers)) if (p.failed) vs.push({ goal: `${p.peer} probes all succeeded`, value: `${p.failed} failed`, pass: false });
  if (m.headline.notOk) vs.push({ goal: `mamoru ${kind} results all OK`, value: `${m.headline.notOk} not OK`, pass: false });
  return { rows, headline, verdicts: vs, mamoru: m, peers };
}

function missingPrereqs(): string[] {
  const need = ['/usr/sbin/nginx'];
  if (!a['no-peers']) need.push(`${PLUGINS}/check_tcp`, `${PLUGINS}/check_http`, EXPORTER);
  return need.filter((p) => !existsSync(p));
}

async function main(): Promise<void> {
  const missing = missingPrereqs();
  if (missing.length) throw new Error(`missing: ${missing.join(', ')} (apt-get install nginx-light monitoring-plugins prometheus-blackbox-exporter)`);
  mkdirSync(outDir, { recursive: true });
  const started = new Date();
  const nginx = await startNginx();
  const results: Partial<Record<'tcp' | 'http', KindResult>> = {};
  let framework: ChildReport | undefined;
  let heap: HeapReport | undefined;
  try {
    progress(`nginx on 127.0.0.1:${nginx.port} (pid ${nginx.pid}), ${os.cpus().length} cores, node ${process.version}`);
    for (const kind of ['tcp', 'http'] as const) if (counts[kind] > 0) results[kind] = await benchKind(kind, nginx);
    framework = await mamoru('noop', Math.max(counts.tcp, counts.http, 20_000), nginx.port);
  } finally {
    await nginx.stop();
  }
  if (heapTargets > 0) {
    progress(`heap: ${heapTargets * 10} configured checks ...`);
    heap = await runChild<HeapReport>('heap.ts', ['--targets', String(heapTargets)], ['--expose-gc']);
  }

  const lines: string[] = [];
  const allVerdicts: Verdict[] = [];
  for (const kind of ['tcp', 'http'] as const) {
    const r = results[kind];
    if (!r) continue;
    lines.push(table(`${kind.toUpperCase()} checks against nginx on loopback, fresh connection each`, r.rows, r.headline), '');
    allVerdicts.push(...r.verdicts);
  }
  if (framework) {
    const us = (1e6 * framework.cpu) / framework.results;
    lines.push(`scheduler + runCheck alone (a probe that answers OK at once): ${us.toFixed(1)} CPU-µs per check, ${Math.round(perCpuSecond({ name: 'noop', checks: framework.results, cpu: framework.cpu })).toLocaleString('en-US')} checks per CPU-s`, '');
  }
  if (heap) {
    lines.push(`heap: ${heap.checks.toLocaleString('en-US')} configured checks on ${heap.targets.toLocaleString('en-US')} targets: ${heap.checksMB.toFixed(1)} MB for the checks (${heap.bytesPerCheck} B each), ${heap.totalMB.toFixed(1)} MB heapUsed in all (baseline ${heap.baselineMB.toFixed(1)} MB)`, '');
    allVerdicts.push({ goal: `${heap.checks.toLocaleString('en-US')} configured checks ≤ 40 MB heap (total heapUsed)`, value: `${heap.totalMB.toFixed(1)} MB`, pass: heap.totalMB <= 40 });
  }
  lines.push(verdictLines(allVerdicts));
  console.log(`\n${lines.join('\n')}`);

  const report = {
    date: started.toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, kernel: os.release() },
    settings: { counts, peersSample, checks, intervalMs, pacedMs, concurrency: 64, perHostConcurrency: 64 },
    results,
    framework,
    heap,
    verdicts: allVerdicts,
  };
  const file = join(outDir, `probes-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'probes-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  progress(`\nwritten: ${file}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
