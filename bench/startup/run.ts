/**
 * Start-up bench: how long from spawning `mamoru start` until it works, for a config of N tcp
 * checks against a local listener (and, as root with nft, a guard jail whose stored bans must come
 * back into the kernel).
 *
 *   node --import tsx bench/startup/run.ts [--checks 1,1000] [--runs 5] [--from dist,src] [--bans 10]
 *
 * `--from` lists what is started, each run of each in turn (so load from other work on the
 * machine falls on all alike): `dist` and `src` are `bin/mamoru.js` with MAMORU_FROM=dist|src; a
 * path to a .js file is run as `node FILE start` (a build kept elsewhere, e.g. the one before a
 * change: `npm run build -- --outdir /tmp/before`).
 *
 * Per run, from just before the spawn, the wall time and the CPU seconds the daemon had used
 * (user + system from /proc/PID/stat, read when the event is seen; the start is mostly one
 * thread, so the CPU figure is what the wall time tends to on an idle machine, and the only one
 * that other load barely moves):
 *   bans:  (`--bans N`, root and nft) the guard's N stored bans all back in the kernel set, after
 *          the bench deleted the daemon's table before the spawn (`nft -j list set`, polled)
 *   first: the listener's first accepted connection: a check ran. The scheduler runs each check at
 *          a phase of its interval hashed from its id, so the first run comes after the scheduler
 *          starts plus up to interval/N: the interval is 1m for N checks (60 ms apart at 1,000)
 *          and 1s for a single check.
 *   ready: the daemon's "watching N targets" log line (its own clock)
 *   web:   the first 200 from GET /healthz (polled every 10 ms)
 * Prints median (min-max) over the runs. `npm run build` first for dist/.
 */
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/mamoru.js', import.meta.url));
const TABLE = 'mamoru_startup_bench';
const TIMEOUT_MS = 600_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const checkCounts = arg('checks', '1,1000').split(',').map(Number);
const runs = Number(arg('runs', '5'));
const froms = arg('from', 'dist,src').split(',');
const banCount = Number(arg('bans', '0'));
if (checkCounts.some((n) => !(n >= 1 && n <= 100_000)) || !(runs >= 1 && runs <= 50) || !(banCount >= 0 && banCount <= 10_000)) {
  throw new Error('usage: --checks N[,N] (1-100000) --runs N (1-50) --from dist,src,FILE.js --bans N (0-10000)');
}
for (const f of froms) {
  if (f === 'dist' && !existsSync(fileURLToPath(new URL('../../dist/build-stamp', import.meta.url)))) throw new Error('dist/ is not built: run `npm run build` first');
  if (f !== 'dist' && f !== 'src' && !existsSync(f)) throw new Error(`--from: no such file ${f}`);
}

/** argv and environment that start `from`. */
function command(from: string, args: string[]): { argv: string[]; env: NodeJS.ProcessEnv } {
  if (from === 'dist' || from === 'src') return { argv: [BIN, ...args], env: { ...process.env, MAMORU_FROM: from } };
  return { argv: [resolve(from), ...args], env: process.env };
}

const freePort = () =>
  new Promise<number>((done) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => done(port));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time a process has used so far, in ms (Linux: utime + stime in clock ticks of 10 ms). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

interface Seen {
  wall: number;
  cpu: number;
}

