/**
 * bench/scale: one `mamoru start` (the real daemon, its embedded SQLite store) at 10,000 /
 * 100,000 / 1,000,000 checks per interval, tcp and http against nginx on 100 loopback
 * address × port pairs, while a reader asks the web API for the status every second; and
 * Nagios 4 with check_tcp against the same listeners, at a size it sustains. Prints checks/s
 * achieved vs demanded, schedule lag, CPU and RSS per check, start-up time, the event loop's
 * longest block, and PASS/MISS per goal of issue 19; writes JSON to bench/out/.
 *
 *   node --import tsx bench/scale/run.ts [--sizes 10000/60s,100000/5m] [--window 120] [--help]
 *
 * Every process it starts (nginx, mamoru, nagios and its workers) and every temp dir is gone
 * when it ends, also on Ctrl-C or an error (bench/lib/procs.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { atExit, freePort } from '../lib/procs.ts';
import { demand, parseSize, writeBaselineConfig, writeConfig, type Size } from './config.ts';
import { cliTokenFile, startDaemon, startReader, statusKb, treeCpu, treeRssKb } from './daemon.ts';
import { startListeners, type Listener } from './listeners.ts';
import { nagiosMissing, runNagios, type NagiosFigures } from './nagios.ts';
import { printReport, type SizeResult } from './report.ts';
import { eventLoopMax, lagBetween, notOkBetween, resultsBetween, scrape } from './metrics.ts';
import { storeLag } from './store-lag.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');

const HELP = `usage: node --import tsx bench/scale/run.ts [options]
  --sizes LIST          checks/interval to run, one daemon each, in turn
                        (default 10000/60s,100000/5m,1000000/5m; 1,000,000 per 5 min = 3,333 checks/s;
                        none: Nagios alone)
  --warmup S            seconds after ready before the window (default 60)
  --window S            seconds measured (default 600)
  --http-fraction F     share of http checks, the rest tcp (default 0.5)
  --addresses N         loopback addresses 127.0.0.2... (default 10)
  --ports N             ports on each (default 10): N × M listener pairs
  --from dist|src|FILE  MAMORU_FROM for bin/mamoru.js (default dist: run \`npm run build\` first),
                        or a built entry run as \`node FILE start\` (OUTDIR/cli/main.js)
  --build               build the sources into a temp dir first and run that (dist/ untouched)
  --reader-path PATH    what the reader GETs every second (default /api/v1/status)
  --no-baseline         skip the 1-check daemon (then no RSS per check)
  --profile             run each daemon with --cpu-prof (whole run, start-up included) into
                        bench/out/prof/; summarise with bench/lib/prof-top.ts
  --no-peers            skip Nagios
  --install-peers       as root: apt-get install nagios4-core when /usr/sbin/nagios4 is missing
  --nagios-size N/INT   Nagios services and interval (default 20000/5m)
  --nagios-warmup S     (default: --warmup)   --nagios-window S  (default: --window)
  --help`;

const { values: a } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000/60s,100000/5m,1000000/5m' },
    warmup: { type: 'string', default: '60' },
    window: { type: 'string', default: '600' },
    'http-fraction': { type: 'string', default: '0.5' },
    addresses: { type: 'string', default: '10' },
    ports: { type: 'string', default: '10' },
    from: { type: 'string', default: 'dist' },
    build: { type: 'boolean', default: false },
    'reader-path': { type: 'string', default: '/api/v1/status' },
    'no-baseline': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    'no-peers': { type: 'boolean', default: false },
    'install-peers': { type: 'boolean', default: false },
    'nagios-size': { type: 'string', default: '20000/5m' },
    'nagios-warmup': { type: 'string' },
    'nagios-window': { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log(HELP);
  process.exit(0);
}
function num(k: keyof typeof a, min: number, max: number, v = a[k]): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`--${k} must be a number from ${min} to ${max}, got ${v}`);
  return n;
}
const sizes = a.sizes === 'none' ? [] : a.sizes!.split(',').map(parseSize);
const warmupS = num('warmup', 0, 3600);
const windowS = num('window', 5, 7200);
const httpFraction = num('http-fraction', 0, 1);
const addresses = num('addresses', 1, 250);
const ports = num('ports', 1, 100);
let from = a.from!;
if (from !== 'dist' && from !== 'src' && !existsSync(from)) throw new Error(`--from: dist, src or a built .js entry; no such file ${from}`);
const nagiosSize = parseSize(a['nagios-size']!);
const nagiosWarmupS = a['nagios-warmup'] === undefined ? warmupS : num('nagios-warmup', 0, 3600);
const nagiosWindowS = a['nagios-window'] === undefined ? windowS : num('nagios-window', 5, 7200);
const outDir = join(root, 'bench/out');
const progress = (s: string) => process.stderr.write(`${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const load = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** The newest mtime under src/ against dist/build-stamp: is dist/ older than the sources? */
function distState(): { built: boolean; stale: boolean } {
  const stamp = join(root, 'dist/build-stamp');
  if (!existsSync(stamp)) return { built: false, stale: true };
  const t = statSync(stamp).mtimeMs;
  const newer = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((e) => (e.isDirectory() ? newer(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs > t));
  return { built: true, stale: newer(join(root, 'src')) };
}

/**
 * `npm run build -- --outdir TMP/dist`: the sources as they are now, without touching dist/. The
 * bundle finds package.json, node_modules and its other files relative to its own directory's
 * parent, so TMP holds links to the repository's top-level entries beside the new dist/.
 */
function buildTemp(): string {
  const tmp = mkdtempSync(join(os.tmpdir(), 'mamoru-bench-scale-build-'));
  atExit(() => rmSync(tmp, { recursive: true, force: true }));
  for (const e of readdirSync(root)) if (e !== 'dist' && e !== '.git') symlinkSync(join(root, e), join(tmp, e));
  progress(`building the sources into ${tmp}/dist ...`);
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--outdir', join(tmp, 'dist')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(tmp, 'dist/cli/main.js');
}

/** A temp dir for one daemon: config, data/ (store, CLI token), removed at the end. */
function daemonDir(): { dir: string; data: string; remove: () => void } {
  const dir = mkdtempSync(join(os.tmpdir(), 'mamoru-bench-scale-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  atExit(remove);
  mkdirSync(join(dir, 'data'));
  return { dir, data: join(dir, 'data'), remove };
}

/** VmRSS (kB) of a 1-check daemon, 5 s after it is ready. */
async function baselineRss(pair: Listener): Promise<number> {
  const d = daemonDir();
  try {
    const webPort = await freePort();
    const config = join(d.dir, 'mamoru.yaml');
    writeBaselineConfig(config, { pair, dataDir: d.data, webPort });
    const daemon = await startDaemon({ config, cwd: d.dir, webPort, from });
    try {
      await sleep(5000);
      return treeRssKb(daemon.pid);
    } finally {
      await daemon.stop();
    }
  } finally {
    d.remove();
  }
}

async function runSize(size: Size, pairs: Listener[]): Promise<SizeResult> {
  const d = daemonDir();
  try {
    const webPort = await freePort();
    const config = writeConfig(join(d.dir, 'mamoru.yaml'), { size, pairs, httpFraction, dataDir: d.data, webPort });
    const base = { size, config: { ...config, file: undefined } };
    progress(`\n${size.label}: ${demand(size).toFixed(0)} checks/s demanded; ${config.tcp.toLocaleString('en-US')} tcp + ${config.http.toLocaleString('en-US')} http on ${config.targets} targets; scheduler concurrency ${config.concurrency}, per_host_concurrency ${config.perHost}, jitter 0; config ${(config.bytes / 1e6).toFixed(1)} MB; load ${load()}`);
    let daemon: Awaited<ReturnType<typeof startDaemon>>;
    try {
      const prof = a.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(outDir, 'prof')}`, `--cpu-prof-name=scale-${size.checks}-${size.intervalS}s-${Date.now()}.cpuprofile`] : [];
      daemon = await startDaemon({ config: config.file, cwd: d.dir, webPort, from, nodeArgs: prof });
    } catch (e) {
      const why = (e as Error).message;
      progress(`  NOT RUN: ${why.slice(0, 600)}`);
      return { ...base, skipped: why.slice(0, 2000) };
    }
    try {
      progress(`  ready in ${(daemon.ready.ms / 1000).toFixed(2)} s (${daemon.ready.cpu.toFixed(2)} CPU-s): ${daemon.ready.line}; reader on ${a['reader-path']}; warm-up ${warmupS} s ...`);
      const reader = startReader(daemon.url, cliTokenFile(d.data), a['reader-path']);
      await sleep(warmupS * 1000);
      const s0 = await scrape(daemon.url);
      const cpu0 = treeCpu(daemon.pid);
      const tc0 = Date.now();
      progress(`  window ${windowS} s (/metrics scrape ${s0.ms.toFixed(0)} ms, ${(s0.bytes / 1e6).toFixed(1)} MB); load ${load()} ...`);
      let rssKb = 0;
      const rssSamples: number[] = [];
      while (Date.now() - s0.at < windowS * 1000) {
        await sleep(Math.min(5000, windowS * 1000 - (Date.now() - s0.at)));
        const r = treeRssKb(daemon.pid);
        rssSamples.push(r);
        rssKb = r;
      }
      const cpu = treeCpu(daemon.pid) - cpu0;
      const cpuWindowS = (Date.now() - tc0) / 1000;
      const s1 = await scrape(daemon.url);
      const hwmKb = statusKb(daemon.pid, 'VmHWM');
      const readerFigures = await reader.stop();
      const loadEnd = load();
      await daemon.stop();
      const windowReal = (s1.at - s0.at) / 1000;
      const results = resultsBetween(s0, s1);
      progress(`  stopped; reading the store ...`);
      const stored = storeLag(join(d.data, 'mamoru.db'), s0.at, s1.at, size.intervalS * 1000);
      const loop = eventLoopMax(s1);
      return {
        ...base,
        ready: daemon.ready,
        windowS: windowReal,
        results,
        notOk: notOkBetween(s0, s1),
        perSecond: results === undefined ? undefined : results / windowReal,
        cpu,
        cpuWindowS,
        rssKb,
        rssPeakKb: Math.max(hwmKb, ...rssSamples),
        lagMetrics: lagBetween(s0, s1),
        lagStore: stored,
        eventLoop: loop,
        scrapeMs: [s0.ms, s1.ms],
        scrapeBytes: s1.bytes,
        reader: readerFigures,
        loadEnd,
      };
    } finally {
      await daemon.stop();
    }
  } finally {
    d.remove();
  }
}

async function main(): Promise<void> {
  if (!existsSync('/usr/sbin/nginx')) throw new Error('missing /usr/sbin/nginx (apt-get install nginx-light)');
  if (a.build) from = buildTemp();
  const dist = distState();
  if (from === 'dist' && !dist.built) throw new Error('dist/ is not built: run `npm run build` first (or --from src)');
  const distNote = from === 'dist' && dist.stale ? 'dist/ is older than some file under src/: the figures are of the last build (`npm run build` to measure the sources)' : undefined;
  if (distNote && sizes.length) progress(`NOTE: ${distNote}`);
  mkdirSync(outDir, { recursive: true });
  const started = new Date();
  const loadStart = load();
  progress(`bench/scale: ${os.cpus().length} cores, node ${process.version}, load ${loadStart}; warm-up ${warmupS} s, window ${windowS} s`);
  const listeners = await startListeners(addresses, ports);
  progress(`nginx (pid ${listeners.pid}) on ${listeners.pairs.length} pairs: ${listeners.pairs[0]!.address}-${listeners.pairs.at(-1)!.address} × ports ${listeners.pairs[0]!.port}-${listeners.pairs.at(-1)!.port}`);
  const results: SizeResult[] = [];
  let baselineKb: number | undefined;
  let nagios: NagiosFigures | undefined;
  let nagiosSkipped: string | undefined;
  try {
    if (!a['no-baseline']) {
      baselineKb = await baselineRss(listeners.pairs[0]!);
      progress(`1-check daemon: VmRSS ${(baselineKb / 1024).toFixed(1)} MB`);
    }
    for (const size of sizes) results.push(await runSize(size, listeners.pairs));
    if (a['no-peers']) nagiosSkipped = '--no-peers';
    else {
      nagiosSkipped = nagiosMissing(a['install-peers']!);
      if (nagiosSkipped) progress(`\nNagios skipped: ${nagiosSkipped}`);
      else {
        progress(`\nNagios 4: ${nagiosSize.label} check_tcp services (${demand(nagiosSize).toFixed(0)}/s); load ${load()}`);
        try {
          nagios = await runNagios(nagiosSize, listeners.pairs, nagiosWarmupS, nagiosWindowS, progress);
        } catch (e) {
          nagiosSkipped = `failed: ${(e as Error).message}`;
          progress(`Nagios ${nagiosSkipped}`);
        }
      }
    }
  } finally {
    await listeners.stop();
  }
  const verdicts = printReport({ results, baselineKb, nagios, nagiosSkipped, load: { start: loadStart, end: load() }, distNote: sizes.length ? distNote : undefined });
  const report = {
    date: started.toISOString(),
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, kernel: os.release() },
    settings: { sizes: sizes.map((s) => s.label), profile: a.profile, warmupS, windowS, httpFraction, listeners: listeners.pairs.length, from, readerPath: a['reader-path'], nagiosSize: nagiosSize.label, nagiosWarmupS, nagiosWindowS },
    ...(distNote ? { distNote } : {}),
    baselineKb,
    results,
    nagios,
    nagiosSkipped,
    verdicts,
  };
  const file = join(outDir, `scale-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, (_, v) => (v === Infinity ? 'Infinity' : v), 2)}\n`);
  writeFileSync(join(outDir, 'scale-latest.json'), `${JSON.stringify(report, (_, v) => (v === Infinity ? 'Infinity' : v), 2)}\n`);
  progress(`\nwritten: ${file}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
