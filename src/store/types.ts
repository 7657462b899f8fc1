/**
 * The Store: where results, their per-minute and per-hour rollups, check states and config
 * revisions live. One interface, several implementations (sqlite, postgres), all held
 * to the same contract suite (test/store/contract.ts). Callers only ever see this file.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { NagiosState } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';
import type { BanRecord } from '../core/ban.ts';
import type { IncidentEvent, IncidentRecord, IncidentStatus } from '../core/incident.ts';
import type { StoreMigration } from './migrations/index.ts';
import type { SecretLookup } from '../core/secrets.ts';
import type { IncidentPage, IncidentPageQuery } from './incident-queries.ts';
import type { AuditRecord, SessionRecord, TokenRecord, UserRecord } from '../auth/types.ts';

/** A result as stored: the probe's CheckResult plus which check on which target produced it. */
export interface StoredResult extends CheckResult {
  /** The check's id, unique across all targets (the key of rollups and states). */
  checkId: string;
  /** The target's name. */
  target: string;
}

export type RollupResolution = 'minute' | 'hour';

/** min/avg/max of a measurement over a bucket. */
export interface Spread {
  min: number;
  avg: number;
  max: number;
}

/** What happened to one check during one minute or hour. */
export interface Rollup {
  checkId: string;
  target: string;
  /** Start of the bucket, ms since the epoch (a whole minute or hour, UTC). */
  bucketStart: number;
  /** Number of results in the bucket. */
  count: number;
  ok: number;
  warning: number;
  critical: number;
  unknown: number;
  durationMs: Spread;
  /** The first perfdata value of each result; null when no result in the bucket had one. */
  perf: (Spread & { count: number }) | null;
}

/** The state engine's view of one check, kept so a restart does not lose it. */
export interface CheckStateRecord {
  checkId: string;
  target: string;
  state: NagiosState;
  stateType: 'soft' | 'hard';
  /** Current attempt towards max attempts (1 when the state is hard and OK). */
  attempt: number;
  /** The text of the last result. */
  lastResult: string;
  /** When the state last changed, ms since the epoch. */
  lastChange: number;
  /** When the check last ran, ms since the epoch. */
  lastCheck: number;
}

/** One stored configuration, without its text (for lists). */
export interface ConfigRevisionInfo {
  /** Increasing number; the highest is the current configuration. */
  id: number;
  /** Hex sha256 of the text. */
  sha256: string;
  /** When this text was loaded, ms since the epoch. */
  loadedAt: number;
  /** Size of the text in bytes (UTF-8). */
  bytes: number;
}

export interface ConfigRevision extends ConfigRevisionInfo {
  text: string;
}

/** A failure a jail counted, keyed by the log line it came from (store/guard-queries.ts). */
export interface GuardFailure {
  /** The line's identity: jail, source, file and offset (or journal cursor), line hash. */
  id: string;
  jail: string;
  /** The jail's ban target (`1.2.3.4`, `2001:db8::/64`). */
  key: string;
  address: string;
  filter: string;
  /** When it happened, ms. */
  at: number;
}

/** News a contact must be told, kept until every delivery of it is final (store/outbox-queries.ts). */
export interface OutboxNews {
  id: number;
  incidentId: number;
  /** The news kind (`open`, `recovered`, ...). */
  event: string;
  at: number;
  /** What compose needs to write the message again after a restart (JSON-able, bounded). */
  news: unknown;
  /** When every delivery of it became final; null while something may still be owed. */
  doneAt: number | null;
}

/** `sending`: written before the message went out (it may have arrived); then delivered or given up. */
export type OutboxStatus = 'sending' | 'delivered' | 'failed';

/** One news told (or being told) to one contact's channel; the rows of one message share `key`. */
export interface OutboxDelivery {
  newsId: number;
  contact: string;
  /** The channel's index in the contact's list. */
  channel: number;
  /** The message's idempotency key (receivers drop a repeat of it). */
  key: string;
  status: OutboxStatus;
  at: number;
  doneAt: number | null;
  error: string | null;
}

/** The largest news JSON the outbox keeps (the dispatcher trims changes to fit). */
export const OUTBOX_MAX_BYTES = 256 * 1024;

