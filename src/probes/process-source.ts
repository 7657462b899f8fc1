/**
 * Where the process probe's process list comes from. The probe only sees `ProcessSource`: the
 * local one here reads /proc; a remote one (through the SSH executor, later) will produce the
 * same `ProcessInfo` records from the other machine, and the counting stays the same pure code.
 *
 * The local records are lazy: a field is read from /proc the first time it is asked for, so a
 * count by command name reads one small file per process and never a command line or a status.
 */
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/**
 * One process as ps shows it (`ps axwwo stat,uid,comm,args`). A field is null when the process
 * ended while it was being read: such a process is not counted.
 */
export interface ProcessInfo {
  readonly pid: number;
  /** The kernel's command name (`comm`, at most 15 bytes: what check_procs -C compares). */
  readonly comm: string | null;
  /** ps's STAT: the state letter (R S D Z T t I X) then its flags `<` `N` `L` `s` `l` `+`. */
  readonly stat: string | null;
  /** Effective user id (ps's `uid`). */
  readonly uid: number | null;
  /** ps's `args`: argv joined by spaces; `[comm]` for kernel threads, `[comm] <defunct>` for zombies. */
  readonly args: string | null;
  /** Base name of argv[0], for command names longer than `comm` can hold. */
  readonly argv0: string | null;
}

/** A user as the target machine's user database knows it. */
export interface UserInfo {
  uid: number;
  /** Absent for a uid no user database entry names (a container's user, say). */
  name?: string | undefined;
}

/** What the process probe needs from a machine. */
export interface ProcessSource {
  /** Every process (and no thread) on the machine. */
  list(): Promise<ProcessInfo[]>;
  /** A user by name or numeric uid; undefined when a name is unknown. */
  user(nameOrUid: string): Promise<UserInfo | undefined>;
}

/** The kernel's `comm` limit: longer names are cut to this many bytes. */
export const COMM_MAX = 15;

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** One /proc/PID, read field by field on demand and remembered. */
class LocalProcess implements ProcessInfo {
  private statLine: string | null | undefined;
  private cmdline: string | null | undefined;
  private statusText: string | null | undefined;

  constructor(
    readonly pid: number,
    private readonly root: string,
  ) {}

  /** /proc/PID/stat split around the command name (which may hold spaces and parentheses). */
  private stat_(): { comm: string; fields: string[] } | null {
    if (this.statLine === undefined) this.statLine = readOrNull(`${this.root}/${this.pid}/stat`);
    const line = this.statLine;
    if (line === null) return null;
    const open = line.indexOf('(');
    const close = line.lastIndexOf(')');
    if (open === -1 || close < open) return null;
    return { comm: line.slice(open + 1, close), fields: line.slice(close + 2).split(' ') };
  }

  private status_(): string | null {
    if (this.statusText === undefined) this.statusText = readOrNull(`${this.root}/${this.pid}/status`);
    return this.statusText;
  }

  private cmdline_(): string | null {
    if (this.cmdline === undefined) this.cmdline = readOrNull(`${this.root}/${this.pid}/cmdline`);
    return this.cmdline;
  }

  get comm(): string | null {
    return this.stat_()?.comm ?? null;
  }

  get stat(): string | null {
    const s = this.stat_();
    if (!s) return null;
    // Fields after the name: state ppid pgrp session tty tpgid ... (16) nice (17) num_threads.
    const f = s.fields;
    const [state = '?', , pgrp, session, , tpgid] = f;
    const nice = Number(f[16]);
    let out = state;
    // procps's order of flags, so a filter written for ps matches here too.
    if (nice < 0) out += '<';
    else if (nice > 0) out += 'N';
    const lock = /^VmLck:\s*(\d+)/m.exec(this.status_() ?? '');
    if (lock && Number(lock[1]) > 0) out += 'L';
    if (Number(session) === this.pid) out += 's';
    if (Number(f[17]) > 1) out += 'l';
    if (pgrp === tpgid) out += '+';
    return out;
  }

  get uid(): number | null {
    const m = /^Uid:\s*\d+\s+(\d+)/m.exec(this.status_() ?? '');
    return m ? Number(m[1]) : null;
  }

  get args(): string | null {
    const raw = this.cmdline_();
    if (raw === null) return null;
    const text = raw.replace(/\0+$/, '').replace(/\0/g, ' ');
    if (text !== '') return text.replace(/[\x00-\x1f\x7f]/g, '?');
    // No command line: a kernel thread or a zombie; ps shows the name in brackets.
    const s = this.stat_();
    if (!s) return null;
    return s.fields[0] === 'Z' ? `[${s.comm}] <defunct>` : `[${s.comm}]`;
  }

  get argv0(): string | null {
    const raw = this.cmdline_();
    if (raw === null) return null;
    const first = raw.split('\0', 1)[0] ?? '';
    return first === '' ? '' : basename(first.split(' ', 1)[0]!);
  }
}

/**
 * Users from /etc/passwd, and through `getent` for names it does not hold (LDAP, sssd). A
 * numeric id is taken as it is: processes may run under a uid no user database names.
 */
async function lookupUser(nameOrUid: string, passwdFile: string): Promise<UserInfo | undefined> {
  const numeric = /^\d+$/.test(nameOrUid);
  let passwd = '';
  try {
    passwd = await readFile(passwdFile, 'utf8');
  } catch {
    /* fall back to getent */
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === undefined || uid === undefined) continue;
    if (numeric ? uid === nameOrUid : name === nameOrUid) return { uid: Number(uid), name };
  }
  const viaGetent = await new Promise<UserInfo | undefined>((resolve) => {
    execFile('getent', ['passwd', nameOrUid], { timeout: 5000, encoding: 'utf8' }, (err, stdout) => {
      const [name, , uid] = (err ? '' : stdout).split('\n', 1)[0]!.split(':');
      resolve(name && uid && /^\d+$/.test(uid) ? { uid: Number(uid), name } : undefined);
    });
  });
  if (viaGetent) return viaGetent;
  return numeric ? { uid: Number(nameOrUid) } : undefined;
}

/** This machine's processes from /proc (or another procfs mount, for tests of the reader). */
export function localProcesses(root = '/proc', passwdFile = '/etc/passwd'): ProcessSource {
  return {
    async list() {
      const out: ProcessInfo[] = [];
      for (const name of readdirSync(root)) {
        const c = name.charCodeAt(0);
        if (c < 48 || c > 57) continue;
        out.push(new LocalProcess(Number(name), root));
      }
      return out;
    },
    user: (nameOrUid) => lookupUser(nameOrUid, passwdFile),
  };
}
