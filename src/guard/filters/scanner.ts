/**
 * Runs filters over log lines, fast: the timestamp is read once per line (log-time.ts), the syslog
 * program once, and one table lookup on the program picks the filters that read it, so a CRON or
 * kernel line costs a header parse and nothing more, and no program's text can pose as another's
 * (an application that logs "Failed password for root from 6.6.6.6 port 22 ssh2" as its own
 * message is not sshd). Lines without a syslog-style header (Apache's, nginx's and vsftpd's own
 * files, multilog, `sshd -E`) go to every filter; each starts with a cheap fixed-text test before
 * any regex.
 *
 * Not a filter itself: the registry (index.ts) lists the filters, this file runs them. Each
 * scanner also gives its filters a small bounded memory of recent lines (ctx.recent), for a
 * daemon that writes one attempt twice (sshd and PAM).
 *
 * Speed notes: the work per line is counted in characters read: the header is read in one
 * forward pass, filters look at a character or two before reading more. logtest hands lines as
 * spans of one decoded piece (`scanAt`): a line no filter reads is never cut out of it.
 */
import type { Failure, FilterDefinition, FilterMode, MatchContext } from '../failure.ts';
import { LogTimeParser, type LogTimeOptions } from '../log-time.ts';
import { RecentLines } from './recent.ts';

export interface ScannerOptions extends LogTimeOptions {
  /** More syslog program names per filter type, for daemons logging under a name of their own. */
  programs?: Record<string, readonly string[]> | undefined;
  /** Which forms the filters count (a jail's `mode`). @defaultValue 'normal' */
  mode?: FilterMode | undefined;
}

/** Longest program name looked at; anything longer is not a syslog tag. */
const MAX_PROGRAM = 64;

/** Characters of a syslog program name: A-Z a-z 0-9 _ . - / @ (1 in the table). */
const NAME_CHARS = new Uint8Array(128);
for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-/@') NAME_CHARS[c.charCodeAt(0)] = 1;

/**
 * Scans lines with a fixed set of filters. One scanner per log (it keeps the log's time zone and
 * remembers its last timestamp); `scan` is synchronous and allocates only for a match.
 */
export class LogScanner {
  readonly time: LogTimeParser;
  private readonly all: readonly FilterDefinition[];
  /** Filters that read their daemon's own file, whose lines have a timestamp and no program. */
  private readonly ownLog: readonly FilterDefinition[];
  /**
   * Programs by `length * 128 + first char`: the lookup compares in place instead of cutting a
   * string out of every line and hashing it.
   */
  private readonly byProgram: ({ name: string; filters: FilterDefinition[] }[] | undefined)[] = new Array((MAX_PROGRAM + 1) * 128).fill(undefined);
  /** Reused for every call: filters read it during `match` and never keep it. */
  private readonly ctx: MatchContext;
  /** The last program name tokenAt() found: its last `/`-separated part, [progBase, progEnd). */
  private progBase = 0;
  private progEnd = 0;

  constructor(filters: readonly FilterDefinition[], opts: ScannerOptions = {}) {
    this.all = filters;
    this.ownLog = filters.filter((f) => f.ownLog);
    this.time = new LogTimeParser(opts);
    this.ctx = { at: 0, program: '', mode: opts.mode ?? 'normal', recent: new RecentLines() };
    for (const f of filters) {
      for (const name of [...(f.programs ?? []), ...(opts.programs?.[f.type] ?? [])]) {
        const c0 = name.charCodeAt(0);
        // A name tokenAt() can never find (too long, not a name character) has no slot.
        if (name.length > MAX_PROGRAM || !(c0 < 128 && NAME_CHARS[c0] === 1)) continue;
        const key = name.length * 128 + c0;
        const bucket = (this.byProgram[key] ??= []);
        let entry = bucket.find((e) => e.name === name);
        if (!entry) bucket.push((entry = { name, filters: [] }));
        if (!entry.filters.includes(f)) entry.filters.push(f);
      }
    }
  }

  /** The registry entry of the program written at [start, end) of the line, or undefined. */
  private programOf(line: string, start: number, end: number): { name: string; filters: FilterDefinition[] } | undefined {
    const bucket = this.byProgram[(end - start) * 128 + line.charCodeAt(start)];
    if (!bucket) return undefined;
    for (let i = 0; i < bucket.length; i++) {
      const e = bucket[i]!;
      const name = e.name;
      let k = name.length - 1;
      while (k >= 0 && line.charCodeAt(start + k) === name.charCodeAt(k)) k--;
      if (k < 0) return e;
    }
    return undefined;
  }

  /** The failure this line records, or undefined. `lineNo` is copied into the failure. */
  scan(text: string, lineNo?: number): Failure | undefined {
    return this.scanAt(text, 0, text.length, lineNo);
  }