/**
 * What an approved action will do, as data: each command's argv (`candidates`: the first that
 * exists on the server runs, the others only if it is missing) and each config change.
 */
export interface ApprovalPlan {
  commands: { step: string; candidates: string[][] }[];
  changes: { file: string; line?: number | undefined; directive: string; from: number; to: number; approximate?: boolean | undefined; backup: string }[];
}

/** A question to a person, as stored (actions/policy.ts keeps the live one). */
export interface StoredApproval {
  id: string;
  action: string;
  target: string;
  service: string;
  text: string;
  requestedAt: number;
  expiresAt: number;
  status: 'pending' | 'approved' | 'denied' | 'expired';
  by?: string | undefined;
  decidedAt?: number | undefined;
  /** Exactly what it will run and change; absent on rows stored before schema 10. */
  plan?: ApprovalPlan | undefined;
}

/** What one maintain() pass did, for logs and metrics. */
export interface MaintainReport {
  /** Results folded into the rollups since the last pass (they are folded as they are written). */
  rolledUp: number;
  deletedRaw: number;
  deletedMinute: number;
  deletedHour: number;
}

export interface Store {
  /** The implementation's type, e.g. `sqlite`. */
  readonly type: string;
  /** Where the data is, for messages: a file path or a server address (never a password). */
  readonly location: string;
  /** Version of the database schema after migrations (the number of the latest migration). */
  readonly schemaVersion: number;

  /** Writes a batch of results and their rollups in one transaction: all of them or none. */
  appendResults(batch: readonly StoredResult[]): Promise<void>;
  /**
   * Queues one result; queued results are written in batches every `flush_interval` or every
   * `flush_rows` results, whichever comes first, and on flush() and close(); each result is
   * folded into its minute and hour rollups in the transaction that writes it (an SQLite file
   * store writes in its own thread). A failed write is logged and retried with the next batch. Throws a TypeError for a malformed result (so it
   * cannot spoil a batch) and a StoreClosedError after close().
   */
  write(result: StoredResult): void;
  /**
   * Number of results queued by write() and not yet handed to the database. Results no longer
   * pending are seen by the queries below (they wait for batches being written).
   */
  readonly pending: number;
  /** Writes everything queued by write() now; rejects when the database write fails. */
  flush(): Promise<void>;
  /**
   * The newest results of a check, newest first: problems for `retention_raw`, OK results for a
   * shorter window (sqlite `retention_ok`). @defaultValue limit 100
   */
  latestResults(checkId: string, limit?: number): Promise<StoredResult[]>;
  /**
   * Rollups of a check whose bucket starts in [from, to), oldest first. The current bucket is
   * included with every result written so far (not those still pending).
   */
  rollups(checkId: string, resolution: RollupResolution, range: { from: number; to: number }): Promise<Rollup[]>;
  /**
   * Deletes raw results, minute rollups and hour rollups older than their retention relative to
   * `now`, in short slices (no long lock, no long block of the caller's thread). Rollups are not
   * made here: each result counts exactly once, folded when it is written, whenever it arrives.
   * Safe to run as often as wanted.
   */
  maintain(now: number): Promise<MaintainReport>;

  /**
   * The fencing token of the brain that leads (issue 20): a brain that takes the lead claims its
   * lease's epoch, which only ever grows; a claim lower than the stored one is refused with
   * StaleEpochError (a paused old leader woke up). Returns the epoch now stored.
   */
  claimEpoch(epoch: number): Promise<number>;
  /** The highest epoch claimed so far (0 when no brain of a cluster has led). */
  currentEpoch(): Promise<number>;

  /** Inserts or replaces the states of these checks (by check id), in one transaction. */
  upsertCheckStates(states: readonly CheckStateRecord[]): Promise<void>;
  /** Every stored check state, ordered by check id. */
  checkStates(): Promise<CheckStateRecord[]>;

  /**
   * Records a configuration text, unless it is identical to the latest revision. Returns the
   * current revision and whether a new one was stored.
   */
  saveConfigRevision(text: string, loadedAt: number): Promise<{ revision: ConfigRevisionInfo; created: boolean }>;
  /** Stored revisions, newest first. @defaultValue limit 50 */
  configRevisions(limit?: number): Promise<ConfigRevisionInfo[]>;
  configRevision(id: number): Promise<ConfigRevision | undefined>;

