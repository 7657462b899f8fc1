/**
 * The console at scale (issue 17's closing bench): `node --import tsx bench/web/pages.ts
 * [--checks 10000,100000] [--results 1000000] [--incidents 20000] [--bans 2000] [--requests 30]
 * [--lag-seconds 30] [--no-browser] [--db-dir DIR]`. Per check count: a store seeded through the store's API
 * (bench/web/seed.ts), then the real daemon (`bin/mamoru.js start`, its own process, sources
 * through tsx) on it with N tcp checks against a loopback listener, every check OK, the interval
 * N/30 s (about 30 runs a second), the per-host limit raised from 4 to 64 (every check has the one
 * host 127.0.0.1; with 4, runs slowed by a busy loop back up behind the host's limit). Measured:
 *  - server time of the overview's first page, a check page with its 24 h plot (minute rollups),
 *    the incident list and the guard page: wall time of each HTTP request on loopback with a
 *    logged-in session, median and p95 of `--requests` after 3 unmeasured ones;
 *  - first contentful paint of those pages in Chromium (median of 5 loads each);
 *  - the scheduler's lag (`mamoru_scheduler_lag_seconds` on /metrics: how late each run started
 *    after it was due) p99 over `--lag-seconds` with no client, then with 10 clients loading the
 *    four pages in a loop.
 * Goals: each page ≤ 300 ms (p95) at 100,000 checks; lag p99 with clients within 50 ms of without.
 * JSON goes to bench/out/web-pages-<time>.json.
 */
import type { ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { ADMIN_PASSWORD, login, type Session } from '../../test/web/console.ts';
import { logIn, openBrowser } from '../../test/web/browser.ts';
import { intervalFor, lagBuckets, lagP99, startDaemon } from './daemon.ts';
import { seedStore } from './seed.ts';

const { values: a } = parseArgs({ options: { checks: { type: 'string', default: '10000,100000' }, results: { type: 'string', default: '1000000' }, incidents: { type: 'string', default: '20000' }, bans: { type: 'string', default: '2000' }, requests: { type: 'string', default: '30' }, 'lag-seconds': { type: 'string', default: '30' }, 'no-browser': { type: 'boolean', default: false }, 'db-dir': { type: 'string' } } });
const REQUESTS = Math.max(30, Number(a.requests));
const LAG_S = Number(a['lag-seconds']);
const PAGES = { overview: '/', check: '/checks/t0000/c0?range=24h', incidents: '/incidents', guard: '/guard' } as const;
type PageName = keyof typeof PAGES;
const GOAL_MS = 300;
const LAG_GOAL_MS = 50;

const root = new URL('../..', import.meta.url).pathname;
const q = (xs: number[], p: number) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))]!;
};
const uptime = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function serverTimes(url: string, s: Session): Promise<Record<PageName, { median: number; p95: number; kib: number }>> {
  const out = {} as Record<PageName, { median: number; p95: number; kib: number }>;
  for (const [name, path] of Object.entries(PAGES) as [PageName, string][]) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < REQUESTS + 3; i++) {
      const t = performance.now();
      const r = await fetch(`${url}${path}`, { headers: { cookie: s.cookie, accept: 'text/html' } });
      const body = await r.text();
      if (i >= 3) times.push(performance.now() - t);
      if (r.status !== 200) throw new Error(`${path}: ${r.status} ${body.slice(0, 300)}`);
      bytes = Buffer.byteLength(body);
    }
    out[name] = { median: q(times, 0.5), p95: q(times, 0.95), kib: Math.round(bytes / 1024) };
    console.log(`  GET ${path}: median ${out[name].median.toFixed(1)} ms, p95 ${out[name].p95.toFixed(1)} ms, ${out[name].kib} KiB`);
  }
  return out;
}

async function paints(url: string): Promise<Record<PageName, number>> {
  const b = await openBrowser();
  const out = {} as Record<PageName, number>;
  try {
    const tab = await b.page();
    await logIn(tab, url, 'admin', ADMIN_PASSWORD);
    await tab.close();
    for (const [name, path] of Object.entries(PAGES) as [PageName, string][]) {
      const fcp: number[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await b.page();
        await p.goto(`${url}${path}`, { waitUntil: 'load' });
        const v = await p.evaluate(() => new Promise<number>((resolve) => {
          const e = performance.getEntriesByName('first-contentful-paint')[0];
          if (e) return resolve(e.startTime);
          new PerformanceObserver((l) => resolve(l.getEntries()[0]!.startTime)).observe({ type: 'paint', buffered: true });
        }));
        fcp.push(v);
        await p.close();
      }
      out[name] = q(fcp, 0.5);
      console.log(`  first contentful paint ${path}: median ${out[name].toFixed(0)} ms (5 loads)`);
    }
  } finally {
    await b.close();
  }
  return out;
}

