/**
 * Bans into an attack incident (attacks.ts) without flooding it (issue 12): a brute force from
 * 5,000 addresses must not write 5,000 timeline rows nor send 5,000 messages. The first few bans of an incident are
 * recorded one by one, as before (each with its enrichment); after that, bans are counted into a
 * window, and each window becomes ONE timeline record with the counts (bans, distinct addresses,
 * by jail, by country) and the first addresses, and at most one update to the contacts. So an
 * incident under attack gets at most `individual` rows in a burst, then one row a window.
 *
 * The counting is pure (BanDigest, time passed in); BanFlushTimer closes the windows on the
 * injected clock. Every ban is still in the Store's bans table (the guard writes it), so what a
 * crash can lose is only the aggregate record of the window that was still open: at most one
 * window of timeline summary, never a ban.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { IncidentManager, IncidentNews } from './manager.ts';

export interface BanDigestLimits {
  /** Bans recorded one by one before they are counted. @defaultValue 3 */
  individual: number;
  /** One aggregate record per incident per window; a window this long with no ban starts afresh. @defaultValue 60000 */
  windowMs: number;
  /** Addresses named in an aggregate record. @defaultValue 5 */
  firstAddresses: number;
}

export const defaultBanDigestLimits: BanDigestLimits = { individual: 3, windowMs: 60_000, firstAddresses: 5 };

// Distinct addresses are counted exactly up to here, then as "at least" (memory stays bounded).
const DISTINCT_LIMIT = 100_000;
// Countries named in one record; the rest are summed as "other" (whois may supply any word).
const COUNTRY_LIMIT = 20;

/** One window's worth of bans of one incident, ready for the timeline. */
export interface BanAggregate<K> {
  key: K;
  /** First and last ban counted, ms. */
  from: number;
  to: number;
  bans: number;
  /** Distinct addresses; a lower bound when `addressesAtLeast`. */
  addresses: number;
  addressesAtLeast: boolean;
  byJail: Record<string, number>;
  /** Countries of the addresses whose lookup finished while the window was open (enrichment is asynchronous). */
  byCountry: Record<string, number>;
  first: string[];
}

interface Window {
  from: number;
  to: number;
  dueAt: number;
  bans: number;
  addresses: Set<string>;
  addressesAtLeast: boolean;
  byJail: Map<string, number>;
  byCountry: Map<string, number>;
  first: string[];
}

interface State {
  /** Bans recorded one by one since the incident was last quiet for a whole window. */
  individual: number;
  lastBanAt: number;
  window: Window | undefined;
}

const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
const byCount = (m: Map<string, number>) => Object.fromEntries([...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));

/** The counting, per key (the incident); no I/O, no timers: `now` comes with every call. */
export class BanDigest<K> {
  private readonly states = new Map<K, State>();
  readonly limits: BanDigestLimits;

  constructor(limits: Partial<BanDigestLimits> = {}) {
    this.limits = { ...defaultBanDigestLimits, ...limits };
  }

  /** Where one ban goes: recorded on its own (`individual`), or counted into the key's window. */
  add(key: K, ban: { address: string; jail: string }, now: number): 'individual' | 'aggregated' {
    let s = this.states.get(key);
    if (!s || (!s.window && now - s.lastBanAt >= this.limits.windowMs)) {
      // A new attack: also the moment to drop the quiet ones (incidents whose bans never reached a window).
      this.forgetQuiet(now);
      s = { individual: 0, lastBanAt: now, window: undefined };
      this.states.set(key, s);
    }
    s.lastBanAt = now;
    if (!s.window && s.individual < this.limits.individual) {
      s.individual++;
      return 'individual';
    }
    const w: Window = s.window ?? { from: now, to: now, dueAt: now + this.limits.windowMs, bans: 0, addresses: new Set(), addressesAtLeast: false, byJail: new Map(), byCountry: new Map(), first: [] };
    s.window = w;
    w.to = now;
    w.bans++;
    bump(w.byJail, ban.jail);
    if (!w.addresses.has(ban.address)) {
      if (w.addresses.size < DISTINCT_LIMIT) w.addresses.add(ban.address);
      else w.addressesAtLeast = true;
      if (w.first.length < this.limits.firstAddresses) w.first.push(ban.address);
    }
    return 'aggregated';
  }

