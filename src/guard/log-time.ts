/**
 * Timestamps at the start of log lines, turned into milliseconds since the epoch:
 *
 * - syslog without a year (`Jan  5 10:00:01`): the year is the latest one that does not put the
 *   line more than a day after "now" (a log read on Jan 2 that says Dec 31 is last year's);
 * - RFC 3339 / ISO 8601 (`2026-01-19T20:38:08.123456+09:00`: rsyslog's high-precision format,
 *   journald's short-iso; also `2026-01-19 20:38:08` as Dovecot and ProFTPD write their own files);
 * - TAI64N (`@4000000068...`, 24 hex digits: multilog, as under qmail and vpopmail);
 * - ctime with a year (`Thu Nov 26 14:21:08 2026`: vsftpd's own log), Apache's error log
 *   (`[Thu Nov 26 14:21:08.123456 2026]`) and nginx's (`2026/11/26 14:21:08`).
 *
 * A time without an offset is wall time in the log's IANA time zone, converted with Intl (no
 * dependency). This runs for every line of every log, so it is written for speed: no Date object
 * per line, the minute of the last timestamp is remembered (a busy log writes many lines a minute:
 * the next one is read from its seconds), and the zone's UTC offset is cached per quarter hour of
 * wall time (every transition in the time zone database since 1970 falls on one: zone-clock.ts).
 */
import { systemTimeZone, ZoneClock } from './zone-clock.ts';

const DAY_MS = 86_400_000;
/** Longest text kept before or after the seconds of a remembered timestamp (see `prefix`). */
const KEY_MAX = 32;


