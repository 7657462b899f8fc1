/**
 * SSH carries one command string, which the server hands to the user's login shell: so the argv
 * is turned into a string that the shell splits back into exactly the same words. Each argument
 * goes in single quotes, inside which a POSIX shell gives no character a meaning (not `$`, `;`,
 * backquotes, newlines) except the single quote itself, written as `'\''`. Nothing from the argv
 * ever appears outside quotes, so no argument can inject a command. The login shell must be a
 * POSIX shell (sh, bash, dash, ksh, zsh), as root's is on every Linux server.
 *
 * Everything that comes back is the server's to write: a login rc file (~/.bashrc, /etc/profile,
 * ~/.ssh/rc, or a program one of them runs) prints on the same stderr before our wrapper does.
 * So the one line we parse carries a nonce drawn for this run, and the process group it names is
 * only ever signalled when it is a plain number above 1 (`kill -- -1` is every process).
 */
import { randomBytes } from 'node:crypto';

/** One argument, quoted for a POSIX shell. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The whole argv as one shell word list. */
export function quoteArgv(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A fresh nonce for one run's marker: 16 random bytes as hex, so text printed before it cannot guess it. */
export function markerNonce(): string {
  return randomBytes(16).toString('hex');
}

/** The marker's text before the pid: `mamoru-pgid-<nonce> `. */
export function markerPrefix(nonce: string): string {
  return `mamoru-pgid-${nonce} `;
}

/** The largest pid any kernel hands out (pid_t is a signed 32-bit int). */
const PID_MAX = 2 ** 31 - 1;

/**
 * Whether a number may be put in `kill -- -N`: an integer above 1. 0 is the caller's own group,
 * 1 (as `-1`) is every process the user may signal, and anything negative or fractional is not
 * a pid at all.
 */
export function isSignallablePgid(n: number): boolean {
  return Number.isSafeInteger(n) && n > 1 && n <= PID_MAX;
}

/** Digits a shell's `$$` prints: no sign, no leading zero, no spaces. */
const PLAIN_PID = /^[1-9][0-9]{0,9}$/;

/** How much may follow the prefix before the newline (10 digits); more is not our marker. */
const PID_TEXT_MAX = 10;

export interface PgidScan {
  /** Bytes that belong to the command's stderr (the marker removed). */
  out: Buffer;
  /** The process group, once this run's marker was seen with a pid that may be signalled. */
  pgid?: number;
}

/**
 * Finds this run's marker in a stream of stderr chunks. Only `mamoru-pgid-<nonce> <pid>\n` with
 * this run's nonce and a plain pid above 1 counts; it is removed from the output. Anything else
 * that looks like a marker (no nonce, another nonce, `1`, `-1`, `01`, ` 12`, no newline) stays in
 * the output as ordinary text, and one carrying our nonce with a bad pid is reported through
 * `refused` (only something that read our command line can print our nonce). The marker need not
 * start a line: an rc file may leave a line unfinished before our printf. Until the marker is
 * found, only the last few bytes (a marker possibly cut between chunks) are held back.
 */
export class PgidScanner {
  private held = Buffer.alloc(0);
  private found = false;
  private readonly prefix: Buffer;

  constructor(
    nonce: string,
    private readonly refused: (why: string) => void = () => undefined,
  ) {
    this.prefix = Buffer.from(markerPrefix(nonce), 'latin1');
  }

  get done(): boolean {
    return this.found;
  }

  push(d: Buffer): PgidScan {
    if (this.found) return { out: d };
    let buf = this.held.length ? Buffer.concat([this.held, d]) : d;
    const out: Buffer[] = [];
    for (;;) {
      const i = buf.indexOf(this.prefix);
      if (i === -1) {
        // Keep what could be the start of a marker cut by the chunk boundary.
        const keep = Math.min(buf.length, this.prefix.length - 1);
        out.push(buf.subarray(0, buf.length - keep));
        this.held = Buffer.from(buf.subarray(buf.length - keep));
        return { out: Buffer.concat(out) };
      }
      const from = i + this.prefix.length;
      const nl = buf.subarray(from, from + PID_TEXT_MAX + 1).indexOf(10);
      if (nl === -1 && buf.length - from <= PID_TEXT_MAX) {
        // The pid (or its newline) has not arrived yet.
        out.push(buf.subarray(0, i));
        this.held = Buffer.from(buf.subarray(i));
        return { out: Buffer.concat(out) };
      }
      const text = nl === -1 ? undefined : buf.subarray(from, from + nl).toString('latin1');
      const pid = text !== undefined && PLAIN_PID.test(text) ? Number(text) : undefined;
      if (pid !== undefined && isSignallablePgid(pid)) {
        this.found = true;
        this.held = Buffer.alloc(0);
        out.push(buf.subarray(0, i), buf.subarray(from + nl + 1));
        return { out: Buffer.concat(out), pgid: pid };
      }
      this.refused(text === undefined ? 'no newline within 10 characters after the marker' : `process group ${JSON.stringify(text)} is not a number above 1`);
      // Not ours to use: it stays in the output, and the search goes on after it.
      const end = nl === -1 ? from : from + nl + 1;
      out.push(buf.subarray(0, end));
      buf = buf.subarray(end);
    }
  }

  /** The bytes still held back when the stream ends. */
  end(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    return rest;
  }
}

/**
 * The line sent over SSH. It first tells us (on stderr, which the executor strips) its pid: sshd
 * made it the leader of its own process group, and `exec` keeps that pid for the command, so
 * `kill -- -PID` on a second channel ends the command and all it started (sshd's own `signal`
 * request is refused for root logins). The marker carries `nonce` (PgidScanner). LC_ALL=C so
 * output parses. Where coreutils `timeout` exists it also bounds the command on the server, so
 * nothing outlives a dropped connection; it waits a little longer than mamoru's own timer, which
 * normally acts first.
 */
export function remoteCommandLine(argv: string[], timeoutMs: number, nonce: string): string {
  if (!/^[0-9a-f]{8,64}$/.test(nonce)) throw new RangeError('the marker nonce must be lowercase hex');
  const cmd = quoteArgv(argv);
  const seconds = Math.ceil(timeoutMs / 1000) + 2;
  return `printf '${markerPrefix(nonce)}%s\\n' "$$" >&2; LC_ALL=C; export LC_ALL; if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${seconds} ${cmd}; else exec ${cmd}; fi`;
}

/**
 * Ends a remote process group: TERM or KILL to the group, and to the pid in case it left the
 * group. Refuses (throws) anything but a pid above 1, whoever asks.
 */
export function remoteKillLine(pgid: number, signal: 'TERM' | 'KILL'): string {
  if (!isSignallablePgid(pgid)) throw new RangeError(`refusing to signal process group ${pgid}: only a pid above 1 names one command's group`);
  const pid = String(pgid);
  return `kill -s ${signal} -- -${pid} 2>/dev/null; kill -s ${signal} ${pid} 2>/dev/null; exit 0`;
}
