/**
 * Ordering many connection sources fast: the evidence always listed ties in localeCompare's
 * order of the address, but localeCompare goes through ICU (its first call loads locale data
 * for 50 ms) and sorting 200,000 sources of a flood with it took seconds. Addresses are our own
 * text (dotted IPv4, RFC 5952 IPv6: digits, a-f, "." and ":"), so their collation is a rank per
 * character; and only the first few are wanted, which a bounded heap finds in O(n log k).
 */

/** Collation rank of an address character as localeCompare orders them: ":" "." digits a-f. */
function rank(c: number): number {
  if (c === 0x3a) return 0;
  if (c === 0x2e) return 1;
  if (c >= 0x30 && c <= 0x39) return 2 + c - 0x30;
  if (c >= 0x61 && c <= 0x66) return 12 + c - 0x61;
  return -1;
}

/** Addresses in localeCompare's order, by hand (another character: localeCompare itself). */
export function compareAddresses(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = rank(a.charCodeAt(i));
    const y = rank(b.charCodeAt(i));
    if (x < 0 || y < 0) return a.localeCompare(b);
    if (x !== y) return x - y;
  }
  return a.length - b.length;
}

import type { Steps } from './time-slice.ts';

/** Items handled between two yields of the steps below (a few hundred microseconds). */
const STEP = 512;

/**
 * The first `k` of `items` in `order`, in that order: a bounded max-heap, O(n log k), emptied
 * from its root (worst first) so that the final ordering is heap steps too, not one sort of k.
 * Yields now and then (run it with runSync or runSliced).
 */
export function* firstK<T>(items: Iterable<T>, k: number, order: (a: T, b: T) => number): Steps<T[]> {
  const heap: T[] = [];
  if (k <= 0) return heap;
  // The root is the last of those kept; a new item displaces it when it comes before it.
  const later = (i: number, j: number) => order(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number) => ([heap[i], heap[j]] = [heap[j]!, heap[i]!]);
  const down = (from: number) => {
    for (let i = from; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && later(l, m)) m = l;
      if (r < heap.length && later(r, m)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  };
  let n = 0;
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!later(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (order(item, heap[0]!) < 0) {
      heap[0] = item;
      down(0);
    }
    if (++n % STEP === 0) yield;
  }
  const out: T[] = new Array(heap.length);
  for (let i = heap.length - 1; i >= 0; i--) {
    out[i] = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      down(0);
    }
    if (i % STEP === 0) yield;
  }
  return out;
}