const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';
const WEEKDAYS = new Set(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']);

/** 1-12 for an English month abbreviation at `i` (before `e`), 0 otherwise. */
function monthAt(line: string, i: number, e: number): number {
  if (e < i + 3) return 0;
  const k = MONTHS.indexOf(line.slice(i, i + 3));
  return k >= 0 && k % 3 === 0 ? k / 3 + 1 : 0;
}

/**
 * The number of `n` decimal digits at `i`, or -1 when any is not a digit. Past the end of the
 * string charCodeAt gives NaN, which no comparison admits: `!(c >= 0 && c <= 9)`, never `c < 0 || c > 9`.
 */
function digits(line: string, i: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) {
    const c = line.charCodeAt(i + k) - 48;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** `hh:mm:ss` at `i` as seconds of the day, or -1. */
function clockAt(line: string, i: number): number {
  if (line.charCodeAt(i + 2) !== 58 || line.charCodeAt(i + 5) !== 58) return -1;
  const h = digits(line, i, 2);
  const m = digits(line, i + 3, 2);
  const s = digits(line, i + 6, 2);
  if (h < 0 || m < 0 || s < 0 || h > 23 || m > 59 || s > 60) return -1;
  return h * 3600 + m * 60 + Math.min(s, 59);
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysIn(y: number, mo: number): number {
  return mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0) ? 29 : DAYS[mo - 1]!;
}

/** Milliseconds of a fraction of a second at `i` (`.123456` or `,123`); `next` is where it ends. */
function fractionAt(line: string, i: number): { ms: number; next: number } {
  const c = line.charCodeAt(i);
  if (c !== 46 && c !== 44) return { ms: 0, next: i };
  let j = i + 1;
  let ms = 0;
  let scale = 100;
  for (;;) {
    // NaN past the end of the line stops it too (a line ending in `08.5` ran this loop for ever).
    const d = line.charCodeAt(j) - 48;
    if (!(d >= 0 && d <= 9)) break;
    ms += d * scale;
    scale /= 10;
    j++;
  }
  return j === i + 1 ? { ms: 0, next: i } : { ms: Math.floor(ms), next: j };
}

/** TAI64N label (`@` + 24 hex digits) at `i` to epoch milliseconds, or undefined. */
export function tai64nAt(line: string, i = 0, e = line.length): number | undefined {
  if (line.charCodeAt(i) !== 64 || e < i + 25) return undefined;
  let high = 0;
  let low = 0;
  let nano = 0;
  for (let k = 0; k < 24; k++) {
    const c = line.charCodeAt(i + 1 + k);
    const v = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (v < 0) return undefined;
    if (k < 8) high = high * 16 + v;
    else if (k < 16) low = low * 16 + v;
    else nano = nano * 16 + v;
  }
  // The label is 2^62 + TAI seconds; daemontools counts TAI as UTC + 10 s (its leap-second-free convention).
  if (high < 0x40000000) return undefined;
  const unix = (high - 0x40000000) * 2 ** 32 + low - 10;
  return unix * 1000 + Math.floor(nano / 1e6);
}

/** A weekday abbreviation at `i` (before `e`). */
function weekdayAt(line: string, i: number, e: number): boolean {
  return e >= i + 3 && WEEKDAYS.has(line.slice(i, i + 3));
}

/** Which timestamp a line starts with: the scanner reads a syslog host and program only after `syslog` and `iso`. */
export type TimeKind = 'syslog' | 'iso' | 'tai64n' | 'ctime' | 'apache' | 'slash' | 'none';

export interface LogTimeOptions {
  /** The log's IANA time zone, for times without an offset. @defaultValue this machine's zone */
  timeZone?: string | undefined;
  /** "Now" for the year of year-less syslog dates and for lines without a time. @defaultValue Date.now */
  now?: (() => number) | undefined;
}

/**
 * Reads the timestamp at the start of a line. After `parse()`: `time` (epoch ms), `end` (where
 * the rest of the line starts, after the timestamp's following space) and `kind`. One parser per
 * log (it remembers the last timestamp and the zone's offsets); not for sharing between logs in
 * different zones.
 *
 * `parseAt(text, start, end)` reads a line that is [start, end) of a larger text (logtest's
 * decoded block), without cutting it out; `end` is then an index in that text. The character at
 * `end`, when there is one, must end the line (LF or CR, as the line reader leaves it): every
 * timestamp form is checked character by character up to its following space, so a form that
 * would run past the line meets that character first and fails, as it fails at the end of a
 * line cut out on its own.
 */
export class LogTimeParser {
  time = 0;
  end = 0;
  kind: TimeKind = 'none';
  readonly clock: ZoneClock;
  private readonly now: () => number;
  /**
   * The last whole-second timestamp, remembered as the text before its seconds (`Jan 19 20:38:`),
   * its seconds and the text after them (`Z`, ` 2026`, or nothing): a line in the same minute is
   * read from two digits, with no string made and no date arithmetic. Kept as character codes,
   * not as strings cut from the line: such a cut is a slice of the line (V8 reads it through its
   * parent, several times slower), and it would keep the whole line alive.
   */
  private readonly prefix = new Uint16Array(KEY_MAX);
  private prefixLen = 0;
  private readonly suffix = new Uint16Array(KEY_MAX);
  private suffixLen = 0;
  private lastSecond = 0;
  private lastTime = 0;
  private lastKind: TimeKind = 'none';
  /** Where the line being parsed ends (an index in its text). */
  private e = 0;
  /** Where the seconds of the timestamp just parsed are (-1: not worth remembering). */
  private secondsAt = -1;
  /** The UTC year of "now", as of `yearAt`: worked out again when now has moved a minute. */
  private nowYear = 0;
  private yearAt = -Infinity;

  constructor(opts: LogTimeOptions = {}) {
    this.clock = new ZoneClock(opts.timeZone ?? systemTimeZone());
    this.now = opts.now ?? Date.now;
  }

  /** True when the line starts with a timestamp; otherwise `time` is now, `end` 0, `kind` 'none'. */
  parse(line: string): boolean {
    return this.parseAt(line, 0, line.length);
  }

  /** `parse()` of the line [s, e) of `text`; `end` is an index in `text` (s when there is no timestamp). */
  parseAt(text: string, s: number, e: number): boolean {
    this.e = e;
    if (this.prefixLen !== 0 && this.sameMinute(text, s)) return true;
    const c = s < e ? text.charCodeAt(s) : NaN;
    let ok = false;
    if (c >= 65 && c <= 90) ok = this.syslogOrCtime(text, s);
    else if (c >= 48 && c <= 57) ok = this.numeric(text, s);
    else if (c === 64) ok = this.tai64n(text, s);
    else if (c === 91) ok = this.apache(text, s);
    if (!ok) {
      this.time = this.now();
      this.end = s;
      this.kind = 'none';
      return false;
    }
    // The TAI64N label and sub-second times change with every line: remembering them buys nothing.
    const at = this.secondsAt - s;
    const close = (text.charCodeAt(this.end - 1) === 32 ? this.end - 1 : this.end) - s;
    if (this.secondsAt >= 0 && at <= KEY_MAX && close - at - 2 <= KEY_MAX) {
      for (let k = 0; k < at; k++) this.prefix[k] = text.charCodeAt(s + k);
      this.prefixLen = at;
      for (let k = at + 2; k < close; k++) this.suffix[k - at - 2] = text.charCodeAt(s + k);
      this.suffixLen = close - at - 2;
      this.lastSecond = Math.min(digits(text, s + at, 2), 59);
      this.lastTime = this.time;
      this.lastKind = this.kind;
    }
    return true;
  }

  /** The line's timestamp is the remembered one but for its seconds: read it from them. */
  private sameMinute(line: string, s: number): boolean {
    const n = this.prefixLen;
    const e = this.e;
    if (e - s < n + 2) return false;
    // From the end of the prefix: timestamps differ first in their minutes.
    const prefix = this.prefix;
    for (let k = n - 1; k >= 0; k--) if (line.charCodeAt(s + k) !== prefix[k]) return false;
    const s1 = line.charCodeAt(s + n) - 48;
    const s2 = line.charCodeAt(s + n + 1) - 48;
    if (!(s1 >= 0 && s1 <= 6 && s2 >= 0 && s2 <= 9)) return false;
    const sec = s1 * 10 + s2;
    if (sec > 60) return false;
    let end = s + n + 2;
    const m = this.suffixLen;
    if (m !== 0) {
      // A suffix never holds the LF or CR that may follow the line: no need to stop at `e`.
      const suffix = this.suffix;
      for (let k = 0; k < m; k++) if (line.charCodeAt(end + k) !== suffix[k]) return false;
      end += m;
    }
    if (end < e) {
      if (line.charCodeAt(end) !== 32) return false;
      end++;
    }
    this.time = this.lastTime + (Math.min(sec, 59) - this.lastSecond) * 1000;
    this.end = end;
    this.kind = this.lastKind;
    return true;
  }

  /** `secondsAt`: where the seconds are, for remembering the timestamp; -1 when it has a fraction or is TAI64N. */
  private finish(line: string, time: number, next: number, kind: TimeKind, secondsAt: number): boolean {
    // A timestamp is a token of its own: a space (or the end of the line) must follow.
    const e = this.e;
    if (next > e || (next < e && line.charCodeAt(next) !== 32)) return false;
    this.time = time;
    this.end = next < e ? next + 1 : next;
    this.secondsAt = secondsAt;
    this.kind = kind;
    return true;
  }

  /** `Jan  5 10:00:01` (year inferred) or `Thu Jan  5 10:00:01 2026`. */
  private syslogOrCtime(line: string, s: number): boolean {
    const e = this.e;
    if (weekdayAt(line, s, e) && line.charCodeAt(s + 3) === 32) return this.ctime(line, s + 4, 'ctime');
    const mo = monthAt(line, s, e);
    if (!mo || line.charCodeAt(s + 3) !== 32) return false;
    const dayAt = this.dayAt(line, s + 4);
    if (!dayAt) return false;
    const sod = clockAt(line, dayAt.next);
    if (sod < 0) return false;
    const frac = fractionAt(line, dayAt.next + 8);
    const t = this.inferYear(mo, dayAt.day, sod, frac.ms);
    return t !== undefined && this.finish(line, t, frac.next, 'syslog', frac.next === dayAt.next + 8 ? dayAt.next + 6 : -1);
  }

  /** A day of month at `i`: ` 5`, `05` or `5`, followed by a space. */
  private dayAt(line: string, i: number): { day: number; next: number } | undefined {
    let day: number;
    let next: number;
    if (line.charCodeAt(i) === 32) {
      day = digits(line, i + 1, 1);
      next = i + 2;
    } else if (line.charCodeAt(i + 1) === 32) {
      day = digits(line, i, 1);
      next = i + 1;
    } else {
      day = digits(line, i, 2);
      next = i + 2;
    }
    if (day < 1 || day > 31 || line.charCodeAt(next) !== 32) return undefined;
    return { day, next: next + 1 };
  }

  /** `Mmm dd hh:mm:ss[.frac] yyyy` at `i` (after the weekday). */
  private ctime(line: string, i: number, kind: TimeKind): boolean {
    const mo = monthAt(line, i, this.e);
    if (!mo || line.charCodeAt(i + 3) !== 32) return false;
    const dayAt = this.dayAt(line, i + 4);
    if (!dayAt) return false;
    const sod = clockAt(line, dayAt.next);
    if (sod < 0) return false;
    const frac = fractionAt(line, dayAt.next + 8);
    if (line.charCodeAt(frac.next) !== 32) return false;
    const y = digits(line, frac.next + 1, 4);
    if (y < 1970 || dayAt.day > daysIn(y, mo)) return false;
    const t = this.clock.toEpoch(y, mo, dayAt.day, Math.floor(sod / 3600), Math.floor(sod / 60) % 60, sod % 60, frac.ms);
    const secondsAt = frac.next === dayAt.next + 8 ? dayAt.next + 6 : -1;
    if (kind === 'apache') {
      if (line.charCodeAt(frac.next + 5) !== 93) return false;
      return this.finish(line, t, frac.next + 6, kind, secondsAt);
    }
    return this.finish(line, t, frac.next + 5, kind, secondsAt);
  }

  /** `[Www Mmm dd hh:mm:ss[.frac] yyyy]` */
  private apache(line: string, s: number): boolean {
    if (!weekdayAt(line, s + 1, this.e) || line.charCodeAt(s + 4) !== 32) return false;
    return this.ctime(line, s + 5, 'apache');
  }

  /** `@4000000068...` */
  private tai64n(line: string, s: number): boolean {
    const t = tai64nAt(line, s, this.e);
    return t !== undefined && this.finish(line, t, s + 25, 'tai64n', -1);
  }

  /** `yyyy-mm-dd[T ]hh:mm:ss[.frac][Z|±hh[:]mm]` or `yyyy/mm/dd hh:mm:ss`. */
  private numeric(line: string, o: number): boolean {
    const y = digits(line, o, 4);
    const sep = line.charCodeAt(o + 4);
    if (y < 1970 || (sep !== 45 && sep !== 47) || line.charCodeAt(o + 7) !== sep) return false;
    const mo = digits(line, o + 5, 2);
    const d = digits(line, o + 8, 2);
    if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return false;
    const t = line.charCodeAt(o + 10);
    if (t !== 84 && t !== 32) return false;
    const sod = clockAt(line, o + 11);
    if (sod < 0) return false;
    const frac = fractionAt(line, o + 19);
    const h = Math.floor(sod / 3600);
    const mi = Math.floor(sod / 60) % 60;
    const s = sod % 60;
    const secondsAt = frac.next === o + 19 ? o + 17 : -1;
    if (sep === 47) return t === 32 && this.finish(line, this.clock.toEpoch(y, mo, d, h, mi, s, frac.ms), frac.next, 'slash', secondsAt);
    let i = frac.next;
    const z = line.charCodeAt(i);
    if (z === 90) return this.finish(line, Date.UTC(y, mo - 1, d, h, mi, s, frac.ms), i + 1, 'iso', secondsAt);
    if (z === 43 || z === 45) {
      const oh = digits(line, i + 1, 2);
      const colon = line.charCodeAt(i + 3) === 58 ? 1 : 0;
      const om = digits(line, i + 3 + colon, 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return false;
      i += 5 + colon;
      const offset = (z === 43 ? 1 : -1) * (oh * 60 + om) * 60_000;
      return this.finish(line, Date.UTC(y, mo - 1, d, h, mi, s, frac.ms) - offset, i, 'iso', secondsAt);
    }
    return this.finish(line, this.clock.toEpoch(y, mo, d, h, mi, s, frac.ms), i, 'iso', secondsAt);
  }

  /** The latest year that puts this wall time at most a day after now. */
  private inferYear(mo: number, d: number, sod: number, ms: number): number | undefined {
    const now = this.now();
    const limit = now + DAY_MS;
    if (Math.abs(now - this.yearAt) > 60_000) {
      this.yearAt = now;
      this.nowYear = new Date(now).getUTCFullYear();
    }
    const nowYear = this.nowYear;
    const h = Math.floor(sod / 3600);
    const mi = Math.floor(sod / 60) % 60;
    const s = sod % 60;
    // Next year only for the first days of January (a day ahead, in the zones furthest east);
    // Feb 29 may be up to 8 years back (2096 -> 2104); anything older than that is not a log line.
    for (let y = mo === 1 && d <= 2 ? nowYear + 1 : nowYear; y >= nowYear - 8; y--) {
      if (d > daysIn(y, mo)) continue;
      const t = this.clock.toEpoch(y, mo, d, h, mi, s, ms);
      if (t <= limit) return t;
    }
    return undefined;
  }
}
