/**
 * The schedule lag read from what the daemon stored, independently of its own histogram: each
 * OK result's started_at against its check's due slot. With the scheduler's jitter at 0 the slots
 * of a check are its id's phase in the interval plus whole intervals (src/scheduler/spread.ts),
 * so the slot a run belonged to is the last one at or before its start. When a check ran twice
 * in the window, the spacing of its runs minus the interval is given as well. Read after the
 * daemon has stopped, from its SQLite file, read-only.
 */
import Database from 'better-sqlite3';
import { phaseSlot } from '../../src/scheduler/spread.ts';

export interface Spread {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface StoreLag {
  /** OK results stored with started_at in the window. */
  ok: number;
  notOk: number;
  /** Lag against the due slot, seconds. */
  slot?: Spread;
  /** Runs that started more than half an interval after their slot: off their phase (after a retry). */
  offPhase: number;
  /** Spacing between consecutive OK runs of a check minus the interval, seconds. */
  spacing?: Spread;
  /** Why a figure is missing. */
  note?: string;
}

function spread(xs: Float64Array): Spread | undefined {
  if (xs.length === 0) return undefined;
  xs.sort();
  const q = (p: number) => xs[Math.min(xs.length - 1, Math.ceil(p * xs.length) - 1)]!;
  return { n: xs.length, p50: q(0.5), p90: q(0.9), p99: q(0.99), max: xs[xs.length - 1]! };
}

/** A growable Float64Array (millions of runs: a plain array of numbers would double the memory). */
class Floats {
  private a = new Float64Array(1 << 16);
  length = 0;
  push(x: number): void {
    if (this.length === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.length++] = x;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.length);
  }
}

/** Reads the results of [from, to) (epoch ms) from the SQLite file `db`; checks run every `intervalMs`. */
export function storeLag(db: string, from: number, to: number, intervalMs: number): StoreLag {
  let conn: Database.Database;
  try {
    conn = new Database(db, { readonly: true, fileMustExist: true });
  } catch (e) {
    return { ok: 0, notOk: 0, offPhase: 0, note: `cannot open ${db}: ${(e as Error).message}` };
  }
  try {
    const cols = conn.prepare(`SELECT name FROM pragma_table_info('results')`).all() as Array<{ name: string }>;
    const names = new Set(cols.map((c) => c.name));
    if (!['check_id', 'started_at', 'state'].every((c) => names.has(c))) {
      return { ok: 0, notOk: 0, offPhase: 0, note: `the store has no results table with check_id, started_at, state (columns: ${[...names].join(', ') || 'none'})` };
    }
    const rows = conn.prepare('SELECT check_id AS id, started_at AS at, state FROM results WHERE started_at >= ? AND started_at < ? ORDER BY check_id, started_at').iterate(from, to) as IterableIterator<{ id: string | number; at: number; state: number }>;
    const lags = new Floats();
    const gaps = new Floats();
    let ok = 0;
    let notOk = 0;
    let offPhase = 0;
    let prevId: string | number | undefined;
    let prevAt = 0;
    for (const r of rows) {
      const at = Number(r.at);
      if (r.state !== 0) {
        notOk++;
        prevId = undefined;
        continue;
      }
      ok++;
      if (typeof r.id === 'string') {
        const lag = at - phaseSlot(r.id, intervalMs, at - intervalMs + 1);
        if (lag > intervalMs / 2) offPhase++;
        else lags.push(lag / 1000);
      }
      if (prevId === r.id) gaps.push((at - prevAt - intervalMs) / 1000);
      prevId = r.id;
      prevAt = at;
    }
    const slot = spread(lags.view());
    const spacing = spread(gaps.view());
    const note = ok === 0 ? 'no OK results stored in the window' : slot === undefined ? 'check ids are not the "target/check" strings the phase is hashed from' : undefined;
    return { ok, notOk, offPhase, ...(slot ? { slot } : {}), ...(spacing ? { spacing } : {}), ...(note ? { note } : {}) };
  } catch (e) {
    return { ok: 0, notOk: 0, offPhase: 0, note: `reading results: ${(e as Error).message}` };
  } finally {
    conn.close();
  }
}
