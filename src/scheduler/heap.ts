/**
 * A binary min-heap keyed by due time, holding its items' positions in the items themselves so a
 * reload can take one out in O(log n) without searching. The scheduler keeps one timer for its top.
 */

/** What the heap orders: `nextAt` is the key, `heapIndex` is the heap's bookkeeping (-1 when out). */
export interface HeapItem {
  nextAt: number;
  heapIndex: number;
}

/** Min-heap on `nextAt`. Items must not change `nextAt` while inside (remove, change, push). */
export class DueHeap<T extends HeapItem> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The earliest item, without taking it out. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
    this.up(item.heapIndex);
  }

  /** Appends without restoring order: many at once, then one `rebuild()` (a first load of 100,000 checks). */
  append(item: T): void {
    item.heapIndex = this.items.length;
    this.items.push(item);
  }

  /** Takes out and returns the earliest item. */
  pop(): T | undefined {
    const top = this.items[0];
    if (top) this.remove(top);
    return top;
  }

  /** Takes `item` out if it is inside; a no-op otherwise. */
  remove(item: T): void {
    const i = item.heapIndex;
    if (i < 0 || this.items[i] !== item) return;
    const last = this.items.pop()!;
    item.heapIndex = -1;
    if (last === item) return;
    this.items[i] = last;
    last.heapIndex = i;
    this.down(i);
    this.up(last.heapIndex);
  }

  /** Restores heap order after many keys changed at once (start re-places every check). */
  rebuild(): void {
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private up(i: number): void {
    const items = this.items;
    const item = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = items[p]!;
      if (parent.nextAt <= item.nextAt) break;
      items[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    items[i] = item;
    item.heapIndex = i;
  }

  private down(i: number): void {
    const items = this.items;
    const n = items.length;
    const item = items[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && items[r]!.nextAt < items[l]!.nextAt ? r : l;
      const child = items[c]!;
      if (child.nextAt >= item.nextAt) break;
      items[i] = child;
      child.heapIndex = i;
      i = c;
    }
    items[i] = item;
    item.heapIndex = i;
  }
}
