/**
 * Rollups and retention, in portable SQL (no SQLite-only functions: scalar min/max are spelled
 * with CASE, the upsert is the ON CONFLICT form both SQLite and PostgreSQL accept).
 *
 * Why by id and not by time: results arrive late (a 60 s check started in minute 1 is written in
 * minute 2, the buffered writer holds rows for a second), so "roll up closed minutes" would miss
 * them. Instead every pass folds the results whose id is above the stored watermark into their
 * buckets, merging with what a bucket already holds, and moves the watermark in the same
 * transaction: each result is counted once, whenever it comes, and a second pass finds nothing.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database, RollupTable } from './database.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
/** Results folded per transaction, so one pass after a long outage does not hold the writer for long. */
const IDS_PER_PASS = 50_000;

const WATERMARK = 'rolled_up_to_id';

export async function getMeta(db: Kysely<Database>, key: string): Promise<number | undefined> {
  const row = await db.selectFrom('store_meta').select('value').where('key', '=', key).executeTakeFirst();
  return row ? Number(row.value) : undefined;
}

export async function setMeta(db: Kysely<Database>, key: string, value: number): Promise<void> {
  await db
    .insertInto('store_meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}

function upsertSet(table: RollupTable): Record<string, RawBuilder<unknown>> {
  const cur = (c: string) => sql.ref(`${table}.${c}`);
  const exc = (c: string) => sql.ref(`excluded.${c}`);
  const add = (c: string) => sql`${cur(c)} + ${exc(c)}`;
  // NULL-aware: a bucket whose results had no perfdata yet takes the newcomer's value.
  const addNullable = (c: string) => sql`case when ${cur(c)} is null then ${exc(c)} when ${exc(c)} is null then ${cur(c)} else ${cur(c)} + ${exc(c)} end`;
  const pick = (c: string, op: '<' | '>') => sql`case when ${cur(c)} is null or ${exc(c)} ${sql.raw(op)} ${cur(c)} then ${exc(c)} else ${cur(c)} end`;
  return {
    count: add('count'),
    ok: add('ok'),
    warning: add('warning'),
    critical: add('critical'),
    unknown: add('unknown'),
    duration_min: pick('duration_min', '<'),
    duration_sum: add('duration_sum'),
    duration_max: pick('duration_max', '>'),
    perf_count: add('perf_count'),
    perf_min: pick('perf_min', '<'),
    perf_sum: addNullable('perf_sum'),
    perf_max: pick('perf_max', '>'),
  };
}

/** Folds results with fromId < id <= toId into one rollup table. */
async function foldInto(db: Kysely<Database>, table: RollupTable, size: number, fromId: number, toId: number): Promise<void> {
  const bucket = sql<number>`started_at - (started_at % ${sql.lit(size)})`;
  const inState = (state: number) => sql<number>`sum(case when state = ${sql.lit(state)} then 1 else 0 end)`;
  const select = db
    .selectFrom('results')
    .select((eb) => [
      'check_id',
      'target',
      bucket.as('bucket_start'),
      eb.fn.countAll<number>().as('count'),
      inState(0).as('ok'),
      inState(1).as('warning'),
      inState(2).as('critical'),
      inState(3).as('unknown'),
      eb.fn.min('duration_ms').as('duration_min'),
      eb.fn.sum<number>('duration_ms').as('duration_sum'),
      eb.fn.max('duration_ms').as('duration_max'),
      eb.fn.count<number>('perf_value').as('perf_count'),
      eb.fn.min('perf_value').as('perf_min'),
      eb.fn.sum<number | null>('perf_value').as('perf_sum'),
      eb.fn.max('perf_value').as('perf_max'),
    ])
    // The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.
    .where('id', '>', fromId)
    .where('id', '<=', toId)
    .groupBy(['check_id', 'target', bucket]);
  // Both tables have the same shape; Kysely only needs one name to type the columns.
  await db
    .insertInto(table as 'rollups_minute')
    .columns(['check_id', 'target', 'bucket_start', 'count', 'ok', 'warning', 'critical', 'unknown', 'duration_min', 'duration_sum', 'duration_max', 'perf_count', 'perf_min', 'perf_sum', 'perf_max'])
    .expression(select)
    .onConflict((oc) => oc.columns(['check_id', 'target', 'bucket_start']).doUpdateSet(upsertSet(table)))
    .execute();
}

/** Folds every result written since the last call into both rollup tables; returns how many. */
export async function rollUp(db: Kysely<Database>): Promise<{ rolledUp: number; watermark: number }> {
  let from = (await getMeta(db, WATERMARK)) ?? 0;
  const max = await db.selectFrom('results').select((eb) => eb.fn.max('id').as('max')).executeTakeFirst();
  const maxId = Number(max?.max ?? 0);
  let rolledUp = 0;
  while (from < maxId) {
    const to = Math.min(maxId, from + IDS_PER_PASS);
    rolledUp += await db.transaction().execute(async (trx) => {
      const n = await trx.selectFrom('results').select((eb) => eb.fn.countAll<number>().as('n')).where('id', '>', from).where('id', '<=', to).executeTakeFirst();
      await foldInto(trx, 'rollups_minute', MINUTE, from, to);
      await foldInto(trx, 'rollups_hour', HOUR, from, to);
      await setMeta(trx, WATERMARK, to);
      return Number(n?.n ?? 0);
    });
    from = to;
  }
  return { rolledUp, watermark: from };
}

export interface Retention {
  rawMs: number;
  minuteMs: number;
  hourMs: number;
}

/**
 * Deletes raw results older than their retention (only those already rolled up) and rollup
 * buckets that ended before theirs.
 */
export async function applyRetention(db: Kysely<Database>, now: number, keep: Retention, watermark: number): Promise<{ deletedRaw: number; deletedMinute: number; deletedHour: number }> {
  const raw = await db.deleteFrom('results').where('started_at', '<', now - keep.rawMs).where('id', '<=', watermark).executeTakeFirst();
  const minute = await db.deleteFrom('rollups_minute').where('bucket_start', '<=', now - keep.minuteMs - MINUTE).executeTakeFirst();
  const hour = await db.deleteFrom('rollups_hour').where('bucket_start', '<=', now - keep.hourMs - HOUR).executeTakeFirst();
  return { deletedRaw: Number(raw.numDeletedRows), deletedMinute: Number(minute.numDeletedRows), deletedHour: Number(hour.numDeletedRows) };
}
