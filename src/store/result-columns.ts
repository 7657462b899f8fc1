/**
 * A batch of results as columns: what the main thread hands the writer thread. One array per
 * field (numbers in typed arrays whose buffers are transferred, not copied) clones far cheaper
 * than one object per row, and the writer binds them straight into its statements.
 */
import { encodePerfdata } from './rows.ts';
import type { StoredResult } from './types.ts';

export interface ResultColumns {
  n: number;
  checkId: string[];
  target: string[];
  /** 0..3; a value SQLite refuses (not null) fails the whole transaction. */
  state: Uint8Array;
  text: (string | null)[];
  perfdata: (string | null)[];
  /** The first perfdata value; NaN when there is none. */
  perfValue: Float64Array;
  longOutput: (string | null)[];
  /** Whole ms (a bigint column in PostgreSQL refuses fractions). */
  startedAt: Float64Array;
  durationMs: Float64Array;
}

export function toColumns(batch: readonly StoredResult[]): ResultColumns {
  const n = batch.length;
  const c: ResultColumns = {
    n,
    checkId: new Array<string>(n),
    target: new Array<string>(n),
    state: new Uint8Array(n),
    text: new Array<string | null>(n),
    perfdata: new Array<string | null>(n),
    perfValue: new Float64Array(n),
    longOutput: new Array<string | null>(n),
    startedAt: new Float64Array(n),
    durationMs: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const r = batch[i]!;
    c.checkId[i] = r.checkId;
    c.target[i] = r.target;
    // 255 is no state: the CHECK below in the writer refuses it, as the old path refused a bad row.
    c.state[i] = r.state >= 0 && r.state <= 3 ? r.state : 255;
    c.text[i] = typeof r.text === 'string' ? r.text : null;
    c.perfdata[i] = Array.isArray(r.perfdata) ? encodePerfdata(r.perfdata) : null;
    const first = Array.isArray(r.perfdata) ? r.perfdata[0]?.value : undefined;
    c.perfValue[i] = typeof first === 'number' && Number.isFinite(first) ? first : NaN;
    c.longOutput[i] = r.longOutput ?? null;
    c.startedAt[i] = Math.round(r.startedAt);
    c.durationMs[i] = r.durationMs;
  }
  return c;
}

/** The buffers to transfer with a postMessage of these columns. */
export function transferList(c: ResultColumns): ArrayBuffer[] {
  return [c.state.buffer as ArrayBuffer, c.perfValue.buffer as ArrayBuffer, c.startedAt.buffer as ArrayBuffer, c.durationMs.buffer as ArrayBuffer];
}
