/**
 * A jail decides bans: it counts failures per address in a sliding `find_time` window and bans
 * at `max_retry`, longer each time for a repeat offender. Pure: no I/O, the time is passed in,
 * so tests drive it with tables of (failure, time) and the daemon replays it from the store.
 *
 * What may ban and what may not (field-runbook section 4): only failures an attacker cannot
 * forge count, i.e. lines a filter took from a log and completed TCP connections. The connection
 * table's SYN_RECV entries (a half-open handshake, whose source address can be spoofed) are
 * evidence that raises the severity of a ban and explains an outage, never a ban on their own.
 * Allowed addresses are never banned: the jail returns the refusal so the caller can log it.
 *
 * Memory is bounded: at most `max_tracked` addresses with failures, as many repeat offenders, and
 * as many addresses with evidence, each evicting the least recently seen. Evidence has its own
 * table so a spoofed flood from random sources cannot push real failure counts out.
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.ts';
import { duration, port } from '../core/schema.ts';
import { banTarget, formatCidr, parseCidr, widen, type Cidr } from './address.ts';
import { FILTER_MODES, type FilterMode } from './failure.ts';

export const jailSchema = z
  .strictObject({
    filters: z.array(z.string().min(1)).min(1, 'a jail needs at least one filter').meta({ description: 'filters whose failures this jail counts' }),
    mode: z
      .enum(FILTER_MODES as [FilterMode, ...FilterMode[]])
      .default('normal')
      .meta({
        description:
          "which forms the filters count: normal (failed logins only), ddos (also connections dropped before a login, such as sshd's banner and key-exchange failures), aggressive (everything, also forms a legitimate client causes in passing, such as a rejected public key); `mamoru logtest --help` lists what each adds per filter",
      }),
    max_retry: z.number().int().min(1).default(5).meta({ description: 'failures within find_time that ban an address' }),
    find_time: duration('the sliding window in which failures are counted').prefault('10m'),
    ban_time: duration('how long the first ban lasts').prefault('10m'),
    ban_time_increment: z
      .strictObject({
        factor: z.number().min(1).default(2).meta({ description: 'each further ban of the same address lasts this many times longer (1: no growth)' }),
        max: duration('the longest a ban grows to').prefault('1w'),
      })
      .prefault({})
      .meta({ description: 'longer bans for repeat offenders' }),
    port: port().optional().meta({ description: 'ban only this port (the runbook form `-p tcp --dport 110`); all ports when absent' }),
    proto: z.enum(['tcp', 'udp']).default('tcp').meta({ description: 'protocol of `port`' }),
    prefix_v6: z.union([z.literal(128), z.literal(64)]).default(128).meta({ description: 'IPv6 ban width: the address (128) or its /64' }),
    max_connections: z
      .number()
      .int()
      .min(1)
      .optional()
      .meta({ description: 'ESTABLISHED connections from one address at once that count as one failure each time they are seen; off when absent' }),
    max_tracked: z.number().int().min(10).default(100_000).meta({ description: 'addresses kept in memory (least recently seen evicted)' }),
  })
  .refine((o) => o.ban_time_increment.max >= o.ban_time, { error: 'ban_time_increment.max must not be shorter than ban_time', path: ['ban_time_increment', 'max'] });

export type JailOptions = z.output<typeof jailSchema>;

/** One failure a filter found (or a completed connection counted as one). */
export interface JailFailure {
  /** The address as the filter took it from the line. */
  address: string;
  /** When it happened (ms since the epoch, from the log line); `now` when absent. */
  time?: number | undefined;
  /** The filter that found it, for the ban's reason. */
  filter?: string | undefined;
  /** The log line it came from, kept (bounded) as the ban's evidence. */
  raw?: string | undefined;
}

/** Log lines kept per address as a ban's evidence, and the characters kept of each. */
export const EVIDENCE_LINES = 5;
export const EVIDENCE_LINE_CHARS = 300;

/** A copy of the line's head: a slice of a read block would keep the whole block alive. */
const keep = (line: string) => Buffer.from(line.slice(0, EVIDENCE_LINE_CHARS), 'utf8').toString('utf8');

/** What the connection table says about one source address. */
export interface ConnectionEvidence {
  address: string;
  /** SYN_RECV: half-open (spoofable, severity only); ESTABLISHED: completed handshakes. */
  state: 'SYN_RECV' | 'ESTABLISHED';
  /** How many entries in that state the source has right now. */
  count: number;
  /** The local port they are on (`:110`), for the reason. */
  port?: number | undefined;
}

