/**
 * Test helper: the rollup tables of a store file against a plain SQL aggregation of its raw
 * results, bucket by bucket (what the once-a-minute fold used to compute). Counts and extremes
 * must be equal; sums equal up to float rounding (the writer adds per batch, SQL per bucket).
 */
import assert from 'node:assert/strict';
import BetterSqlite3 from 'better-sqlite3';
import type { RollupsTable } from '../../src/store/database.ts';

/** A bucket as both rollup tables hold it. */
type Bucket = RollupsTable;

const fold = (size: number) => `select check_id, target, started_at - (started_at % ${size}) as bucket_start, count(*) as count,
  sum(case when state = 0 then 1 else 0 end) as ok, sum(case when state = 1 then 1 else 0 end) as warning,
  sum(case when state = 2 then 1 else 0 end) as critical, sum(case when state = 3 then 1 else 0 end) as unknown,
  min(duration_ms) as duration_min, sum(duration_ms) as duration_sum, max(duration_ms) as duration_max,
  count(perf_value) as perf_count, min(perf_value) as perf_min, sum(perf_value) as perf_sum, max(perf_value) as perf_max
  from results group by check_id, target, bucket_start order by check_id, target, bucket_start`;

const close = (a: number | null, b: number | null) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));

/** Asserts both rollup tables equal the fold of every raw row; returns how many rows were folded. */
export function assertRollupsMatchRaw(path: string): number {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    for (const [table, size] of [['rollups_minute', 60_000], ['rollups_hour', 3_600_000]] as const) {
      const want = db.prepare(fold(size)).all() as Bucket[];
      const have = db.prepare(`select * from ${table} order by check_id, target, bucket_start`).all() as Bucket[];
      assert.equal(have.length, want.length, `${table}: one bucket per check and ${size / 60_000} min with results`);
      for (let i = 0; i < want.length; i++) {
        const w = want[i]!;
        const h = have[i]!;
        const where = `${table} ${w.check_id} @${w.bucket_start}`;
        assert.deepEqual(
          [h.check_id, h.target, h.bucket_start, h.count, h.ok, h.warning, h.critical, h.unknown, h.duration_min, h.duration_max, h.perf_count, h.perf_min, h.perf_max],
          [w.check_id, w.target, w.bucket_start, w.count, w.ok, w.warning, w.critical, w.unknown, w.duration_min, w.duration_max, w.perf_count, w.perf_min, w.perf_max],
          where,
        );
        assert.ok(close(h.duration_sum, w.duration_sum) && close(h.perf_sum, w.perf_sum), `${where}: sums ${h.duration_sum}/${w.duration_sum}, ${h.perf_sum}/${w.perf_sum}`);
      }
    }
    return Number(db.prepare('select count(*) from results').pluck().get());
  } finally {
    db.close();
  }
}
