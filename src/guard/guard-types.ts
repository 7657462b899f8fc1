/**
 * The shapes the guard is given (style.md 6: injected once, by daemon-guard.ts): the firewall,
 * the store, the jails with their sources, and the hooks for incidents and enrichment.
 */
import type { Logger } from 'pino';
import type { BanRecord } from '../core/ban.ts';
import type { Clock } from '../core/clock.ts';
import type { FirewallState } from '../firewall/drift.ts';
import type { BanRule } from '../firewall/types.ts';
import type { GuardFailure } from '../store/types.ts';
import type { Enrichment } from './enrich/enrich.ts';
import type { Failure } from './filters/index.ts';
import type { AllowCheck, BanDecision, JailOptions } from './jail.ts';
import type { Recidive } from './recidive.ts';
import type { Source } from './sources/types.ts';

/** The firewall as the guard uses it (src/firewall's Firewall fits). */
export interface GuardFirewall {
  setup(): Promise<void>;
  ban(b: { address: string; until?: number | undefined; port?: number | undefined; proto?: 'tcp' | 'udp' | undefined }): Promise<void>;
  unban(address: string): Promise<void>;
  /** What the kernel holds (the drift watch reads it every second). */
  list?(): Promise<BanRule[]>;
  /** Bans and structure problems in one read (nftables), preferred over list(). */
  state?(): Promise<FirewallState>;
}

/**
 * The store as the guard uses it. The failure and intent methods are what make a kill at any
 * instant harmless (src/store/guard-queries.ts); a store without them gives the old behaviour
 * (counts in memory only, the ban saved after the kernel).
 */
export interface BanStore {
  saveBan(b: BanRecord): Promise<void>;
  bans(opts?: { activeAt?: number }): Promise<BanRecord[]>;
  expireBans(now: number): Promise<number>;
  recordGuardFailures?(failures: readonly GuardFailure[]): Promise<Set<string>>;
  guardFailures?(since: number): Promise<GuardFailure[]>;
  clearGuardFailures?(jail: string, key: string): Promise<void>;
  pruneGuardFailures?(before: number): Promise<number>;
  saveBanIntent?(ban: BanRecord, counted?: { jail: string; key: string }): Promise<void>;
  banNoted?(banKey: string): Promise<void>;
  pendingBanNotes?(): Promise<string[]>;
  banNoteWritten?(ban: { address: string; until?: number | undefined; port?: number | undefined }, text: string, since: number): Promise<boolean>;
}

export interface GuardJail {
  name: string;
  options: JailOptions;
  /** The sources of this jail, already created (started by the guard). */
  sources: Source[];
  timeZone?: string | undefined;
  /** The target whose incidents the jail's bans go to. */
  target: string;
  /** The jail's config as text: a reload keeps a jail whose signature did not change. */
  signature?: string | undefined;
}

/** A ban that was applied, as reported to incidents and logs. */
export interface AppliedBan {
  jail: string;
  target: string;
  ban: BanDecision;
  failure: Failure;
  /** When the threshold line was read and when the rule was in the kernel (ms), for the latency figure. */
  readAt: number;
  appliedAt: number;
  cut?: string | undefined;
  /** Noted again at start: the ban was made before a restart, its incident note was still owed. */
  restored?: boolean | undefined;
}

export interface GuardDeps {
  firewall: GuardFirewall;
  store: BanStore;
  allow: AllowCheck;
  log: Logger;
  clock: Clock;
  /** Closes the open connections of a banned address; resolves with a line for the record. */
  cut?: ((address: string) => Promise<string>) | undefined;
  enrich?: ((address: string) => Promise<Enrichment>) | undefined;
  /**
   * Brings the firewall to these bans, both ways: missing ones added, ones nobody stored
   * removed, the structure put back. Returns a line when it changed something.
   */
  reconcile?: ((wanted: BanRecord[], now: number) => Promise<string | undefined>) | undefined;
  /**
   * The connection table: per local port asked (undefined: every port), the sources with their
   * SYN_RECV and ESTABLISHED counts. Read every `connectionIntervalMs`; evidence for the jails.
   */
  connections?: ((ports: readonly (number | undefined)[]) => Promise<Map<number | undefined, { address: string; synRecv: number; established: number }[]>>) | undefined;
  /** @defaultValue 5000 */
  connectionIntervalMs?: number | undefined;
  /** How often the drift watch reads the firewall. @defaultValue 1000 */
  driftIntervalMs?: number | undefined;
  /**
   * Told of each ban once it is in the kernel (incidents); enrichment follows in `onEnriched`.
   * Whoever writes the note calls store.banNoted when it is durable (daemon-guard.ts).
   */
  onBan?: ((b: AppliedBan) => void) | undefined;
  /** The recidive jail (guard.recidive): repeat offenders of any jail banned long on every port. */
  recidive?: Recidive | undefined;
  onEnriched?: ((b: AppliedBan, e: Enrichment) => void) | undefined;
}