/** A ban the caller should apply. */
export interface BanDecision {
  /** What to ban, canonical (`1.2.3.4`, `2001:db8::/64` with prefix_v6 64). */
  address: string;
  /** Ms since the epoch. */
  until: number;
  /** 1 for the first ban of this address, 2 for the second, ... */
  banCount: number;
  /** One line for the log, the incident and the store. */
  reason: string;
  /** `high` when connection-table evidence backs the failures (an attack hurting service). */
  severity: 'normal' | 'high';
  port?: number | undefined;
  proto?: 'tcp' | 'udp' | undefined;
  /** The last log lines that counted (at most EVIDENCE_LINES, each cut at EVIDENCE_LINE_CHARS), oldest first. */
  lines?: string[] | undefined;
}

export interface JailDecision {
  /** The ban target the failure was counted under; absent when the address was not parseable. */
  key?: string | undefined;
  /** Failures counted for the key within find_time, this one included. */
  count: number;
  ban?: BanDecision | undefined;
  /** The threshold was reached, but the address is allowed: why (log it, do not ban). */
  refused?: string | undefined;
  /** The failure was not counted: why (not an address, older than find_time, already banned). */
  ignored?: string | undefined;
}

/** The allow list as the jail sees it (src/guard/allow.ts's AllowList fits). */
export interface AllowCheck {
  refusal(target: Cidr): string | undefined;
}

interface Track {
  /** Failure times within the window, ascending; at most max_retry are kept. */
  times: number[];
  filters: Set<string>;
  /** The last lines that counted, oldest first (EVIDENCE_LINES at most). */
  lines?: string[];
  bannedUntil?: number;
}

interface Seen {
  synRecv: number;
  established: number;
  port?: number | undefined;
  at: number;
}

/** Moves `key` to the newest end of a Map used as an LRU and trims the oldest beyond `max`. */
function touch<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > max) map.delete(map.keys().next().value!);
}

export class Jail {
  private tracks = new Map<string, Track>();
  private offenders = new Map<string, { bans: number; last: number }>();
  private seen = new Map<string, Seen>();

  constructor(
    readonly name: string,
    readonly options: JailOptions,
    private readonly allow?: AllowCheck,
  ) {}

  /** How long the n-th ban (1-based) of an address lasts. */
  banDuration(n: number): number {
    const { ban_time, ban_time_increment: inc } = this.options;
    return Math.min(ban_time * inc.factor ** Math.max(0, n - 1), inc.max);
  }

  /** The ban target a failure of `address` counts under (`1.2.3.4`, `2001:db8::/64`); undefined when not an address. */
  keyOf(address: string): string | undefined {
    const target = banTarget(address, { prefix_v6: this.options.prefix_v6 });
    return target && formatCidr(target);
  }

  /** Counts one failure at `now` and says whether to ban. */
  record(failure: JailFailure, now: number): JailDecision {
    const o = this.options;
    const target = banTarget(failure.address, { prefix_v6: o.prefix_v6 });
    if (!target) return { count: 0, ignored: `"${failure.address}" is not an IP address` };
    const key = formatCidr(target);
    const time = Math.min(failure.time ?? now, now);
    const windowStart = now - o.find_time;
    const track = this.tracks.get(key) ?? { times: [], filters: new Set<string>() };
    if (track.bannedUntil !== undefined && track.bannedUntil > now)
      return { key, count: track.times.length, ignored: `already banned until ${new Date(track.bannedUntil).toISOString()}` };
    if (time < windowStart) return { key, count: track.times.length, ignored: `older than find_time (${formatDuration(o.find_time)})` };

    let i = track.times.length;
    while (i > 0 && track.times[i - 1]! > time) i--;
    track.times.splice(i, 0, time);
    while (track.times.length > 0 && (track.times[0]! < windowStart || track.times.length > o.max_retry)) track.times.shift();
    if (failure.filter) track.filters.add(failure.filter);
    if (failure.raw !== undefined) {
      track.lines ??= [];
      track.lines.push(keep(failure.raw));
      if (track.lines.length > Math.min(EVIDENCE_LINES, o.max_retry)) track.lines.shift();
    }
    touch(this.tracks, key, track, o.max_tracked);

    const count = track.times.length;
    if (count < o.max_retry) return { key, count };

    // The threshold: the count starts again whatever follows, so the next ban needs new failures.
    const filters = [...track.filters].join(', ');
    this.tracks.delete(key);
    const refused = this.allow?.refusal(target);
    if (refused) return { key, count, refused: `${key} reached ${count} failures (${filters}) but is not banned: ${refused}` };

