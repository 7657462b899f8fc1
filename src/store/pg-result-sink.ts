/**
 * The ResultSink for PostgreSQL: the same promise as the SQLite writer (result-writer.ts): raw
 * rows, their minute and hour buckets and the `rolled_up_to_id` watermark in one transaction per
 * slice, so each result is counted exactly once whatever fails. What differs is how: a slice is
 * three statements whatever its size (rows passed as arrays and spread with `unnest`), and the
 * server does the waiting, so nothing here blocks the event loop.
 *
 * Several writers may share one database (a pool's connections, a command beside the daemon), and
 * their transactions commit in any order: the watermark only ever grows (`greatest`), so a batch
 * with lower ids that commits last cannot move it back and have rows folded twice.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import type pg from 'pg';
import type { Logger } from 'pino';
import type { ResultColumns } from './result-columns.ts';
import { PartialWriteError, type WriterReport } from './result-writer.ts';
import type { ResultSink } from './result-sink.ts';
import { catchUpSql, DELETE_RESULTS_SQL, deleteBucketsSql, foldColumns, HOUR, MINUTE, mergeSet, ROLLUP_COLUMNS, WATERMARK, type BucketRow, type Retention } from './rollup.ts';

/** Rows per transaction: one round trip of three statements, a few ms of server work. */
export const PG_ROWS_PER_TX = 1_000;
/** Raw ids folded per catch-up transaction. */
const CATCH_UP_IDS = 10_000;
/** Rows deleted per retention statement. */
const DELETE_SLICE = 5_000;

/** rollup.ts speaks `?`; PostgreSQL numbers its parameters. The texts hold no `?` of their own. */
export function numbered(text: string): string {
  let n = 0;
  return text.replace(/\?/g, () => `$${++n}`);
}

// `with ordinality ... order by` keeps ids in the batch's order, as the SQLite writer assigns them.
const INSERT_RESULTS = `with ins as (
  insert into results (check_id, target, state, text, perfdata, perf_value, long_output, started_at, duration_ms)
  select check_id, target, state, text, perfdata, perf_value, long_output, started_at, duration_ms
  from unnest($1::text[], $2::text[], $3::integer[], $4::text[], $5::text[], $6::float8[], $7::text[], $8::bigint[], $9::float8[])
    with ordinality as u(check_id, target, state, text, perfdata, perf_value, long_output, started_at, duration_ms, ord)
  order by ord
  returning id)
select max(id) as last from ins`;

const BUCKET_TYPES = ['text', 'text', 'bigint', 'integer', 'integer', 'integer', 'integer', 'integer', 'float8', 'float8', 'float8', 'integer', 'float8', 'float8', 'float8'];

function upsertBucketsSql(table: 'rollups_minute' | 'rollups_hour'): string {
  const arrays = BUCKET_TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ');
  return `insert into ${table} (${ROLLUP_COLUMNS}) select * from unnest(${arrays}) on conflict (check_id, target, bucket_start) do update set ${mergeSet(table)}`;
}

const SET_WATERMARK = `insert into store_meta (key, value) values ('${WATERMARK}', $1) on conflict (key) do update set value = greatest(store_meta.value, excluded.value)`;

/** Buckets as one array per column, in key order: two writers touching the same buckets lock them in the same order. */
function bucketArrays(rows: BucketRow[]): unknown[][] {
  rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] - b[2]));
  return BUCKET_TYPES.map((_, col) => rows.map((r) => r[col]));
}

export class PgResultSink implements ResultSink {
  private folded = 0;
  private stopping = false;
  private readonly ready: Promise<unknown>;

