/**
 * The bench daemon of bench/web (pages.ts, lag.ts): the real `bin/mamoru.js start` in its own
 * process on a store file, with N tcp checks against a loopback listener, and the scheduler lag
 * read from its /metrics. Shared so the two benches measure the same daemon the same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_PASSWORD } from '../../test/web/console.ts';
import { bucketQuantile } from '../lib/histogram.ts';
import { freePort } from '../lib/procs.ts';
import { manyChecks } from './many-checks.ts';

const root = new URL('../..', import.meta.url).pathname;

/** The check interval for N checks: about 30 runs a second (N/30 s), at least 60 s. */
export const intervalFor = (n: number) => `${Math.max(60, Math.round(n / 30))}s`;

/**
 * Starts the daemon on `dir/data/mamoru.db` with `n` checks to 127.0.0.1:`upPort` and waits for
 * /healthz. Every check has the one host 127.0.0.1, so the per-host limit is raised from 4 to 64
 * (with 4, runs slowed by a busy loop back up behind the host's limit). `nodeArgs` go before the
 * script (`--cpu-prof`, `--trace-gc`); `stdout: 'pipe'` keeps the daemon's stdout readable (--trace-gc).
 */
export async function startDaemon(dir: string, n: number, upPort: number, o: { nodeArgs?: string[]; stdout?: 'ignore' | 'pipe' } = {}): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const port = await freePort();
  const cfg = join(dir, 'mamoru.yaml');
  const interval = intervalFor(n);
  writeFileSync(cfg, `defaults: { interval: ${interval}, timeout: 2s }\nstore: { type: sqlite, path: ${join(dir, 'data', 'mamoru.db')} }\nweb: { port: ${port} }\nlog: { level: warn }\nscheduler: { per_host_concurrency: 64 }\ntargets:\n${manyChecks({ targets: n / 10, perTarget: 10, upPort, deadPort: upPort, interval })}\n`);
  const child = spawn(process.execPath, [...(o.nodeArgs ?? []), join(root, 'bin', 'mamoru.js'), 'start', '-c', cfg], { cwd: dir, env: { ...process.env, MAMORU_FROM: 'src', MAMORU_ADMIN_PASSWORD: ADMIN_PASSWORD }, stdio: ['ignore', o.stdout ?? 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the daemon exited (${child.exitCode}): ${err}`);
    if (Date.now() > deadline) throw new Error(`the daemon did not answer in 15 min: ${err}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) {
      // The port came from freePort() and was free a moment ago; on a shared machine another
      // daemon (another bench's, with the same admin password) may have taken it meanwhile. Only
      // our own child with our N checks counts: a stranger's figures would be measured instead.
      const configured = await configuredChecks(url);
      if (child.exitCode !== null || configured !== n) throw new Error(`the daemon on ${url} is not ours (${configured} checks configured, ${n} expected; our child ${child.exitCode === null ? 'runs' : `exited ${child.exitCode}`}): ${err}`);
      return { child, url, stderr: () => err };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `mamoru_scheduler_configured_checks` on the daemon's /metrics. */
export async function configuredChecks(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^mamoru_scheduler_configured_checks (\d+)/m.exec(text);
  return m ? Number(m[1]) : NaN;
}

/** Stops the daemon (SIGTERM) and waits for it to exit. */
export async function stopDaemon(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/** The lag histogram's cumulative buckets from /metrics: upper bound (s) → count. */
export async function lagBuckets(url: string): Promise<Map<number, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<number, number>();
  for (const m of text.matchAll(/^mamoru_scheduler_lag_seconds_bucket\{le="([^"]+)"\} (\d+)/gm)) out.set(m[1] === '+Inf' ? Infinity : Number(m[1]), Number(m[2]));
  if (out.size === 0) throw new Error('/metrics has no mamoru_scheduler_lag_seconds');
  return out;
}

/** A quantile (ms) of the runs between two scrapes, interpolated within its bucket; and how many runs. */
export function lagQuantile(before: Map<number, number>, after: Map<number, number>, p: number): { ms: number; runs: number } {
  const bounds = [...after.keys()].sort((x, y) => x - y);
  const counts = bounds.map((b) => after.get(b)! - (before.get(b) ?? 0));
  const runs = counts[counts.length - 1]!;
  return { ms: bucketQuantile(bounds, counts, p) * 1000, runs };
}

/** p99 (ms) of the runs between two scrapes, and how many runs (pages.ts's figure). */
export function lagP99(before: Map<number, number>, after: Map<number, number>): { p99: number; runs: number } {
  const q = lagQuantile(before, after, 0.99);
  return { p99: q.ms, runs: q.runs };
}

/** The lowest bucket bound that holds every run between two scrapes (ms): the max, to a bucket. */
export function lagMaxBound(before: Map<number, number>, after: Map<number, number>): number {
  const bounds = [...after.keys()].sort((x, y) => x - y);
  const runs = after.get(Infinity)! - (before.get(Infinity) ?? 0);
  for (const b of bounds) if (after.get(b)! - (before.get(b) ?? 0) >= runs) return b * 1000;
  return Infinity;
}