  /** Stores a new incident and returns it with its id (ids increase, never reused). */
  createIncident(incident: Omit<IncidentRecord, 'id'>): Promise<IncidentRecord>;
  /** Replaces an incident's status, severity, title, times and members. */
  updateIncident(incident: IncidentRecord): Promise<void>;
  /** Appends to an incident's timeline (events are never changed or removed). */
  appendIncidentEvent(event: Omit<IncidentEvent, 'id'>): Promise<IncidentEvent>;
  /** Incidents newest first, optionally only those with a status. @defaultValue limit 100 */
  incidents(opts?: { status?: IncidentStatus; limit?: number }): Promise<IncidentRecord[]>;
  /**
   * One page of incidents newest first by (openedAt, id), filtered by status, target, kind and a
   * predicate (a viewer's scope: the page is still filled), with opaque cursors to the older and
   * newer pages (store/incident-queries.ts). Throws an IncidentCursorError for a cursor it did not make.
   */
  incidentPage(q: IncidentPageQuery): Promise<IncidentPage>;
  incident(id: number): Promise<IncidentRecord | undefined>;
  /** An incident's timeline, oldest first. */
  incidentEvents(incidentId: number): Promise<IncidentEvent[]>;

  /** Inserts or replaces a ban (by address, port and protocol). */
  saveBan(ban: BanRecord): Promise<void>;
  /** Removes every ban of this address or network (all ports); returns how many there were. */
  removeBans(address: string): Promise<number>;
  /** Bans, oldest first; with `activeAt`, only those not ended by then. */
  bans(opts?: { activeAt?: number }): Promise<BanRecord[]>;
  /** Deletes bans that ended before `now`; returns how many. */
  expireBans(now: number): Promise<number>;

  // Accounts: users, sessions, API tokens and the audit trail (store/auth-queries.ts). Only the
  // auth room (auth/service.ts) calls these; it validates, hashes and audits.
  /** Stores a new user; undefined when the name is taken. */
  createUser(user: Omit<UserRecord, 'id'>): Promise<UserRecord | undefined>;
  /** Changes some fields of a user; false when there is no such user. */
  updateUser(id: number, patch: { role?: UserRecord['role']; scope?: UserRecord['scope']; passwordHash?: string; passwordChangedAt?: number; lang?: UserRecord['lang']; zone?: UserRecord['zone'] }): Promise<boolean>;
  /** Deletes a user with their sessions and tokens, in one transaction; false when there was none. */
  deleteUser(id: number): Promise<boolean>;
  userByName(name: string): Promise<UserRecord | undefined>;
  userById(id: number): Promise<UserRecord | undefined>;
  /** Every user, ordered by name. */
  users(): Promise<UserRecord[]>;
  createSession(session: SessionRecord): Promise<void>;
  session(idHash: string): Promise<SessionRecord | undefined>;
  /** Sets a session's last use. */
  touchSession(idHash: string, at: number): Promise<void>;
  deleteSession(idHash: string): Promise<boolean>;
  /** Ends every session of a user except one; returns how many were ended. */
  deleteSessions(userId: number, exceptIdHash?: string): Promise<number>;
  /** Deletes sessions last used before `idleBefore` or created before `createdBefore`; returns how many. */
  deleteExpiredSessions(idleBefore: number, createdBefore: number): Promise<number>;
  /** Stores a new token; undefined when a token not revoked has that name (or the hash exists). */
  createToken(token: Omit<TokenRecord, 'id'>): Promise<TokenRecord | undefined>;
  tokenByHash(hash: string): Promise<TokenRecord | undefined>;
  /** Every token, revoked ones included, ordered by id. */
  tokens(): Promise<TokenRecord[]>;
  /** Marks a token revoked at `at`; false when there is none or it was revoked already. */
  revokeToken(id: number, at: number): Promise<boolean>;
  /** Sets a token's last use. */
  touchToken(id: number, at: number): Promise<void>;
  /** Appends to the audit trail (records are never changed or removed). */
  appendAudit(record: Omit<AuditRecord, 'id'>): Promise<AuditRecord>;
  /** Audit records newest first, at most `limit`; with `before`, only those with a smaller id (the cursor). */
  audit(opts: { limit: number; before?: number }): Promise<AuditRecord[]>;

