/**
 * The doctor's vocabulary: a check's finding (✓ fine, ✗ broken with exactly what to fix, !
 * worth a look), what every group of checks is given, and the two ways it touches the machine:
 * programs run as argv arrays with a timeout, and file access tried as the service's user when
 * one is named (through setpriv, so that user's groups count as they will for the daemon).
 */
import { execFile } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import type { Config } from '../config/schema.ts';

export type Mark = 'ok' | 'fail' | 'warn';
export const MARKS: Record<Mark, string> = { ok: '✓', fail: '✗', warn: '!' };

export interface Finding {
  /** The group it belongs to: config, store, firewall, icmp, logs, ssh, smtp, webhooks, clock, web. */
  group: string;
  mark: Mark;
  /** One line: what was checked and what was found. */
  text: string;
  /** For ✗ (and some !): exactly what to do. */
  fix?: string | undefined;
}

export interface DoctorContext {
  cfg: Config;
  configFile: string;
  /** The user file access is tried as (`--user`); undefined: the user running doctor. */
  user: Account | undefined;
  /** Bound on every network step and program. */
  timeoutMs: number;
}

/** A system user as the daemon will be: its ids and home (where `~` in the config points). */
export interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface RunOutcome {
  /** Exit status; null when the program could not start, or was killed at the timeout. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it could not start (ENOENT: not installed), when it could not. */
  error?: string | undefined;
}

/** Runs one argv, never through a shell, killed at the timeout; output bounded. */
export function runArgv(argv: readonly string[], timeoutMs: number): Promise<RunOutcome> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs, maxBuffer: 1024 * 1024, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout: String(stdout), stderr: String(stderr) });
      const e = err as NodeJS.ErrnoException & { code?: unknown; killed?: boolean };
      if (typeof e.code === 'string') return resolve({ code: null, stdout: '', stderr: '', error: e.code });
      resolve({ code: e.killed ? null : typeof e.code === 'number' ? e.code : null, stdout: String(stdout), stderr: String(stderr), ...(e.killed ? { error: 'timed out' } : {}) });
    });
  });
}

/** The first line a program said about its failure, for a finding's text. */
export const firstLine = (r: RunOutcome) => (r.error ?? (r.stderr.trim() || r.stdout.trim()).split('\n')[0] ?? `exit ${r.code}`).slice(0, 200);

/** argv prefix that runs a program as the account (its primary group and supplementary groups). */
export const asUser = (a: Account | undefined): string[] => (a ? ['setpriv', `--reuid=${a.uid}`, `--regid=${a.gid}`, '--init-groups', '--'] : []);

/** Looks up a user as getent sees it; undefined when there is none. */
export async function account(name: string, timeoutMs: number): Promise<Account | undefined> {
  const r = await runArgv(['getent', 'passwd', name], timeoutMs);
  const f = r.code === 0 ? r.stdout.trim().split('\n')[0]!.split(':') : [];
  if (f.length < 7) return undefined;
  return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
}

/**
 * Whether the account (or this process) may read / write / enter a path. This process tries a
 * real non-blocking open for reading; for another user `test` runs as that user.
 */
export async function mayAccess(ctx: Pick<DoctorContext, 'user' | 'timeoutMs'>, path: string, how: 'r' | 'w'): Promise<boolean> {
  if (ctx.user) return (await runArgv([...asUser(ctx.user), 'test', `-${how}`, path], ctx.timeoutMs)).code === 0;
  try {
    closeSync(openSync(path, (how === 'r' ? constants.O_RDONLY : constants.O_WRONLY) | constants.O_NONBLOCK | constants.O_NOCTTY));
    return true;
  } catch (e) {
    // A directory opened for writing says EISDIR: its write test is the store check's own.
    return (e as NodeJS.ErrnoException).code === 'EISDIR' && how === 'r';
  }
}

/** Who the checks read and write as, in words. */
export const whom = (ctx: Pick<DoctorContext, 'user'>) => (ctx.user ? `user ${ctx.user.name}` : process.getuid?.() === 0 ? 'root' : `uid ${process.getuid?.()}`);

/** `~` as the daemon's user will see it. */
export function expandHome(path: string, ctx: Pick<DoctorContext, 'user'>, home: string): string {
  const h = ctx.user?.home ?? home;
  return path === '~' ? h : path.startsWith('~/') ? h + path.slice(1) : path;
}

/** A group of checks: one file each under src/doctor/. */
export type CheckGroup = (ctx: DoctorContext) => Promise<Finding[]>;
