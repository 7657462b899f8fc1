/**
 * Start-up bench: how long from spawning `mamoru start` until it works, compiled (dist/) against
 * the sources through tsx, for a config of N tcp checks against a local listener.
 *
 *   node --import tsx bench/startup/run.ts [--checks 1,1000] [--runs 5] [--from dist,src] [--bans 100]
 *
 * Per run, from just before the spawn:
 *   first check: the listener's first accepted connection (a tcp check ran, seen from outside).
 *                The scheduler runs each check at a phase of its interval hashed from its id, so
 *                the first run comes after readiness plus up to interval/N: the interval is 1m
 *                for N checks (about 60 ms apart at 1,000) and 1s for a single check.
 *   ready:       the daemon's "watching N targets" log line (its own clock, epoch ms)
 *   cpu@ready:   CPU seconds (user + system, /proc/PID/stat) the daemon had used when that line
 *                came: what the wall figures tend to on an idle machine, as the start is mostly
 *                one thread; the only figure here that other load on the machine barely moves
 *   web:         the first 200 from GET /healthz (polled every 10 ms)
 *   bans:        (as root with nft, `--bans N`) the guard's N stored bans back in the kernel set,
 *                after the bench deleted mamoru's table before the spawn (polled with `nft`)
 * Prints each figure's min / median / max over the runs. `npm run build` first for dist/.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/mamoru.js', import.meta.url));
const TABLE = 'mamoru_startup_bench';
const TIMEOUT_MS = 120_000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}
const checkCounts = arg('checks', '1,1000').split(',').map(Number);
const runs = Number(arg('runs', '5'));
const froms = arg('from', 'dist,src').split(',') as ('dist' | 'src')[];
const banCount = Number(arg('bans', '0'));
if (checkCounts.some((n) => !(n >= 1 && n <= 100_000)) || !(runs >= 1 && runs <= 50) || !(banCount >= 0 && banCount <= 10_000)) {
  throw new Error('usage: --checks N[,N] (1-100000) --runs N (1-50) --from dist,src --bans N (0-10000)');
}
if (froms.includes('dist') && !existsSync(fileURLToPath(new URL('../../dist/build-stamp', import.meta.url)))) {
  throw new Error('dist/ is not built: run `npm run build` first');
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The listener the checks connect to; `first` is when the first connection came. */
async function listener(): Promise<{ port: number; first: () => number | undefined; reset: () => void; close: () => void }> {
  let first: number | undefined;
  const server = net.createServer((s) => {
    first ??= performance.now();
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, first: () => first, reset: () => (first = undefined), close: () => server.close() };
}

function config(dir: string, checks: number, target: number, webPort: number, guardLog?: string): string {
  const lines = [
    `defaults: { interval: ${checks === 1 ? '1s' : '1m'}, timeout: 5s }`,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }`,
    `web: { host: 127.0.0.1, port: ${webPort} }`,
    'log: { level: info }',
    'targets:',
    '  - name: bench',
    '    address: 127.0.0.1',
    '    checks:',
  ];
  for (let i = 0; i < checks; i++) lines.push(`      - { type: tcp, name: c${i}, port: ${target} }`);
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
function bansInKernel(): number {
  try {
    const out = execFileSync('nft', ['-j', 'list', 'set', 'inet', TABLE, 'ban4'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return (out.match(/198\.18\./g) ?? []).length;
  } catch {
    return 0;
  }
}
const dropTable = () => {
  try {
    execFileSync('nft', ['delete', 'table', 'inet', TABLE], { stdio: 'ignore' });
  } catch {
    /* not there */
  }
};

interface Run {
  first: number;
  ready: number;
  cpu: number;
  web: number;
  bans?: number;
}

async function once(from: 'dist' | 'src', cfg: string, webPort: number, target: Awaited<ReturnType<typeof listener>>, withBans: boolean): Promise<Run> {
  if (withBans) dropTable();
  target.reset();
  const t0 = performance.now();
  const epoch0 = Date.now();
  const child: ChildProcess = spawn(process.execPath, [BIN, 'start', '-c', cfg], {
    env: { ...process.env, MAMORU_FROM: from },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  const result: Partial<Run> = {};
  let partial = '';
  child.stdout!.on('data', (d) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop()!.slice(-100_000);
    for (const line of lines) {
      const m = /"time":(\d+).*"msg":"mamoru \S+ watching/.exec(line);
      if (m && result.ready === undefined) {
        result.ready = Number(m[1]) - epoch0;
        result.cpu = cpuMs(child.pid!);
      }
    }
  });
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  try {
    while (result.first === undefined || result.web === undefined || result.ready === undefined || (withBans && result.bans === undefined)) {
      if (child.exitCode !== null) throw new Error(`mamoru exited (${child.exitCode}):\n${stderr}`);
      if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`no start within ${TIMEOUT_MS} ms:\n${stderr}`);
      const first = target.first();
      if (result.first === undefined && first !== undefined) result.first = first - t0;
      if (result.web === undefined) {
        const ok = await fetch(`http://127.0.0.1:${webPort}/healthz`, { signal: AbortSignal.timeout(500) }).then(
          (r) => r.status === 200,
          () => false,
        );
        if (ok) result.web = performance.now() - t0;
      }
      if (withBans && result.bans === undefined && bansInKernel() >= banCount) result.bans = performance.now() - t0;
      await sleep(10);
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
  return result as Run;
}

/** CPU time a process has used so far, in ms (Linux: utime + stime in clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const f = (x: number) => (x / 1000).toFixed(2);
  return `${f(s[0]!)} / ${f(s[Math.floor((s.length - 1) / 2)]!)} / ${f(s.at(-1)!)}`;
};

const withBans = banCount > 0;
if (withBans && process.getuid?.() !== 0) throw new Error('--bans needs root (nft)');
const target = await listener();
console.log(`start-up, seconds from spawn (min / median / max of ${runs} runs, 1 warm-up), node ${process.version}`);
console.log('from  checks  cpu@ready            ready                first check          web answering        ' + (withBans ? `${banCount} bans in kernel` : ''));
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
          execFileSync(process.execPath, [BIN, 'bans', 'add', `198.18.${i >> 8}.${(i & 255) + 1}`, '-c', cfg, '--reason', 'bench'], { stdio: 'ignore', env: { ...process.env, MAMORU_FROM: 'dist' } });
        }
      }
      for (const from of froms) {
        await once(from, cfg, webPort, target, withBans); // warm-up: page cache, store migrated
        const rs: Run[] = [];
        for (let i = 0; i < runs; i++) rs.push(await once(from, cfg, webPort, target, withBans));
        const bans = withBans ? stats(rs.map((r) => r.bans!)) : '';
        console.log(`${from.padEnd(5)} ${String(checks).padStart(6)}  ${stats(rs.map((r) => r.cpu)).padEnd(20)} ${stats(rs.map((r) => r.ready)).padEnd(20)} ${stats(rs.map((r) => r.first)).padEnd(20)} ${stats(rs.map((r) => r.web)).padEnd(20)} ${bans}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  target.close();
  if (withBans) dropTable();
}
