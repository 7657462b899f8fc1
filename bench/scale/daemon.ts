/**
 * One `mamoru start` of bench/scale and what is read from outside it: when it is ready (its
 * "watching N targets" log line), the CPU and RSS of its whole process tree from /proc, and a
 * reader that asks the web API for the status every second with the command line's token, as an
 * operator's dashboard would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLK_TCK, stopChild, track } from '../lib/procs.ts';

const BIN = fileURLToPath(new URL('../../bin/mamoru.js', import.meta.url));

/** pid → parent pid of every process now (a process gone between listing and reading is skipped). */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      out.set(Number(name), Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** `root` and every live descendant of it. */
export function processTree(root: number): number[] {
  const pp = parents();
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of pp) if (ppid === tree[i] && !tree.includes(pid)) tree.push(pid);
  return tree;
}

/**
 * CPU seconds of a process tree: utime + stime of each live member plus cutime + cstime (its
 * children that exited and were reaped, e.g. Nagios plugins reaped by its workers).
 */
export function treeCpu(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      /* exited meanwhile: its time is now in its parent's cutime */
    }
  }
  return ticks / CLK_TCK;
}

/** One field of /proc/PID/status in kB (VmRSS, VmHWM), 0 when the process is gone. */
export function statusKb(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** VmRSS of a whole tree, kB. */
export const treeRssKb = (root: number) => processTree(root).reduce((s, pid) => s + statusKb(pid, 'VmRSS'), 0);

export interface Daemon {
  child: ChildProcess;
  pid: number;
  /** ms from spawn to the "watching" line (its own clock), and the CPU seconds used by then. */
  ready: { ms: number; cpu: number; line: string };
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `node bin/mamoru.js start -c config` and resolves when the log says it is watching its
 * targets and /healthz answers. `from` is MAMORU_FROM (dist or src) for bin/mamoru.js, or a
 * built entry (`OUTDIR/cli/main.js` of `npm run build -- --outdir OUTDIR`) run as `node FILE start`.
 */
export async function startDaemon(o: { config: string; cwd: string; webPort: number; from: string; nodeArgs?: string[]; timeoutMs?: number }): Promise<Daemon> {
  const epoch0 = Date.now();
  const entry = o.from === 'dist' || o.from === 'src' ? BIN : o.from;
  const child = track(spawn(process.execPath, [...(o.nodeArgs ?? []), entry, 'start', '-c', o.config], { cwd: o.cwd, env: { ...process.env, MAMORU_FROM: o.from }, stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr = (stderr + s).slice(-8000)));
  let ready: Daemon['ready'] | undefined;
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    const lines = (partial + s).split('\n');
    partial = lines.pop()!.slice(-100_000);
    for (const line of lines) {
      if (ready) continue;
      const m = /"time":(\d+).*"msg":"(mamoru \S+ watching[^"]*)"/.exec(line);
      if (m) ready = { ms: Number(m[1]) - epoch0, cpu: treeCpu(child.pid!), line: m[2]! };
      else if (/"level":(50|60)/.test(line)) stderr = (stderr + line + '\n').slice(-8000);
    }
  });
  const url = `http://127.0.0.1:${o.webPort}`;
  const deadline = Date.now() + (o.timeoutMs ?? 15 * 60_000);
  const stop = () => stopChild(child, 20_000);
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`mamoru exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${stderr.trim().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`mamoru was not ready in ${(o.timeoutMs ?? 900_000) / 1000} s:\n${stderr.slice(-2000)}`);
      if (ready && (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false))) break;
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { child, pid: child.pid!, ready: ready!, url, stderr: () => stderr, stop };
}

export interface ReaderFigures {
  requests: number;
  failed: number;
  firstFailure?: string;
  p50Ms: number;
  maxMs: number;
}

/**
 * Asks `path` every second (a request at a time: a slow answer delays the next) with the token
 * the daemon wrote for this machine's command line, until stopped.
 */
export function startReader(url: string, tokenFile: string, path = '/api/v1/status'): { stop(): Promise<ReaderFigures> } {
  const times: number[] = [];
  let failed = 0;
  let firstFailure: string | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      try {
        const token = existsSync(tokenFile) ? readFileSync(tokenFile, 'utf8').trim() : '';
        const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
        await res.arrayBuffer();
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        times.push(performance.now() - t0);
      } catch (e) {
        failed++;
        firstFailure ??= (e as Error).message;
      }
      const wait = 1000 - (performance.now() - t0);
      if (running && wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      const s = [...times].sort((x, y) => x - y);
      return { requests: times.length + failed, failed, ...(firstFailure ? { firstFailure } : {}), p50Ms: s[Math.floor((s.length - 1) / 2)] ?? NaN, maxMs: s.at(-1) ?? NaN };
    },
  };
}

/** The token file the daemon writes beside its SQLite file (auth.cli_token_file's default). */
export const cliTokenFile = (dataDir: string) => join(dataDir, 'cli.token');