  /**
   * `scan()` of the line [start, end) of `text` (logtest's decoded block, lines cut by
   * `LineSplitter.pushSpans`): time, header and program are read in place, and the line is cut
   * out (a slice, no copy) only when a filter is to read it. The character at `end`, if any,
   * must end the line (LF or CR: see `LogTimeParser.parseAt`).
   */
  scanAt(text: string, start: number, end: number, lineNo?: number): Failure | undefined {
    // `sshd -E` ends its lines with CRLF; the filters anchor at the end of the text.
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    const t = this.time;
    t.parseAt(text, start, end);
    let list = this.all;
    const ctx = this.ctx;
    let at = t.end;
    ctx.program = '';
    // Only syslog-style files carry `host program[pid]:` after the time, and there it is required:
    // a syslog line without a program we read is nobody's failure (rsyslog writes a malformed
    // message as `host text`, and text that starts like sshd's must not pass as sshd's). Elsewhere
    // a word with a colon (`error:` in an sshd -E file) is part of the message.
    if (t.kind === 'syslog' || t.kind === 'iso') {
      const message = this.headerAt(text, t.end, end);
      if (message >= 0) {
        const found = this.programOf(text, this.progBase, this.progEnd);
        if (!found) return undefined;
        list = found.filters;
        at = message;
        ctx.program = found.name;
      } else if (t.kind === 'iso' && this.ownLog.length) {
        // A daemon's own file (Exim's mainlog, MySQL 8's error log): only the filters that read one.
        list = this.ownLog;
        at = start;
      } else return undefined;
    }
    const line = start === 0 && end === text.length ? text : text.slice(start, end);
    ctx.at = at - start;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      const m = f.match(line, ctx);
      if (m) return { address: m.address, time: t.time, user: m.user, filter: f.type, line: lineNo, raw: line };
    }
    return undefined;
  }

  /**
   * After the timestamp: `program[pid]: ` (a daemon's own file, as Dovecot writes it) or
   * `host program[pid]: ` (syslog), or `host program[pid] ` (ProFTPD's own SystemLog). Returns
   * where the message starts, or -1 when the line has none of these.
   */
  private headerAt(line: string, i: number, len: number): number {
    // Hand-written scans, not indexOf: the tokens are short, and this runs for every line.
    let sp1 = i;
    while (sp1 < len && line.charCodeAt(sp1) !== 32) sp1++;
    if (line.charCodeAt(sp1 - 1) === 58 && this.tokenAt(line, i, sp1 - 1, false)) return sp1 < len ? sp1 + 1 : sp1;
    if (sp1 === len || sp1 - i > 255) return -1;
    return this.programAt(line, sp1 + 1, len);
  }

  /**
   * The syslog form's `program[pid]: ` (or ProFTPD's `program[pid] `) at `start`, in one pass:
   * what tokenAt() checks, without looking for the token's end first. Where the message starts, or -1.
   */
  private programAt(line: string, start: number, len: number): number {
    const c0 = line.charCodeAt(start);
    if (!((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90))) return -1;
    let base = start;
    let j = start + 1;
    let c = 0;
    for (; j < len; j++) {
      c = line.charCodeAt(j);
      if (c > 127 || NAME_CHARS[c] === 0) break;
      if (c === 47) base = j + 1;
    }
    if (j - start > MAX_PROGRAM || base === j || j === len) return -1;
    if (c === 58) {
      // `name:` then a space or the end of the line.
      if (j + 1 < len && line.charCodeAt(j + 1) !== 32) return -1;
      this.progBase = base;
      this.progEnd = j;
      return j + 1 < len ? j + 2 : j + 1;
    }
    const close = c === 91 ? 93 : c === 40 ? 41 : 0;
    if (close === 0) return -1;
    let sp = j + 1;
    while (sp < len && line.charCodeAt(sp) !== 32) sp++;
    const last = line.charCodeAt(sp - 1);
    if (last === 58) {
      // `name[pid]:` / `name(detail):`
      if (sp - 1 - j < 2 || line.charCodeAt(sp - 2) !== close) return -1;
    } else if (last === close && close === 93 && sp < len) {
      // ProFTPD's `name[pid] `
      if (sp - j < 2) return -1;
    } else return -1;
    this.progBase = base;
    this.progEnd = j;
    return sp < len ? sp + 1 : sp;
  }

  /**
   * Whether [start, end) is `name`, `name[pid]` or `name(detail)` (only the bracketed form when
   * `bracketed`); on success the name's last part is kept in progBase/progEnd.
   */
  private tokenAt(line: string, start: number, end: number, bracketed: boolean): boolean {
    const c0 = line.charCodeAt(start);
    if (!((c0 >= 97 && c0 <= 122) || (c0 >= 65 && c0 <= 90))) return false;
    // `postfix/submission/smtpd` is looked up as `smtpd`: remember where the last part starts.
    let base = start;
    let j = start + 1;
    for (; j < end; j++) {
      const c = line.charCodeAt(j);
      if (c > 127 || NAME_CHARS[c] === 0) break;
      if (c === 47) base = j + 1;
    }
    if (j - start > MAX_PROGRAM || base === j) return false;
    if (j < end) {
      const c = line.charCodeAt(j);
      const close = c === 91 ? 93 : c === 40 ? 41 : 0;
      if (close === 0 || line.charCodeAt(end - 1) !== close || end - j < 2) return false;
    } else if (bracketed) return false;
    this.progBase = base;
    this.progEnd = j;
    return true;
  }
}
