/**
 * One order of the overview's rows, kept sorted as rows change: a list of chunks (at most
 * 2 × CHUNK rows each), so a row that moves costs a binary search and a splice of one chunk,
 * not of the whole table (100,000 rows: a whole-array splice per state change would make an
 * outage of many checks stall the daemon).
 */

/** The fields an order compares by (a cursor decodes to these). */
export interface Probe {
  rank: number;
  id: string;
  lastChange: number;
}

const CHUNK = 512;

export class Ordered<R extends Probe> {
  private chunks: R[][] = [];

  constructor(readonly cmp: (a: Probe, b: Probe) => number) {}

  /** Installs rows; `sorted` when they already are in this order (a stable sort from another order is the caller's). */
  load(rows: readonly R[], sorted = false): void {
    if (!sorted) rows = [...rows].sort(this.cmp);
    this.chunks = [];
    for (let i = 0; i < rows.length; i += CHUNK) this.chunks.push(rows.slice(i, i + CHUNK));
  }

  /** Where the first row after `p` is (at `p` too with `inclusive`): chunk and index. */
  private locate(p: Probe, inclusive: boolean): [number, number] {
    const past = (r: R) => {
      const c = this.cmp(r, p);
      return c > 0 || (c === 0 && inclusive);
    };
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const ch = this.chunks[mid]!;
      if (past(ch[ch.length - 1]!)) hi = mid;
      else lo = mid + 1;
    }
    if (lo === this.chunks.length) return [lo, 0];
    const ch = this.chunks[lo]!;
    let a = 0;
    let b = ch.length;
    while (a < b) {
      const m = (a + b) >>> 1;
      if (past(ch[m]!)) b = m;
      else a = m + 1;
    }
    return [lo, a];
  }

  /** Removes a row; call it before the row's key fields change. */
  remove(r: R): void {
    const [ci, i] = this.locate(r, true);
    const ch = this.chunks[ci];
    if (ch?.[i] !== r) return;
    ch.splice(i, 1);
    if (ch.length === 0) this.chunks.splice(ci, 1);
  }

  insert(r: R): void {
    if (this.chunks.length === 0) {
      this.chunks.push([r]);
      return;
    }
    let [ci, i] = this.locate(r, false);
    if (ci === this.chunks.length) {
      ci--;
      i = this.chunks[ci]!.length;
    }
    const ch = this.chunks[ci]!;
    ch.splice(i, 0, r);
    if (ch.length > 2 * CHUNK) this.chunks.splice(ci, 1, ch.slice(0, CHUNK), ch.slice(CHUNK));
  }

  /** Calls `fn` with each row after `p` (from the first without), in order, until it returns false. */
  walk(p: Probe | undefined, fn: (r: R) => boolean): void {
    let [ci, i] = p ? this.locate(p, false) : [0, 0];
    for (; ci < this.chunks.length; ci++, i = 0) {
      const ch = this.chunks[ci]!;
      for (; i < ch.length; i++) if (!fn(ch[i]!)) return;
    }
  }
}
