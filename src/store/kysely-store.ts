/**
 * The Store over any Kysely database. All queries live here and in rollup.ts, in SQL that SQLite
 * and PostgreSQL both accept, so an implementation file (sqlite.ts, postgres.ts) only opens the
 * connection and hands it over, with the sink that writes its results.
 */
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../core/clock.ts';
import { BufferedWriter } from './buffered-writer.ts';
import type { Database } from './database.ts';
import { StaleEpochError, StoreClosedError, StoreOpenError } from './errors.ts';
import { migrate } from './migrate.ts';
import { migrations as builtinMigrations, type SqlDialect, type StoreMigration } from './migrations/index.ts';
import { toColumns } from './result-columns.ts';
import type { ResultSink } from './result-sink.ts';
import { assertStorable, banFromRow, banToRow, incidentEventFromRow, incidentFromRow, incidentToRow, resultFromRow, rollupFromRow, stateFromRow, stateToRow } from './rows.ts';
import type { BanRecord } from '../core/ban.ts';
import type { IncidentEvent, IncidentRecord, IncidentStatus } from '../core/incident.ts';
import * as accounts from './auth-queries.ts';
import * as outbox from './outbox-queries.ts';
import * as guard from './guard-queries.ts';
import { incidentPage, type IncidentPageQuery } from './incident-queries.ts';
import type { AuditRecord, Scope, SessionRecord, TokenRecord, UserRecord } from '../auth/types.ts';
import type { CheckStateRecord, ConfigRevision, ConfigRevisionInfo, GuardFailure, MaintainReport, OutboxNews, Rollup, RollupResolution, Store, StoredApproval, StoredResult } from './types.ts';

// Rows per INSERT: 100 rows of 9 columns stays under every engine's bound-parameter limit.
const ROWS_PER_INSERT = 100;

export interface KyselyStoreOptions {
  type: string;
  dialect: SqlDialect;
  location: string;
  flushMs: number;
  flushRows: number;
  log: Logger;
  clock?: Clock | undefined;
  migrations?: Record<string, StoreMigration> | undefined;
  /**
   * Where results go, with their rollups (folded per batch, in the batch's transaction) and
   * retention: result-sink.ts. Made after the migrations ran (its statements need the tables).
   */
  results: (db: Kysely<Database>) => Promise<ResultSink>;
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function revisionInfo(row: { id: unknown; sha256: string; loaded_at: unknown; bytes: unknown }): ConfigRevisionInfo {
  return { id: Number(row.id), sha256: row.sha256, loadedAt: Number(row.loaded_at), bytes: Number(row.bytes) };
}

/** Runs migrations and returns the store; destroys the connection if that fails. */
export async function openKyselyStore(db: Kysely<Database>, opts: KyselyStoreOptions): Promise<Store> {
  try {
    const version = await migrate(db, { dialect: opts.dialect, location: opts.location, set: opts.migrations ?? builtinMigrations, log: opts.log });
    return new KyselyStore(db, version, await opts.results(db), opts);
  } catch (e) {
    await db.destroy().catch(() => {});
    if (e instanceof StoreOpenError) throw e;
    throw new StoreOpenError(opts.location, `preparing the schema failed: ${(e as Error)?.message ?? String(e)}`, 'Check that the database is writable and not damaged, or point the store elsewhere.', { cause: e });
  }
}

/** store_meta's key for the fencing token of the brain that leads. */
const EPOCH_KEY = 'brain_epoch';

class KyselyStore implements Store {
  readonly type: string;
  readonly location: string;
  private readonly writer: BufferedWriter<StoredResult>;
  private closing: Promise<void> | undefined;
  private destroyed = false;

  constructor(
    private readonly db: Kysely<Database>,
    readonly schemaVersion: number,
    private readonly results: ResultSink,
    private readonly opts: KyselyStoreOptions,
  ) {
    this.type = opts.type;
    this.location = opts.location;
    // A queued batch goes in transactions of bounded size; a failure says how many rows were
    // committed, so the writer retries only the rest.
    this.writer = new BufferedWriter(async (batch) => {
      this.conn();
      await this.results.write(toColumns(batch), false);
    }, {
      flushMs: opts.flushMs,
      maxRows: opts.flushRows,
      maxQueued: Math.max(100_000, opts.flushRows * 10),
      clock: opts.clock ?? systemClock,
      log: opts.log,
    });
  }