  // The guard's crash safety (store/guard-queries.ts); only src/guard calls these.
  /** Stores counted failures; returns the ids that were not stored before. */
  recordGuardFailures(failures: readonly GuardFailure[]): Promise<Set<string>>;
  /** Failures at or after `since`, oldest first. */
  guardFailures(since: number): Promise<GuardFailure[]>;
  /** Forgets the failures of one address in one jail (its threshold was reached). */
  clearGuardFailures(jail: string, key: string): Promise<void>;
  /** Deletes failures older than `before`; returns how many. */
  pruneGuardFailures(before: number): Promise<number>;
  /** One transaction: the ban saved, the failures that earned it cleared, its incident note owed. */
  saveBanIntent(ban: BanRecord, counted?: { jail: string; key: string }): Promise<void>;
  /** The ban's incident note is written. */
  banNoted(banKey: string): Promise<void>;
  /** Ban keys whose incident note is still owed. */
  pendingBanNotes(): Promise<string[]>;
  /** True when an owed ban's note was written after all (its record text, or its attack incident lists it). */
  banNoteWritten(ban: { address: string; until?: number | undefined; port?: number | undefined }, text: string, since: number): Promise<boolean>;

  // Outbox: messages owed to contacts, and approvals owed an answer (store/outbox-queries.ts).
  // Only the notify room's dispatcher and the action policy call these.
  /** Writes news before anything is sent; throws a RangeError past OUTBOX_MAX_BYTES of JSON. */
  addOutboxNews(news: Omit<OutboxNews, 'id' | 'doneAt'>): Promise<OutboxNews>;
  /** Before a message goes out: a `sending` row per news for this contact's channel (an existing row is kept). */
  startOutboxDelivery(d: { newsIds: readonly number[]; contact: string; channel: number; key: string; at: number }): Promise<void>;
  /** Marks the `sending` rows of a message delivered or given up; returns how many rows changed. */
  finishOutboxDelivery(key: string, status: 'delivered' | 'failed', at: number, error?: string): Promise<number>;
  /** Marks news done: nothing more is owed for them. */
  finishOutboxNews(ids: readonly number[], at: number): Promise<void>;
  /** News not done, oldest first (at most `limit`, default 1000), with their delivery rows. */
  pendingOutbox(limit?: number): Promise<{ news: OutboxNews[]; deliveries: OutboxDelivery[] }>;
  /** Deletes news done before `before` with their delivery rows; returns how many news. */
  pruneOutbox(before: number): Promise<number>;
  /** Inserts or replaces an approval (by id). */
  saveApproval(a: StoredApproval): Promise<void>;
  /** Approvals oldest first; with `status`, only those. */
  approvals(opts?: { status?: StoredApproval['status'] }): Promise<StoredApproval[]>;

  /** Writes what write() queued, then closes the database. Later calls do nothing. */
  close(): Promise<void>;
}

export interface StoreContext {
  log: Logger;
  /** Drives the write() batching timer; the system clock unless a test brings a fake one. */
  clock?: Clock;
  /** Replaces the built-in migrations (tests of upgrades and of databases from the future). */
  migrations?: Record<string, StoreMigration>;
  /** The config's secrets by name (a server store's `password_secret`); absent: MAMORU_SECRET_NAME. */
  secret?: SecretLookup;
}

/** The shape of every store implementation (style.md 3): `{ type, summary, schema, create }`. */
export interface StoreDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name and the config discriminator (`store: { type: sqlite }`). */
  type: string;
  /** One line for the CLI help and the docs. */
  summary: string;
  /** The implementation's own options (snake_case keys, defaults in the schema). */
  schema: S;
  /** Opens the store: creates what is missing, runs migrations. Rejects with a StoreOpenError. */
  create(options: z.output<S>, ctx: StoreContext): Promise<Store>;
}

/** Identity helper that keeps the option types of each store. */
export function defineStore<S extends z.ZodObject>(def: StoreDefinition<S>): StoreDefinition<S> {
  return def;
}
