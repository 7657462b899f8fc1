/**
 * Process facts the lab's daemons need: is it running (a zombie is not: PID 1 reaps slowly on
 * these machines), wait for a port to answer or a condition, read a pid file, find a daemon's
 * processes (by parentage or by namespace), and a self-signed certificate for TLS daemons.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
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

/** Whether ip:port accepts a TCP connection from here (the monitor) right now. */
export function acceptsTcp(ip: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    s.setTimeout(timeoutMs, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Resolves once ip:port accepts a TCP connection from here (the monitor). */
export function waitForTcp(ip: string, port: number, timeoutMs = 15_000): Promise<true> {
  return waitFor(`${ip}:${port} to accept connections`, () => acceptsTcp(ip, port), timeoutMs);
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

/**
 * A self-signed EC certificate for `cn` written as `<name>.crt` / `<name>.key` in dir, valid 30
 * days. Shared by the lab's TLS daemons (vsftpd too).
 */
export function makeSelfSignedCert(dir: string, name: string, cn: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '30', '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return { cert, key };
}

/** Every descendant of a process (Dovecot's log, auth and login processes; vsftpd's sessions), from /proc. */
export function descendantsOf(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    /* gone */
  }
  return kids.flatMap((k) => [k, ...descendantsOf(k)]);
}

/**
 * Processes in a namespace running one of these programs. A daemon's family by parentage misses
 * a child forked just as the master died (it is reparented to PID 1) that still holds the
 * listening socket: connections would be accepted and reset instead of refused.
 */
export function namespacePids(ns: string, programs: string[]): number[] {
  const out = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => {
      try {
        const exe = readlinkSync(`/proc/${pid}/exe`);
        return programs.some((p) => exe === p || (p.endsWith('/') && exe.startsWith(p)));
      } catch {
        return false;
      }
    });
}
