/**
 * Everything that writes results, on one better-sqlite3 connection: raw rows and their rollup
 * buckets in one transaction per slice of a batch, the catch-up of rows an older mamoru left
 * unfolded, and retention deletes in slices. It runs in the writer thread (result-worker.ts), or
 * on the main thread where no worker can be used (a `:memory:` database is private to its
 * connection). Every transaction is bounded in rows, because the main thread's own writes
 * (incidents, states) wait on the same lock, and better-sqlite3 waits for a lock synchronously.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { catchUpSql, DELETE_RESULTS_SQL, deleteBucketsSql, foldColumns, HOUR, MINUTE, WATERMARK, upsertBucketSql, type Retention } from './rollup.ts';
import type { ResultColumns } from './result-columns.ts';

/** Rows per transaction: a few ms of work (bench/store), so the main thread never waits long. */
export const ROWS_PER_TX = 100;
/** Raw ids folded per catch-up transaction. */
const CATCH_UP_IDS = 2_000;
/** Rows deleted per retention statement. */
const DELETE_SLICE = 2_000;

/** What one maintain() pass did (types.ts MaintainReport). */
export interface WriterReport {
  rolledUp: number;
  deletedRaw: number;
  deletedMinute: number;
  deletedHour: number;
}

/** A transaction that failed after `written` rows of the batch were committed. */
export class PartialWriteError extends Error {
  constructor(
    readonly written: number,
    cause: unknown,
  ) {
    super(`store write failed after ${written} rows: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export class ResultWriter {
  private readonly insert: BetterSqlite3.Statement;
  private readonly upsertMinute: BetterSqlite3.Statement;
  private readonly upsertHour: BetterSqlite3.Statement;
  private readonly setWatermark: BetterSqlite3.Statement;
  private readonly getWatermark: BetterSqlite3.Statement;
  private readonly maxId: BetterSqlite3.Statement;
  /** Results folded since the last maintain() report. */
  private folded = 0;
  private stopping = false;

  /**
   * `before`: called before each transaction; the writer thread waits there while the main
   * thread is writing (sqlite.ts raises a shared flag), so the main thread never waits long for
   * the lock however busy this writer is.
   */
  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly before: () => void = () => {},
  ) {
    this.insert = db.prepare('insert into results (check_id, target, state, text, perfdata, perf_value, long_output, started_at, duration_ms) values (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.upsertMinute = db.prepare(upsertBucketSql('rollups_minute'));
    this.upsertHour = db.prepare(upsertBucketSql('rollups_hour'));
    this.setWatermark = db.prepare(`insert into store_meta (key, value) values ('${WATERMARK}', ?) on conflict (key) do update set value = excluded.value`);
    this.getWatermark = db.prepare(`select value from store_meta where key = '${WATERMARK}'`).pluck();
    this.maxId = db.prepare('select max(id) from results').pluck();
  }

  /** Rows [from, to) with their buckets and the watermark, all or nothing. */
  private writeSlice(c: ResultColumns, from: number, to: number): void {
    let last = 0;
    for (let i = from; i < to; i++) {
      const state = c.state[i]!;
      if (state > 3) throw new TypeError(`cannot store result: state must be 0, 1, 2 or 3 (${c.checkId[i]})`);
      const p = c.perfValue[i]!;
      const r = this.insert.run(c.checkId[i], c.target[i], state, c.text[i], c.perfdata[i], Number.isNaN(p) ? null : p, c.longOutput[i], c.startedAt[i], c.durationMs[i]);
      last = Number(r.lastInsertRowid);
    }
    for (const b of foldColumns(c, from, to, MINUTE)) this.upsertMinute.run(b);
    for (const b of foldColumns(c, from, to, HOUR)) this.upsertHour.run(b);
    this.setWatermark.run(last);
  }

  /**
   * Writes a batch in transactions of at most ROWS_PER_TX rows (`atomic`: one transaction, for
   * appendResults' all-or-nothing promise). Throws a PartialWriteError saying how many rows were
   * committed before a failure, so the caller retries only the rest.
   */
  write(c: ResultColumns, atomic = false): number {
    const step = atomic ? Math.max(1, c.n) : ROWS_PER_TX;
    let done = 0;
    try {
      while (done < c.n) {
        const to = Math.min(c.n, done + step);
        this.before();
        this.db.transaction(() => this.writeSlice(c, done, to))();
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
   * Folds results above the watermark (written by a mamoru before incremental rollups, or by
   * nobody) in slices; the batch writes keep the watermark at the newest id from then on. Each
   * slice reads the watermark inside its own write transaction, so another process opening the
   * same file (a command beside the daemon) can never fold a row the daemon's writer folded.
   */
  async catchUp(pause: () => Promise<void>): Promise<number> {
    const minute = this.db.prepare(catchUpSql('rollups_minute', MINUTE));
    const hour = this.db.prepare(catchUpSql('rollups_hour', HOUR));
    const count = this.db.prepare('select count(*) from results where id > ? and id <= ?').pluck();
    const slice = this.db.transaction((): number => {
      const from = Number(this.getWatermark.get() ?? 0);
      const max = Number(this.maxId.get() ?? 0);
      if (from >= max) return -1;
      const to = Math.min(max, from + CATCH_UP_IDS);
      minute.run(from, to);
      hour.run(from, to);
      this.setWatermark.run(to);
      return Number(count.get(from, to));
    });
    let n = 0;
    while (!this.stopping) {
      this.before();
      const folded = slice.immediate();
      if (folded < 0) break;
      n += folded;
      await pause();
    }
    this.folded += n;
    return n;
  }

  /** Deletes with `stmt` (slice size last) until a slice comes back short; pauses between slices. */
  private async sliced(stmt: BetterSqlite3.Statement, args: number[], pause: () => Promise<void>): Promise<number> {
    let total = 0;
    while (!this.stopping) {
      this.before();
      const n = stmt.run(...args, DELETE_SLICE).changes;
      total += n;
      if (n < DELETE_SLICE) break;
      await pause();
    }
    return total;
  }

  /** Retention relative to `now`, in slices; raw rows only once folded. */
  async maintain(now: number, keep: Retention, pause: () => Promise<void>): Promise<WriterReport> {
    const rolledUp = this.folded;
    this.folded = 0;
    const watermark = Number(this.getWatermark.get() ?? 0);
    const del = this.db.prepare(DELETE_RESULTS_SQL);
    let deletedRaw = 0;
    for (const state of [0, 1, 2, 3]) {
      const keepMs = state === 0 ? Math.min(keep.okMs, keep.rawMs) : keep.rawMs;
      deletedRaw += await this.sliced(del, [state, now - keepMs, watermark], pause);
    }
    const deletedMinute = await this.sliced(this.db.prepare(deleteBucketsSql('rollups_minute')), [now - keep.minuteMs - MINUTE], pause);
    const deletedHour = await this.sliced(this.db.prepare(deleteBucketsSql('rollups_hour')), [now - keep.hourMs - HOUR], pause);
    return { rolledUp, deletedRaw, deletedMinute, deletedHour };
  }

  /** Ends a running catch-up or maintain() at its next slice (close() does not wait for a long pass). */
  stop(): void {
    this.stopping = true;
  }
}