async function lag(url: string, s: Session, due: number): Promise<{ idle: { p99: number; runs: number }; loaded: { p99: number; runs: number; pages: number; busy: number } }> {
  const window = async (clients: number) => {
    const before = await lagBuckets(url);
    const end = Date.now() + LAG_S * 1000;
    let pages = 0;
    let busy = 0;
    await Promise.all(Array.from({ length: clients }, async (_, c) => {
      for (let k = c; Date.now() < end; k++) {
        const r = await fetch(`${url}${Object.values(PAGES)[k % 4]}`, { headers: { cookie: s.cookie, accept: 'text/html' } });
        await r.arrayBuffer();
        // 503: the web's turn gate (src/web/turns.ts) had too many waiting; not a page.
        if (r.status === 503) busy++;
        else pages++;
      }
    }));
    if (clients === 0) await new Promise((r) => setTimeout(r, LAG_S * 1000));
    return { ...lagP99(before, await lagBuckets(url)), pages, busy };
  };
  const idle = await window(0);
  console.log(`  scheduler lag p99 without clients: ${idle.p99.toFixed(1)} ms (${idle.runs} runs in ${LAG_S} s, about ${due} due)`);
  const loaded = await window(10);
  console.log(`  scheduler lag p99 with 10 clients: ${loaded.p99.toFixed(1)} ms (${loaded.runs} runs, ${loaded.pages} pages, ${loaded.busy} answered 503 in ${LAG_S} s)`);
  return { idle, loaded };
}

const report: Record<string, unknown> = { started: new Date().toISOString(), cpus: cpus().length, node: process.version, load_at_start: uptime(), args: a, runs: [] as unknown[] };
const verdicts: { goal: string; value: string; pass: boolean }[] = [];
// Ctrl-C or a kill: no daemon or temp dir left behind.
const leftovers: { child?: ChildProcess | undefined; dir?: string } = {};
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    leftovers.child?.kill('SIGTERM');
    if (leftovers.dir) rmSync(leftovers.dir, { recursive: true, force: true });
    process.exit(130);
  });
}
for (const n of a.checks.split(',').map(Number)) {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-web-'));
  leftovers.dir = dir;
  const up = net.createServer((c) => c.end());
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  let child: ChildProcess | undefined;
  try {
    console.log(`${n.toLocaleString('en-US')} checks (load average ${uptime()})`);
    mkdirSync(join(dir, 'data'));
    // --db-dir keeps each check count's seeded store (named by its counts) for the next run.
    const kept = a['db-dir'] ? join(a['db-dir'], `web-${n}-${a.results}-${a.incidents}-${a.bans}.sqlite`) : undefined;
    let seeded: Record<string, number> = {};
    if (kept && existsSync(kept)) copyFileSync(kept, join(dir, 'data', 'mamoru.db'));
    else {
      seeded = await seedStore(join(dir, 'data', 'mamoru.db'), { checks: n, results: Number(a.results), incidents: Number(a.incidents), bans: Number(a.bans) }, Date.now(), console.log);
      if (kept) copyFileSync(join(dir, 'data', 'mamoru.db'), kept);
    }
    const t0 = performance.now();
    const d = await startDaemon(dir, n, (up.address() as AddressInfo).port);
    child = leftovers.child = d.child;
    const startMs = performance.now() - t0;
    console.log(`  daemon answering after ${(startMs / 1000).toFixed(1)} s; settling 10 s`);
    await new Promise((r) => setTimeout(r, 10_000));
    const s = await login(d.url, 'admin', ADMIN_PASSWORD);
    const load = uptime();
    const server = await serverTimes(d.url, s);
    const fcp = a['no-browser'] ? null : await paints(d.url);
    const lagFig = await lag(d.url, s, Math.round((n * LAG_S) / parseInt(intervalFor(n))));
    (report.runs as unknown[]).push({ checks: n, seeded_ms: seeded, daemon_start_ms: Math.round(startMs), load_at_measure: load, load_after: uptime(), server_ms: server, fcp_ms: fcp, lag_ms: lagFig });
    if (n >= 100_000) {
      for (const [name, f] of Object.entries(server)) verdicts.push({ goal: `${name} page ≤ ${GOAL_MS} ms (p95) at ${n.toLocaleString('en-US')} checks`, value: `${f.p95.toFixed(1)} ms`, pass: f.p95 <= GOAL_MS });
    }
    const dl = lagFig.loaded.p99 - lagFig.idle.p99;
    verdicts.push({ goal: `scheduler lag p99 with 10 clients within ${LAG_GOAL_MS} ms of none (${n.toLocaleString('en-US')} checks)`, value: `${lagFig.idle.p99.toFixed(1)} → ${lagFig.loaded.p99.toFixed(1)} ms (${dl >= 0 ? '+' : ''}${dl.toFixed(1)})`, pass: dl <= LAG_GOAL_MS });
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child!.once('exit', r));
    }
    up.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
for (const v of verdicts) console.log(`${v.pass ? 'PASS' : 'MISS'}  ${v.goal}: ${v.value}`);
report.verdicts = verdicts;
mkdirSync(join(root, 'bench', 'out'), { recursive: true });
const file = join(root, 'bench', 'out', `web-pages-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify(report, null, 2));
console.log(`JSON: ${file}`);