  /** A country learned after a counted ban: into the key's open window (dropped when none is open). */
  country(key: K, country: string): void {
    const w = this.states.get(key)?.window;
    if (w) bump(w.byCountry, w.byCountry.has(country) || w.byCountry.size < COUNTRY_LIMIT ? country : 'other');
  }

  /** Whether the key saw a ban within the last window (an attack still going on). */
  active(key: K, now: number): boolean {
    const s = this.states.get(key);
    return s !== undefined && (s.window !== undefined || now - s.lastBanAt < this.limits.windowMs);
  }

  /** Keys this digest is following. */
  keys(): IterableIterator<K> {
    return this.states.keys();
  }

  /** When the earliest open window is due, ms. */
  nextDue(): number | undefined {
    let due: number | undefined;
    for (const s of this.states.values()) if (s.window && (due === undefined || s.window.dueAt < due)) due = s.window.dueAt;
    return due;
  }

  /** Closes the windows due at `now` (every open one when `all`); forgets keys that went quiet. */
  take(now: number, all = false): BanAggregate<K>[] {
    const out: BanAggregate<K>[] = [];
    for (const [key, s] of this.states) {
      const w = s.window;
      if (w && (all || w.dueAt <= now)) {
        out.push({ key, from: w.from, to: w.to, bans: w.bans, addresses: w.addresses.size, addressesAtLeast: w.addressesAtLeast, byJail: byCount(w.byJail), byCountry: byCount(w.byCountry), first: w.first });
        s.window = undefined;
      }
    }
    this.forgetQuiet(now);
    return out;
  }

  private forgetQuiet(now: number): void {
    for (const [key, s] of this.states) if (!s.window && now - s.lastBanAt >= this.limits.windowMs) this.states.delete(key);
  }
}

const list = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');

/** One line for the timeline and for the contacts' "what changed": how many, where from, who first. */
export function describeBans(a: Omit<BanAggregate<unknown>, 'key'>): string {
  const seconds = Math.max(1, Math.round((a.to - a.from) / 1000));
  const addresses = `${a.addressesAtLeast ? 'at least ' : ''}${a.addresses} more address${a.addresses === 1 ? '' : 'es'}`;
  const parts = [`jails: ${list(a.byJail)}`, Object.keys(a.byCountry).length ? `countries: ${list(a.byCountry)}` : '', `first: ${a.first.join(', ')}${a.addresses > a.first.length ? ', …' : ''}`].filter(Boolean);
  return `banned ${addresses} (${a.bans} ban${a.bans === 1 ? '' : 's'} in ${seconds} s; ${parts.join('; ')})`;
}

/**
 * Closes the digest's windows on time, on the injected clock: `arm()` after each ban makes sure
 * one timer waits for the earliest window; `stop()` flushes whatever is still open (at shutdown).
 */
export class BanFlushTimer {
  private timer: TimerHandle | undefined;
  private at: number | undefined;
  private stopped = false;

  constructor(
    private readonly o: {
      incidents: Pick<IncidentManager, 'flushBans' | 'nextBanFlush'>;
      clock: Clock;
      /** Passes an aggregate's update on to the dispatcher. */
      tell(news: IncidentNews): void;
      log: Logger;
    },
  ) {}

  arm(): void {
    const due = this.o.incidents.nextBanFlush();
    if (this.stopped || due === undefined || (this.timer && this.at! <= due)) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.at = due;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush(false).then(() => this.arm());
    }, due - this.o.clock.now());
  }

  /** Writes every open window now and tells its news; nothing counted is left behind. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush(true);
  }

  private async flush(all: boolean): Promise<void> {
    try {
      for (const n of await this.o.incidents.flushBans(this.o.clock.now(), all)) this.o.tell(n);
    } catch (err) {
      this.o.log.error({ err }, 'could not record the aggregated bans');
    }
  }
}
