/**
 * What a filter finds in a log line (a failure: who failed to log in, when, as whom) and the shape
 * every filter has. The address is the only part a ban is built from, so it is validated and put
 * in one canonical form here, once, for every filter: `::ffff:1.2.3.4` (what dual-stack daemons
 * print) and `1.2.3.4` are the same attacker.
 */
import net from 'node:net';
import { formatAddress, parseIp } from './address.ts';
import type { RecentLines } from './filters/recent.ts';

/** One authentication failure found in a log line. */
export interface Failure {
  /** The client's address, canonical: IPv4 dotted quad or RFC 5952 IPv6 (`2001:db8::1`). */
  address: string;
  /** When it happened, in milliseconds since the epoch (from the line; the reading time when the line has none). */
  time: number;
  /** The login name the client tried, when the line names it (attacker-chosen text: display only). */
  user?: string | undefined;
  /** The filter that found it (its `type`). */
  filter: string;
  /** 1-based line number in the file or stream, when known. */
  line?: number | undefined;
  /** The line as read (without its newline). */
  raw: string;
}

/** What a filter's `match` returns: the parts only the filter knows. */
export interface FailureMatch {
  /** Already canonical: filters pass what they took from the line through `normaliseAddress`. */
  address: string;
  user?: string | undefined;
}

/**
 * How much a filter counts, set per jail (`mode:`). `normal`: forms that are failed logins and
 * nothing else. `ddos`: normal, plus connection-level abuse before any login (banner and
 * key-exchange failures, connections dropped before authentication): scanners, but also a
 * monitoring probe or a client with an old cipher list. `aggressive`: everything the filter
 * knows, also forms a legitimate client causes in passing (a rejected public key among several
 * offered, a browser's first request without credentials). A filter without a mode of that
 * name counts its normal forms.
 */
export type FilterMode = 'normal' | 'aggressive' | 'ddos';

/** The modes, in the order help and docs list them. */
export const FILTER_MODES: readonly FilterMode[] = ['normal', 'aggressive', 'ddos'];

/**
 * Whether a form of `tier` counts in `mode`: normal forms always; `ddos` forms in ddos and
 * aggressive; `aggressive` forms only in aggressive.
 */
export function counts(tier: FilterMode, mode: FilterMode): boolean {
  return tier === 'normal' || mode === 'aggressive' || tier === mode;
}

/** Where the scanner found the line's parts, so filters start at the message and never re-parse the header. */
export interface MatchContext {
  /** Index in the line where the program's own message starts (after time, host and `program[pid]: `). */
  at: number;
  /**
   * The syslog program (the part after the last `/`: `postfix/smtpd` is `smtpd`), or '' when the
   * line has no syslog header (a daemon's own log file, multilog, `sshd -E`).
   */
  program: string;
  /** The jail's mode: which of the filter's forms count (see FilterMode). */
  mode: FilterMode;
  /**
   * The scanner's bounded memory of recent lines (one per scanner, so per log and jail), for a
   * filter whose daemon writes one attempt as two lines. Absent when a filter is called alone.
   */
  recent?: RecentLines | undefined;
}

/**
 * A filter: one log family (a daemon's wording of failed logins). `type` equals the file name.
 * `match` must return a failure only when the address comes from where the daemon writes it, never
 * from text a client chose (user names, URLs, passwords): when that cannot be told apart, no match.
 */
export interface FilterDefinition {
  type: string;
  /** One line for `mamoru logtest --list` and the docs. */
  summary: string;
  /**
   * Syslog program names this filter reads. A syslog line from any other program never reaches
   * it (one Map lookup instead of every filter's test, and no other program's text can pose as
   * this daemon's). Lines without a syslog header reach every filter.
   */
  programs?: readonly string[];
  /**
   * Its daemon's own log file starts a line with a timestamp and no program (Exim's mainlog,
   * MySQL 8's error file): such lines, which carry no program to dispatch on, reach the filters
   * that say so, and only those. `ctx.at` is then 0 (the filter reads the timestamp itself).
   */
  ownLog?: boolean;
  /**
   * What each mode beyond `normal` adds for this filter, one line each, for `logtest --help`
   * and the docs; a mode not named here counts the normal forms only.
   */
  modes?: Partial<Record<Exclude<FilterMode, 'normal'>, string>>;
  match(line: string, ctx: MatchContext): FailureMatch | undefined;
}

/** Identity helper that checks a filter's shape. */
export function defineFilter(def: FilterDefinition): FilterDefinition {
  return def;
}

/**
 * The canonical text of one IP address, or undefined when `text` is not exactly one address.
 * IPv4-mapped IPv6 becomes IPv4. Zones (`fe80::1%eth0`), brackets, prefixes, spaces and IPv4 with
 * leading zeros are refused: none of them is what a daemon prints for a remote client.
 */
export function normaliseAddress(text: string): string | undefined {
  // The common case first and cheaply, read by hand: node:net's isIPv4 is a regex (~10 % of
  // what postfix-sasl costs per failure line).
  if (isIPv4At(text, 0, text.length)) return text;
  if (!net.isIPv6(text) || text.includes('%')) return undefined;
  const ip = parseIp(text);
  return ip && formatAddress(ip);
}

/**
 * True when [start, end) of `line` is a canonical dotted quad, exactly what `net.isIPv4` accepts
 * (octets 0-255, no leading zeros), read in place: most addresses are IPv4, and filters test
 * them where they stand, before cutting them out (`addressAt`).
 */
export function isIPv4At(line: string, start: number, end: number): boolean {
  if (end - start < 7 || end - start > 15) return false;
  let dots = 0;
  let digits = 0;
  let value = 0;
  for (let k = start; k < end; k++) {
    const c = line.charCodeAt(k);
    if (c === 46) {
      if (digits === 0 || dots === 3) return false;
      dots++;
      digits = 0;
      value = 0;
      continue;
    }
    if (c < 48 || c > 57 || (digits === 1 && value === 0)) return false;
    value = value * 10 + c - 48;
    if (++digits > 3 || value > 255) return false;
  }
  return dots === 3 && digits > 0;
}
