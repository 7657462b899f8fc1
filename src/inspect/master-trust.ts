/**
 * Which process really is a daemon's master, when anyone with a shell on the server can start a
 * process with the same name (`/home/u/bin/apache2 -f /etc/apache2/apache2.conf`). Only a master
 * mamoru can trust gives words to act on (its `-f`, `-d`, `-D`, its environment): it runs as root
 * (every uid in /proc/PID/status is 0), it is the service's main process (its parent is PID 1, the
 * init or service manager that started it, or its pid is in a pid file root alone can write), and
 * its program is root's file in root's directories. Everything else is reported and ignored;
 * nothing any process names is ever run.
 */
import { posix } from 'node:path';
import type { Executor } from '../executors/types.ts';
import { assertRootDir, lstatPaths, plainAbsolutePath, rootFile, UntrustedPathError } from './file-trust.ts';
import type { ProcessEntry } from './processes.ts';

export interface MasterTrust {
  /** The oldest candidate that passed every check. */
  master?: ProcessEntry | undefined;
  /** Candidates left aside, each with the reason. */
  rejected: { pid: number; user: string; why: string }[];
}

/** Where the distributions' Apaches write their pid (the service's `pid_file` goes first). */
export const APACHE_PID_FILES = ['/run/apache2/apache2.pid', '/run/httpd/httpd.pid', '/usr/local/apache2/logs/httpd.pid'];

/** $1 a pid: its Uid line, `uid rawmode` of its program's inode, its program's path (last: it may hold anything). */
const PROCESS_FACTS = 'grep "^Uid:" "/proc/$1/status" || exit 1; stat -L -c "%u %f" -- "/proc/$1/exe" || echo; readlink -- "/proc/$1/exe"';

/** The Uid line of /proc/PID/status: every id (real, effective, saved, filesystem) 0. */
function runsAsRoot(status: string): boolean {
  const uid = /^Uid:\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(status);
  return !!uid && uid.slice(1).every((v) => v === '0');
}

/** The pid a root-owned pid file holds, or undefined. */
async function pidFromFile(exec: Executor, file: string): Promise<number | undefined> {
  try {
    const f = await rootFile(exec, file, { followLink: false });
    if (f.facts.size > 32) return undefined;
    const text = await exec.readFile(f.real, { maxBytes: 32, timeoutMs: 10_000 });
    return /^\d{1,9}\n?$/.test(text) ? Number(text.trim()) : undefined;
  } catch {
    return undefined;
  }
}

/** Why this process is not a master root can act on; undefined when it is one. */
async function distrust(exec: Executor, p: ProcessEntry, pidFilePids: Set<number>): Promise<string | undefined> {
  // One round trip for the kernel's facts: the ids it runs as, the inode of its program (even if
  // replaced on disk since) and where that program lives, each on its own line, the path last.
  const r = await exec.run(['sh', '-c', PROCESS_FACTS, 'mamoru-process', String(p.pid)], { timeoutMs: 10_000, maxOutputBytes: 16 * 1024 });
  const [uidLine = '', exeLine = '', ...rest] = r.stdout.replace(/\n$/, '').split('\n');
  if (!uidLine) return 'it is gone';
  if (!runsAsRoot(uidLine)) return 'it does not run as root';
  if (p.ppid !== 1 && !pidFilePids.has(p.pid)) return `it was not started by the service manager (parent ${p.ppid}) and no root-owned pid file names it`;
  const m = /^(\d+) ([0-9a-f]+)$/.exec(exeLine);
  if (!m) return `its program cannot be examined (${r.stderr.trim() || `exit ${r.code}`})`;
  if (m[1] !== '0') return `its program is owned by uid ${m[1]}, not root`;
  if ((parseInt(m[2]!, 16) & 0o022) !== 0) return 'its program is writable by others';
  const path = rest.join('\n').replace(/ \(deleted\)$/, '');
  if (!path.startsWith('/') || plainAbsolutePath(path)) return 'its program path cannot be read';
  try {
    await assertRootDir(exec, posix.dirname(path));
  } catch (e) {
    return `its program ${path} is in a directory others can change (${e instanceof UntrustedPathError ? e.message : (e as Error).message})`;
  }
  return undefined;
}

/**
 * The trusted master among `candidates` (processes of the daemon's name whose parent is not of
 * that name, oldest first). `pidFiles`: where the service writes its pid.
 */
export async function trustMaster(exec: Executor, candidates: ProcessEntry[], pidFiles: string[]): Promise<MasterTrust> {
  const rejected: MasterTrust['rejected'] = [];
  if (candidates.length === 0) return { rejected };
  // Pid files are read only when a candidate's parent is not PID 1 (most never need them).
  let pids: Set<number> | undefined;
  const pidFilePids = async () => {
    if (pids) return pids;
    pids = new Set<number>();
    const existing = await lstatPaths(exec, pidFiles).catch(() => []);
    for (const f of existing) {
      const pid = f ? await pidFromFile(exec, f.path) : undefined;
      if (pid !== undefined) pids.add(pid);
    }
    return pids;
  };
  for (const p of candidates) {
    // Cheap first: ps already says who it runs as.
    const why = p.user !== 'root' ? 'it does not run as root' : await distrust(exec, p, p.ppid === 1 ? new Set() : await pidFilePids());
    if (!why) return { master: p, rejected };
    rejected.push({ pid: p.pid, user: p.user, why });
  }
  return { rejected };
}