  private checkOpen(): void {
    if (this.closing) throw new StoreClosedError(this.location);
  }

  /** The connection, while it is open (close() still writes through it before destroying it). */
  private conn(): Kysely<Database> {
    if (this.destroyed) throw new StoreClosedError(this.location);
    return this.db;
  }

  async appendResults(batch: readonly StoredResult[]): Promise<void> {
    // The buffered writer's last flush runs while closing, so only the connection decides here.
    this.conn();
    if (batch.length === 0) return;
    await this.results.write(toColumns(batch), true);
  }

  write(result: StoredResult): void {
    this.checkOpen();
    assertStorable(result);
    this.writer.add(result);
  }

  get pending(): number {
    return this.writer.pending;
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  async claimEpoch(epoch: number): Promise<number> {
    if (!Number.isSafeInteger(epoch) || epoch < 1) throw new RangeError(`an epoch is a whole number from 1, got ${epoch}`);
    // One statement: the stored value only grows, whoever commits first.
    await this.conn()
      .insertInto('store_meta')
      .values({ key: EPOCH_KEY, value: epoch })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value: sql<number>`case when excluded.value > store_meta.value then excluded.value else store_meta.value end` }))
      .execute();
    const current = await this.currentEpoch();
    if (current > epoch) throw new StaleEpochError(epoch, current);
    return current;
  }

  async currentEpoch(): Promise<number> {
    const row = await this.conn().selectFrom('store_meta').select('value').where('key', '=', EPOCH_KEY).executeTakeFirst();
    return row ? Number(row.value) : 0;
  }

  async latestResults(checkId: string, limit = 100): Promise<StoredResult[]> {
    await this.writer.settled();
    const rows = await this.conn().selectFrom('results').selectAll().where('check_id', '=', checkId).orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
    return rows.map(resultFromRow);
  }

  async rollups(checkId: string, resolution: RollupResolution, range: { from: number; to: number }): Promise<Rollup[]> {
    const table = resolution === 'minute' ? 'rollups_minute' : 'rollups_hour';
    await this.writer.settled();
    const rows = await this.conn()
      .selectFrom(table)
      .selectAll()
      .where('check_id', '=', checkId)
      .where('bucket_start', '>=', range.from)
      .where('bucket_start', '<', range.to)
      .orderBy('bucket_start')
      .orderBy('target')
      .execute();
    return rows.map(rollupFromRow);
  }

  async maintain(now: number): Promise<MaintainReport> {
    await this.writer.settled();
    this.conn();
    const report = await this.results.maintain(now);
    this.opts.log.debug({ ...report, store: this.location }, 'store maintained');
    return report;
  }

  async upsertCheckStates(states: readonly CheckStateRecord[]): Promise<void> {
    if (states.length === 0) return;
    const rows = states.map(stateToRow);
    await this.conn().transaction().execute(async (trx) => {
      for (const part of chunks(rows, ROWS_PER_INSERT)) {
        await trx
          .insertInto('check_states')
          .values(part)
          .onConflict((oc) =>
            oc.column('check_id').doUpdateSet((eb) => ({
              target: eb.ref('excluded.target'),
              state: eb.ref('excluded.state'),
              state_type: eb.ref('excluded.state_type'),
              attempt: eb.ref('excluded.attempt'),
              last_result: eb.ref('excluded.last_result'),
              last_change: eb.ref('excluded.last_change'),
              last_check: eb.ref('excluded.last_check'),
            })),
          )
          .execute();
      }
    });
  }

  async checkStates(): Promise<CheckStateRecord[]> {
    const rows = await this.conn().selectFrom('check_states').selectAll().orderBy('check_id').execute();
    return rows.map(stateFromRow);
  }

  async saveConfigRevision(text: string, loadedAt: number): Promise<{ revision: ConfigRevisionInfo; created: boolean }> {
    const sha256 = createHash('sha256').update(text).digest('hex');
    const bytes = Buffer.byteLength(text);
    return this.conn().transaction().execute(async (trx) => {
      const last = await trx.selectFrom('config_revisions').select(['id', 'sha256', 'loaded_at', 'bytes']).orderBy('id', 'desc').limit(1).executeTakeFirst();
      if (last && last.sha256 === sha256) return { revision: revisionInfo(last), created: false };
      const row = await trx.insertInto('config_revisions').values({ sha256, text, bytes, loaded_at: Math.round(loadedAt) }).returning('id').executeTakeFirstOrThrow();
      return { revision: { id: Number(row.id), sha256, loadedAt: Math.round(loadedAt), bytes }, created: true };
    });
  }

  async configRevisions(limit = 50): Promise<ConfigRevisionInfo[]> {
    const rows = await this.conn().selectFrom('config_revisions').select(['id', 'sha256', 'loaded_at', 'bytes']).orderBy('id', 'desc').limit(limit).execute();
    return rows.map(revisionInfo);
  }

  async configRevision(id: number): Promise<ConfigRevision | undefined> {
    const row = await this.conn().selectFrom('config_revisions').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? { ...revisionInfo(row), text: row.text } : undefined;
  }

  async createIncident(incident: Omit<IncidentRecord, 'id'>): Promise<IncidentRecord> {
    const row = await this.conn().insertInto('incidents').values(incidentToRow(incident)).returning('id').executeTakeFirstOrThrow();
    return { ...incident, id: Number(row.id) };
  }

  async updateIncident(incident: IncidentRecord): Promise<void> {
    const r = await this.conn().updateTable('incidents').set(incidentToRow(incident)).where('id', '=', incident.id).executeTakeFirst();
    if (Number(r.numUpdatedRows) !== 1) throw new RangeError(`no incident #${incident.id} to update`);
  }

  async appendIncidentEvent(event: Omit<IncidentEvent, 'id'>): Promise<IncidentEvent> {
    const row = await this.conn()
      .insertInto('incident_events')
      .values({ incident_id: event.incidentId, at: Math.round(event.at), kind: event.kind, text: event.text, data: event.data === undefined ? null : JSON.stringify(event.data) })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { ...event, id: Number(row.id) };
  }

  async incidents(opts: { status?: IncidentStatus; limit?: number } = {}): Promise<IncidentRecord[]> {
    let q = this.conn().selectFrom('incidents').selectAll();
    if (opts.status) q = q.where('status', '=', opts.status);
    const rows = await q.orderBy('id', 'desc').limit(opts.limit ?? 100).execute();
    return rows.map(incidentFromRow);
  }

  incidentPage(q: IncidentPageQuery) { return incidentPage(this.conn(), q); }

  async incident(id: number): Promise<IncidentRecord | undefined> {
    const row = await this.conn().selectFrom('incidents').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? incidentFromRow(row) : undefined;
  }

  async incidentEvents(incidentId: number): Promise<IncidentEvent[]> {
    const rows = await this.conn().selectFrom('incident_events').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute();
    return rows.map(incidentEventFromRow);
  }

  async saveBan(ban: BanRecord): Promise<void> {
    const row = banToRow(ban);
    const { ban_key: _key, ...rest } = row;
    await this.conn()
      .insertInto('bans')
      .values(row)
      .onConflict((oc) => oc.column('ban_key').doUpdateSet(rest))
      .execute();
  }

  async removeBans(address: string): Promise<number> {
    const r = await this.conn().deleteFrom('bans').where('address', '=', address).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  async bans(opts: { activeAt?: number } = {}): Promise<BanRecord[]> {
    let q = this.conn().selectFrom('bans').selectAll();
    if (opts.activeAt !== undefined) {
      const at = opts.activeAt;
      q = q.where((eb) => eb.or([eb('until', 'is', null), eb('until', '>', at)]));
    }
    const rows = await q.orderBy('created_at').orderBy('ban_key').execute();
    return rows.map(banFromRow);
  }

  async expireBans(now: number): Promise<number> {
    const r = await this.conn().deleteFrom('bans').where('until', 'is not', null).where('until', '<=', now).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  // Accounts: the queries live in auth-queries.ts.
  createUser(u: Omit<UserRecord, 'id'>) { return accounts.createUser(this.conn(), u); }
  updateUser(id: number, patch: { role?: UserRecord['role']; scope?: Scope; passwordHash?: string; passwordChangedAt?: number; lang?: UserRecord['lang']; zone?: UserRecord['zone'] }) { return accounts.updateUser(this.conn(), id, patch); }
  deleteUser(id: number) { return accounts.deleteUser(this.conn(), id); }
  userByName(name: string) { return accounts.userByName(this.conn(), name); }
  userById(id: number) { return accounts.userById(this.conn(), id); }
  users() { return accounts.users(this.conn()); }
  createSession(s: SessionRecord) { return accounts.createSession(this.conn(), s); }
  session(idHash: string) { return accounts.session(this.conn(), idHash); }
  touchSession(idHash: string, at: number) { return accounts.touchSession(this.conn(), idHash, at); }
  deleteSession(idHash: string) { return accounts.deleteSession(this.conn(), idHash); }
  deleteSessions(userId: number, exceptIdHash?: string) { return accounts.deleteSessions(this.conn(), userId, exceptIdHash); }
  deleteExpiredSessions(idleBefore: number, createdBefore: number) { return accounts.deleteExpiredSessions(this.conn(), idleBefore, createdBefore); }
  createToken(t: Omit<TokenRecord, 'id'>) { return accounts.createToken(this.conn(), t); }
  tokenByHash(hash: string) { return accounts.tokenByHash(this.conn(), hash); }
  tokens() { return accounts.tokens(this.conn()); }
  revokeToken(id: number, at: number) { return accounts.revokeToken(this.conn(), id, at); }
  touchToken(id: number, at: number) { return accounts.touchToken(this.conn(), id, at); }
  appendAudit(a: Omit<AuditRecord, 'id'>) { return accounts.appendAudit(this.conn(), a); }
  audit(opts: { limit: number; before?: number }) { return accounts.audit(this.conn(), opts); }

  // Outbox and approvals: the queries live in outbox-queries.ts.
  // The guard's crash safety: the queries live in guard-queries.ts.
  recordGuardFailures(f: readonly GuardFailure[]) { return guard.recordGuardFailures(this.conn(), f); }
  guardFailures(since: number) { return guard.guardFailures(this.conn(), since); }
  clearGuardFailures(jail: string, key: string) { return guard.clearGuardFailures(this.conn(), jail, key); }
  pruneGuardFailures(before: number) { return guard.pruneGuardFailures(this.conn(), before); }
  saveBanIntent(ban: BanRecord, counted?: { jail: string; key: string }) { return guard.saveBanIntent(this.conn(), ban, counted); }
  banNoted(key: string) { return guard.banNoted(this.conn(), key); }
  pendingBanNotes() { return guard.pendingBanNotes(this.conn()); }
  banNoteWritten(ban: { address: string; until?: number | undefined; port?: number | undefined }, text: string, since: number) { return guard.banNoteWritten(this.conn(), ban, text, since); }

  addOutboxNews(n: Omit<OutboxNews, 'id' | 'doneAt'>) { return outbox.addOutboxNews(this.conn(), n); }
  startOutboxDelivery(d: { newsIds: readonly number[]; contact: string; channel: number; key: string; at: number }) { return outbox.startOutboxDelivery(this.conn(), d); }
  finishOutboxDelivery(key: string, status: 'delivered' | 'failed', at: number, error?: string) { return outbox.finishOutboxDelivery(this.conn(), key, status, at, error); }
  finishOutboxNews(ids: readonly number[], at: number) { return outbox.finishOutboxNews(this.conn(), ids, at); }
  pendingOutbox(limit?: number) { return outbox.pendingOutbox(this.conn(), limit); }
  pruneOutbox(before: number) { return outbox.pruneOutbox(this.conn(), before); }
  saveApproval(a: StoredApproval) { return outbox.saveApproval(this.conn(), a); }
  approvals(opts?: { status?: StoredApproval['status'] }) { return outbox.approvals(this.conn(), opts); }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.writer.flush();
      } finally {
        this.writer.stop();
        await this.results.close();
        this.destroyed = true;
        await this.db.destroy();
        this.opts.log.info({ store: this.location }, 'store closed');
      }
    })();
    return this.closing;
  }
}
