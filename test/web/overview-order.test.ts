/**
 * The overview's orders as rows change: after thousands of moves (across chunk splits and empty
 * chunks) every order still lists every row once, sorted, and a walk from any row's key resumes
 * right after it. A reference sort of the same rows is the expectation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ordered, type Probe } from '../../src/web/overview-order.ts';

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const cmp = (a: Probe, b: Probe) => a.rank - b.rank || byText(a.id, b.id);
const all = (o: Ordered<Probe>) => {
  const out: Probe[] = [];
  o.walk(undefined, (r) => (out.push(r), true));
  return out;
};

test('rows that move keep the order whole and sorted; a walk resumes after a key', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const rows: Probe[] = Array.from({ length: 5000 }, (_, i) => ({ rank: 50, id: `t${String(i).padStart(5, '0')}`, lastChange: 0 }));
  const o = new Ordered<Probe>(cmp);
  o.load(rows);
  for (let k = 0; k < 20_000; k++) {
    const r = rows[rnd(rows.length)]!;
    o.remove(r);
    r.rank = [0, 10, 20, 40, 50][rnd(5)]!;
    o.insert(r);
  }
  // Everything into one rank and out again: chunks fill past their split size and empty.
  for (const r of rows.slice(0, 3000)) {
    o.remove(r);
    r.rank = 1;
    o.insert(r);
  }
  const listed = all(o);
  assert.equal(listed.length, rows.length);
  assert.equal(new Set(listed).size, rows.length);
  assert.deepEqual(listed, [...rows].sort(cmp));
  for (const i of [0, 1, 511, 512, 1024, 2999, 4998]) {
    const after: Probe[] = [];
    o.walk({ ...listed[i]! }, (r) => (after.push(r), after.length < 3));
    assert.deepEqual(after, listed.slice(i + 1, i + 4));
  }
  const none: Probe[] = [];
  o.walk({ ...listed[listed.length - 1]! }, (r) => (none.push(r), true));
  assert.deepEqual(none, []);
});