/** The listener the checks connect to; `first` is when the first connection came (and the daemon's CPU then). */
async function listener(): Promise<{ port: number; first: () => Seen | undefined; reset: (pid: number | undefined, t0: number) => void; close: () => void }> {
  let first: Seen | undefined;
  let pid: number | undefined;
  let t0 = 0;
  const server = net.createServer((s) => {
    if (!first && pid !== undefined) first = { wall: performance.now() - t0, cpu: cpuMs(pid) };
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    first: () => first,
    reset: (p, t) => {
      first = undefined;
      pid = p;
      t0 = t;
    },
    close: () => server.close(),
  };
}

function config(dir: string, checks: number, target: number, webPort: number, guardLog?: string): string {
  const lines = [
    `defaults: { interval: ${checks === 1 ? '1s' : '1m'}, timeout: 5s }`,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }`,
    `web: { host: 127.0.0.1, port: ${webPort} }`,
    'log: { level: info }',
    'targets:',
  ];
  // At most 1,000 checks a target (the schema allows 10,000): 50,000 checks are 50 targets.
  for (let i = 0; i < checks; i++) {
    if (i % 1000 === 0) lines.push(`  - name: bench${i === 0 ? '' : `-${i / 1000 + 1}`}`, '    address: 127.0.0.1', '    checks:');
    lines.push(`      - { type: tcp, name: c${i}, port: ${target} }`);
  }
  if (guardLog) {
    lines.push(
      'guard:',
      `  firewall: { type: nftables, table: ${TABLE} }`,
      `  state_dir: ${join(dir, 'guard')}`,
      '  allow_ssh_session: false',
      '  cut_connections: false',
      '  connection_table: { enabled: false }',
      '  enrich: { whois: { enabled: false } }',
      '  jails:',
      `    - { name: ssh, target: bench, filters: [sshd], sources: [{ type: file, paths: ['${guardLog}'] }], time_zone: UTC, max_retry: 3, find_time: 10m, ban_time: 1d }`,
    );
  }
  return lines.join('\n') + '\n';
}

/** How many of the bench's addresses are in the kernel set now (0 when the table is not there). */
function bansInKernel(): Promise<number> {
  return new Promise((done) =>
    execFile('nft', ['-j', 'list', 'set', 'inet', TABLE, 'ban4'], { encoding: 'utf8' }, (err, out) => done(err ? 0 : (out.match(/198\.18\./g) ?? []).length)),
  );
}
const dropTable = () => {
  try {
    execFileSync('nft', ['delete', 'table', 'inet', TABLE], { stdio: 'ignore' });
  } catch {
    /* not there */
  }
};

interface Run {
  bans?: Seen;
  first: Seen;
  ready: Seen;
  web: number;
}

async function once(from: string, cfg: string, webPort: number, target: Awaited<ReturnType<typeof listener>>, withBans: boolean): Promise<Run> {
  if (withBans) dropTable();
  const { argv, env } = command(from, ['start', '-c', cfg]);
  const t0 = performance.now();
  const epoch0 = Date.now();
  const child: ChildProcess = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  target.reset(child.pid, t0);
  let stderr = '';
  const result: Partial<Run> = {};
  let partial = '';
  child.stdout!.on('data', (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!.slice(-100_000);
    for (const line of lines) {
      const m = /"time":(\d+).*"msg":"mamoru \S+ watching/.exec(line);
      if (m && result.ready === undefined) result.ready = { wall: Number(m[1]) - epoch0, cpu: cpuMs(child.pid) };
    }
  });
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  // The kernel set, watched on its own: each look is a spawn of nft (~15 ms).
  let watching = withBans;
  const bansWatch = (async () => {
    while (watching && result.bans === undefined) {
      if ((await bansInKernel()) >= banCount) result.bans = { wall: performance.now() - t0, cpu: cpuMs(child.pid) };
      else await sleep(5);
    }
  })();
  try {
    while (target.first() === undefined || result.web === undefined || result.ready === undefined || (withBans && result.bans === undefined)) {
      if (child.exitCode !== null) throw new Error(`mamoru exited (${child.exitCode}):\n${stderr}`);
      if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`no start within ${TIMEOUT_MS} ms:\n${stderr}`);
      if (result.web === undefined) {
        const ok = await fetch(`http://127.0.0.1:${webPort}/healthz`, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) result.web = performance.now() - t0;
      }
      await sleep(10);
    }
  } finally {
    watching = false;
    await bansWatch;
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
  return { ...result, first: target.first()! } as Run;
}

/** median (min-max) in seconds. */
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => (x / 1000).toFixed(2);
  return `${f(s[Math.floor((s.length - 1) / 2)]!)} (${f(s[0]!)}-${f(s.at(-1)!)})`;
};

const withBans = banCount > 0;
if (withBans && process.getuid?.() !== 0) throw new Error('--bans needs root (nft)');
const target = await listener();
const name = (f: string) => (f === 'dist' || f === 'src' ? f : f.replace(/\/cli\/main\.js$|\/mamoru\.js$/, ''));
const width = Math.max(6, ...froms.map((f) => name(f).length));
console.log(`start-up: seconds from spawn, median (min-max) of ${runs} runs after 1 warm-up each; wall, and the daemon's CPU at that moment; node ${process.version}, load ${(await import('node:os')).loadavg()[0]!.toFixed(1)}`);
const cols = ['checks', ...(withBans ? [`${banCount} bans wall`, 'bans cpu'] : []), 'first check wall', 'first cpu', 'ready wall', 'ready cpu', 'web wall'];
console.log(['from'.padEnd(width), ...cols.map((c, i) => (i === 0 ? c.padStart(6) : c.padEnd(16)))].join('  '));
try {
  for (const checks of checkCounts) {
    const dir = mkdtempSync(join(tmpdir(), 'mamoru-startup-'));
    try {
      const webPort = await freePort();
      const guardLog = withBans ? join(dir, 'auth.log') : undefined;
      if (guardLog) writeFileSync(guardLog, '');
      const cfg = join(dir, 'mamoru.yaml');
      writeFileSync(cfg, config(dir, checks, target.port, webPort, guardLog));
      if (withBans) {
        dropTable();
        for (let i = 0; i < banCount; i++) {
          const { argv, env } = command(froms[0]!, ['bans', 'add', `198.18.${i >> 8}.${(i & 255) + 1}`, '-c', cfg, '--reason', 'bench']);
          execFileSync(process.execPath, argv, { stdio: 'ignore', env });
        }
      }
      const all = new Map<string, Run[]>(froms.map((f) => [f, []]));
      for (const from of froms) await once(from, cfg, webPort, target, withBans); // warm-up: page cache, store migrated, first user
      for (let i = 0; i < runs; i++) for (const from of froms) all.get(from)!.push(await once(from, cfg, webPort, target, withBans));
      for (const from of froms) {
        const rs = all.get(from)!;
        const cells = [
          ...(withBans ? [stats(rs.map((r) => r.bans!.wall)), stats(rs.map((r) => r.bans!.cpu))] : []),
          stats(rs.map((r) => r.first.wall)),
          stats(rs.map((r) => r.first.cpu)),
          stats(rs.map((r) => r.ready.wall)),
          stats(rs.map((r) => r.ready.cpu)),
          stats(rs.map((r) => r.web)),
        ];
        console.log([name(from).padEnd(width), String(checks).padStart(6), ...cells.map((c) => c.padEnd(16))].join('  '));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  target.close();
  if (withBans) dropTable();
}
