/**
 * The guard's crash-safety queries (schema 7) over any Kysely database, in SQL that SQLite and
 * PostgreSQL both accept. Each call is one statement or one transaction, so a kill at any instant
 * leaves all of it or none: a ban's intent (the ban row, its failures cleared, its incident note
 * owed) is one transaction, written before the ban reaches the kernel.
 */
import type { Kysely } from 'kysely';
import { banKey, type BanRecord } from '../core/ban.ts';
import type { Database } from './database.ts';
import { banToRow } from './rows.ts';
import type { GuardFailure } from './types.ts';

type Db = Kysely<Database>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
// Rows per INSERT: 6 parameters each, well under SQLite's 32,766 and PostgreSQL's 65,535.
const ROWS_PER_INSERT = 500;

/** Inserts the failures not stored yet; returns the ids that were new (a line read again is not). */
export async function recordGuardFailures(db: Db, failures: readonly GuardFailure[]): Promise<Set<string>> {
  const fresh = new Set<string>();
  if (failures.length === 0) return fresh;
  await db.transaction().execute(async (trx) => {
    for (let i = 0; i < failures.length; i += ROWS_PER_INSERT) {
      const rows = failures.slice(i, i + ROWS_PER_INSERT).map((f) => ({ id: f.id, jail: f.jail, ban_key: f.key, address: f.address, filter: f.filter, at: Math.round(f.at) }));
      const out = await trx
        .insertInto('guard_failures')
        .values(rows)
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .execute();
      for (const r of out) fresh.add(r.id);
    }
  });
  return fresh;
}

/** Failures at or after `since`, oldest first (what a restart counts again). */
export async function guardFailures(db: Db, since: number): Promise<GuardFailure[]> {
  const rows = await db.selectFrom('guard_failures').selectAll().where('at', '>=', since).orderBy('at').orderBy('id').execute();
  return rows.map((r) => ({ id: r.id, jail: r.jail, key: r.ban_key, address: r.address, filter: r.filter, at: num(r.at) }));
}

/** The count of one address in one jail starts again (its threshold was reached). */
export async function clearGuardFailures(db: Db, jail: string, key: string): Promise<void> {
  await db.deleteFrom('guard_failures').where('jail', '=', jail).where('ban_key', '=', key).execute();
}

/** Deletes failures older than `before`; returns how many. */
export async function pruneGuardFailures(db: Db, before: number): Promise<number> {
  const r = await db.deleteFrom('guard_failures').where('at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * A ban's intent, in one transaction: the ban stored (listed and liftable from now on), the
 * failures that earned it cleared (a restart does not count them again), its incident note owed.
 */
export async function saveBanIntent(db: Db, ban: BanRecord, counted?: { jail: string; key: string }): Promise<void> {
  const row = banToRow(ban);
  const { ban_key: _key, ...rest } = row;
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('bans')
      .values(row)
      .onConflict((oc) => oc.column('ban_key').doUpdateSet(rest))
      .execute();
    if (counted) await trx.deleteFrom('guard_failures').where('jail', '=', counted.jail).where('ban_key', '=', counted.key).execute();
    await trx
      .insertInto('guard_ban_notes')
      .values({ ban_key: banKey(ban), created_at: Math.round(ban.createdAt) })
      .onConflict((oc) => oc.column('ban_key').doUpdateSet({ created_at: Math.round(ban.createdAt) }))
      .execute();
  });
}

/** The ban's incident note is written: nothing owed any more. */
export async function banNoted(db: Db, key: string): Promise<void> {
  await db.deleteFrom('guard_ban_notes').where('ban_key', '=', key).execute();
}

/** Ban keys whose incident note is still owed (a kill came between the ban and its note). */
export async function pendingBanNotes(db: Db): Promise<string[]> {
  const rows = await db.selectFrom('guard_ban_notes').select('ban_key').orderBy('created_at').execute();
  return rows.map((r) => r.ban_key);
}

/**
 * True when a ban's incident note was written though its mark was not (a kill between the two):
 * its `ban` record (same text) is in a timeline, or its attack incident lists it. A restart asks
 * before noting an owed ban again, so a note is never written twice.
 */
export async function banNoteWritten(db: Db, ban: { address: string; until?: number | undefined; port?: number | undefined }, text: string, since: number): Promise<boolean> {
  const from = Math.round(since);
  const event = await db.selectFrom('incident_events').select('id').where('kind', '=', 'ban').where('at', '>=', from).where('text', '=', text).limit(1).executeTakeFirst();
  if (event) return true;
  const rows = await db.selectFrom('incidents').select('attack').where('kind', '=', 'attack').where('updated_at', '>=', from).execute();
  for (const r of rows) {
    const bans = r.attack ? ((JSON.parse(r.attack) as { bans?: { address: string; until?: number; port?: number }[] }).bans ?? []) : [];
    if (bans.some((b) => b.address === ban.address && b.until === ban.until && b.port === ban.port)) return true;
  }
  return false;
}
