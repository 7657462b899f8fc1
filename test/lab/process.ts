/**
 * Process facts the lab's daemons need: is it running (a zombie is not: PID 1 reaps slowly on
 * these machines), wait for a port to answer, wait for a condition, read a pid file.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** True while the process exists and is not a zombie. */
export function isRunning(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Polls until fn returns a value other than undefined/false, or throws with `what` after the timeout. */
export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves once ip:port accepts a TCP connection from here (the monitor). */
export function waitForTcp(ip: string, port: number, timeoutMs = 15_000): Promise<true> {
  return waitFor(`${ip}:${port} to accept connections`, () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect({ host: ip, port });
      s.setTimeout(1000, () => {
        s.destroy();
        resolve(false);
      });
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    }),
  timeoutMs);
}

/** Sends a signal to every pid given, ignoring the ones already gone. */
export function killAll(pids: (number | undefined)[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    if (!pid) continue;
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}
