/**
 * Rollups and retention, in portable SQL (no SQLite-only functions: scalar min/max are spelled
 * with CASE, the upsert is the ON CONFLICT form both SQLite and PostgreSQL accept, deletes are
 * sliced with `IN (SELECT ... LIMIT n)`), so a PostgreSQL writer can run the same texts.
 *
 * Rollups are folded as results are written: the writer aggregates each batch per check and
 * bucket (foldColumns) and upserts those partial buckets in the same transaction that inserts the
 * batch's raw rows, moving the `rolled_up_to_id` watermark with them. A result is therefore
 * counted exactly once whatever happens: a crash rolls back rows and buckets together, a late
 * result merges into its (older) bucket, two batches touching one bucket add up.
 *
 * The watermark remains for databases written before this scheme (results above it were never
 * folded): the writer folds those first, in slices (CATCH_UP_SQL), before taking any batch.
 */
import type { ResultColumns } from './result-columns.ts';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const WATERMARK = 'rolled_up_to_id';

/** One bucket's partial sums, in the column order of ROLLUP_COLUMNS. */
export type BucketRow = [checkId: string, target: string, bucketStart: number, count: number, ok: number, warning: number, critical: number, unknown: number, durationMin: number, durationSum: number, durationMax: number, perfCount: number, perfMin: number | null, perfSum: number | null, perfMax: number | null];

export const ROLLUP_COLUMNS = 'check_id, target, bucket_start, count, ok, warning, critical, unknown, duration_min, duration_sum, duration_max, perf_count, perf_min, perf_sum, perf_max';

/** The ON CONFLICT update that adds a partial bucket to the stored one (both dialects). */
export function mergeSet(table: string): string {
  const add = (c: string) => `${c} = ${table}.${c} + excluded.${c}`;
  // NULL-aware: a bucket whose results had no perfdata yet takes the newcomer's value.
  const addNullable = (c: string) => `${c} = case when ${table}.${c} is null then excluded.${c} when excluded.${c} is null then ${table}.${c} else ${table}.${c} + excluded.${c} end`;
  const pick = (c: string, op: '<' | '>') => `${c} = case when ${table}.${c} is null or excluded.${c} ${op} ${table}.${c} then excluded.${c} else ${table}.${c} end`;
  return [add('count'), add('ok'), add('warning'), add('critical'), add('unknown'), pick('duration_min', '<'), add('duration_sum'), pick('duration_max', '>'), add('perf_count'), pick('perf_min', '<'), addNullable('perf_sum'), pick('perf_max', '>')].join(', ');
}

/** Adds one partial bucket (15 parameters, BucketRow order) to what the table holds. */
export function upsertBucketSql(table: 'rollups_minute' | 'rollups_hour'): string {
  return `insert into ${table} (${ROLLUP_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (check_id, target, bucket_start) do update set ${mergeSet(table)}`;
}

/** Folds results with ? < id <= ? into one table (the catch-up of unfolded rows). */
export function catchUpSql(table: 'rollups_minute' | 'rollups_hour', size: number): string {
  const bucket = `started_at - (started_at % ${size})`;
  const inState = (s: number) => `sum(case when state = ${s} then 1 else 0 end)`;
  // The WHERE also keeps SQLite from reading ON CONFLICT as a join constraint.
  return `insert into ${table} (${ROLLUP_COLUMNS}) select check_id, target, ${bucket}, count(*), ${inState(0)}, ${inState(1)}, ${inState(2)}, ${inState(3)}, min(duration_ms), sum(duration_ms), max(duration_ms), count(perf_value), min(perf_value), sum(perf_value), max(perf_value) from results where id > ? and id <= ? group by check_id, target, ${bucket} on conflict (check_id, target, bucket_start) do update set ${mergeSet(table)}`;
}

/** Deletes at most ? raw results of one state started before ? and already folded (id <= ?). */
export const DELETE_RESULTS_SQL = 'delete from results where id in (select id from results where state = ? and started_at < ? and id <= ? limit ?)';

/** Deletes at most ? buckets that ended before their retention. */
export function deleteBucketsSql(table: 'rollups_minute' | 'rollups_hour'): string {
  return `delete from ${table} where (check_id, target, bucket_start) in (select check_id, target, bucket_start from ${table} where bucket_start <= ? limit ?)`;
}

export interface Retention {
  /** Problems (WARNING, CRITICAL, UNKNOWN) kept this long. */
  rawMs: number;
  /** OK results kept this long (the shorter of the two applies). */
  okMs: number;
  minuteMs: number;
  hourMs: number;
}

/**
 * Folds rows [from, to) of a batch into partial buckets of `size` ms, one per check and bucket.
 * Columns hold what rows.ts would store (perf_value NaN for none).
 */
export function foldColumns(c: ResultColumns, from: number, to: number, size: number): BucketRow[] {
  const byKey = new Map<string, BucketRow>();
  for (let i = from; i < to; i++) {
    const at = c.startedAt[i]!;
    const start = at - (at % size);
    const key = `${c.checkId[i]}\u0000${c.target[i]}\u0000${start}`;
    const d = c.durationMs[i]!;
    const p = c.perfValue[i]!;
    const s = c.state[i]!;
    let b = byKey.get(key);
    if (!b) {
      b = [c.checkId[i]!, c.target[i]!, start, 0, 0, 0, 0, 0, d, 0, d, 0, null, null, null];
      byKey.set(key, b);
    }
    b[3]++;
    (b as number[])[4 + s]! += 1;
    if (d < b[8]) b[8] = d;
    b[9] += d;
    if (d > b[10]) b[10] = d;
    if (!Number.isNaN(p)) {
      b[11]++;
      b[12] = b[12] === null || p < b[12] ? p : b[12];
      b[13] = (b[13] ?? 0) + p;
      b[14] = b[14] === null || p > b[14] ? p : b[14];
    }
  }
  return [...byKey.values()];
}