  constructor(
    private readonly pool: pg.Pool,
    private readonly retention: Retention,
    private readonly log: Logger,
  ) {
    this.ready = this.catchUp().catch((err: unknown) => {
      // Not fatal: the rows stay above the watermark and are folded at the next start.
      this.log.warn({ err }, 'store: folding results written without rollups failed');
    });
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('begin');
      const out = await fn(c);
      await c.query('commit');
      return out;
    } catch (e) {
      await c.query('rollback').catch(() => {});
      throw e;
    } finally {
      c.release();
    }
  }

  private async writeSlice(c: ResultColumns, from: number, to: number): Promise<void> {
    const cols: unknown[][] = [[], [], [], [], [], [], [], [], []];
    for (let i = from; i < to; i++) {
      const state = c.state[i]!;
      if (state > 3) throw new TypeError(`cannot store result: state must be 0, 1, 2 or 3 (${c.checkId[i]})`);
      const p = c.perfValue[i]!;
      const row = [c.checkId[i], c.target[i], state, c.text[i], c.perfdata[i], Number.isNaN(p) ? null : p, c.longOutput[i], c.startedAt[i], c.durationMs[i]];
      for (let k = 0; k < 9; k++) cols[k]!.push(row[k]);
    }
    const minute = bucketArrays(foldColumns(c, from, to, MINUTE));
    const hour = bucketArrays(foldColumns(c, from, to, HOUR));
    await this.tx(async (db) => {
      const r = await db.query<{ last: string | number }>(INSERT_RESULTS, cols);
      await db.query(upsertBucketsSql('rollups_minute'), minute);
      await db.query(upsertBucketsSql('rollups_hour'), hour);
      await db.query(SET_WATERMARK, [r.rows[0]!.last]);
    });
  }

  async write(c: ResultColumns, atomic: boolean): Promise<number> {
    await this.ready;
    const step = atomic ? Math.max(1, c.n) : PG_ROWS_PER_TX;
    let done = 0;
    try {
      while (done < c.n) {
        const to = Math.min(c.n, done + step);
        await this.writeSlice(c, done, to);
        done = to;
      }
    } catch (e) {
      this.folded += done;
      throw new PartialWriteError(done, e);
    }
    this.folded += c.n;
    return c.n;
  }

  /**
   * Folds results above the watermark (rows copied in without their rollups) in slices. The
   * watermark row is locked first, so a second process starting at the same time waits instead
   * of folding the same rows; a batch writer's rows are never above it once committed.
   */
  private async catchUp(): Promise<number> {
    const minute = numbered(catchUpSql('rollups_minute', MINUTE));
    const hour = numbered(catchUpSql('rollups_hour', HOUR));
    let n = 0;
    while (!this.stopping) {
      const folded = await this.tx(async (db) => {
        await db.query(`insert into store_meta (key, value) values ('${WATERMARK}', 0) on conflict (key) do nothing`);
        const wm = await db.query<{ value: string }>(`select value from store_meta where key = '${WATERMARK}' for update`);
        const from = Number(wm.rows[0]?.value ?? 0);
        const top = await db.query<{ max: string | null }>('select max(id) as max from results');
        const max = Number(top.rows[0]?.max ?? 0);
        if (from >= max) return -1;
        const to = Math.min(max, from + CATCH_UP_IDS);
        await db.query(minute, [from, to]);
        await db.query(hour, [from, to]);
        await db.query(SET_WATERMARK, [to]);
        const count = await db.query<{ n: string }>('select count(*) as n from results where id > $1 and id <= $2', [from, to]);
        return Number(count.rows[0]!.n);
      });
      if (folded < 0) break;
      n += folded;
      await yieldTurn();
    }
    this.folded += n;
    return n;
  }

  /** Deletes with `text` (slice size last) until a slice comes back short. */
  private async sliced(text: string, args: number[]): Promise<number> {
    let total = 0;
    while (!this.stopping) {
      const r = await this.pool.query(text, [...args.map(Math.round), DELETE_SLICE]);
      const n = r.rowCount ?? 0;
      total += n;
      if (n < DELETE_SLICE) break;
      await yieldTurn();
    }
    return total;
  }

  async maintain(now: number): Promise<WriterReport> {
    await this.ready;
    const rolledUp = this.folded;
    this.folded = 0;
    const keep = this.retention;
    const wm = await this.pool.query<{ value: string }>(`select value from store_meta where key = '${WATERMARK}'`);
    const watermark = Number(wm.rows[0]?.value ?? 0);
    const del = numbered(DELETE_RESULTS_SQL);
    let deletedRaw = 0;
    for (const state of [0, 1, 2, 3]) {
      const keepMs = state === 0 ? Math.min(keep.okMs, keep.rawMs) : keep.rawMs;
      deletedRaw += await this.sliced(del, [state, now - keepMs, watermark]);
    }
    const deletedMinute = await this.sliced(numbered(deleteBucketsSql('rollups_minute')), [now - keep.minuteMs - MINUTE]);
    const deletedHour = await this.sliced(numbered(deleteBucketsSql('rollups_hour')), [now - keep.hourMs - HOUR]);
    return { rolledUp, deletedRaw, deletedMinute, deletedHour };
  }

  async close(): Promise<void> {
    this.stopping = true;
    await this.ready;
  }
}