    const past = this.offenders.get(key);
    const banCount = (past?.bans ?? 0) + 1;
    const banFor = this.banDuration(banCount);
    const until = now + banFor;
    touch(this.offenders, key, { bans: banCount, last: now }, o.max_tracked);
    touch(this.tracks, key, { times: [], filters: new Set<string>(), bannedUntil: until }, o.max_tracked);

    const evidence = this.evidenceText(target, now);
    const repeat = banCount > 1 ? `, ban #${banCount}` : '';
    const where = o.port === undefined ? '' : ` on ${o.proto}/${o.port}`;
    const reason = `${this.name}: ${count} failures in ${formatDuration(o.find_time)}${filters ? ` (${filters})` : ''}${evidence ? `, ${evidence}` : ''}; banned${where} for ${formatDuration(banFor)}${repeat}`;
    return {
      key,
      count,
      ban: { address: key, until, banCount, reason, severity: evidence ? 'high' : 'normal', port: o.port, proto: o.port === undefined ? undefined : o.proto, ...(track.lines ? { lines: track.lines } : {}) },
    };
  }

  /**
   * Connection-table evidence about a source. SYN_RECV is remembered for severity and never
   * bans; ESTABLISHED at or above `max_connections` counts as one failure (a completed
   * handshake proves the address), which may ban like a log failure.
   */
  evidence(e: ConnectionEvidence, now: number): JailDecision {
    const target = banTarget(e.address, { prefix_v6: this.options.prefix_v6 });
    if (!target) return { count: 0, ignored: `"${e.address}" is not an IP address` };
    const key = formatCidr(target);
    const prev = this.seen.get(key);
    const s: Seen = prev && prev.at >= now - this.options.find_time ? { ...prev } : { synRecv: 0, established: 0, at: now };
    if (e.state === 'SYN_RECV') s.synRecv = Math.max(s.synRecv, e.count);
    else s.established = Math.max(s.established, e.count);
    s.port = e.port ?? s.port;
    s.at = now;
    touch(this.seen, key, s, this.options.max_tracked);
    const max = this.options.max_connections;
    if (e.state === 'ESTABLISHED' && max !== undefined && e.count >= max) return this.record({ address: e.address, time: now, filter: 'connections' }, now);
    return { key, count: this.tracks.get(key)?.times.length ?? 0, ignored: 'evidence only' };
  }

  /** The evidence text for a ban reason, or '' when there is none within find_time. */
  private evidenceText(target: Cidr, now: number): string {
    const s = this.seen.get(formatCidr(target));
    if (!s || s.at < now - this.options.find_time) return '';
    const on = s.port === undefined ? '' : ` on :${s.port}`;
    const parts: string[] = [];
    if (s.synRecv > 0) parts.push(`${s.synRecv} SYN_RECV${on}`);
    if (s.established > 0) parts.push(`${s.established} ESTABLISHED${on}`);
    return parts.join(', ');
  }

  /** Severity an address has right now from evidence alone (for tying it to an incident). */
  severity(address: string, now: number): 'normal' | 'high' {
    const target = banTarget(address, { prefix_v6: this.options.prefix_v6 });
    return target && this.evidenceText(target, now) ? 'high' : 'normal';
  }

  /**
   * Restores what the store knows at start: a past ban count (for the growth) and, when the ban
   * is still running, its end (so failures logged meanwhile do not ban again).
   */
  remember(address: string, banCount: number, until: number | undefined, now: number): void {
    const target = this.stored(address);
    if (!target) return;
    const key = formatCidr(target);
    touch(this.offenders, key, { bans: banCount, last: now }, this.options.max_tracked);
    if (until !== undefined && until > now) touch(this.tracks, key, { times: [], filters: new Set<string>(), bannedUntil: until }, this.options.max_tracked);
  }

  /** The ban ended early (an operator removed it): new failures count again; the ban count stays. */
  unbanned(address: string): void {
    const target = this.stored(address);
    if (target) this.tracks.delete(formatCidr(target));
  }

  /** A ban target as the store or an operator wrote it: an address or a network, trusted text. */
  private stored(address: string): Cidr | undefined {
    const c = parseCidr(address);
    return c && widen(c, { prefix_v6: this.options.prefix_v6 });
  }

  /** How many addresses the jail holds in memory (failures, offenders, evidence). */
  get size(): { tracked: number; offenders: number; evidence: number } {
    return { tracked: this.tracks.size, offenders: this.offenders.size, evidence: this.seen.size };
  }
}
