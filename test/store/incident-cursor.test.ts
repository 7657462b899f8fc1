/**
 * The incident list's keyset pages on a real SQLite file with 1,200 incidents whose opening times
 * are out of id order and often tied: walking every page (older, then back newer) yields each
 * incident exactly once, newest first by (opened_at, id); filters and a viewer's scope hold and a
 * scoped page is full while more visible incidents exist; a cursor it did not make is refused; and
 * the query reads an index instead of sorting the table.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { silentLogger } from '../../src/core/log.ts';
import { stores, type Store } from '../../src/store/index.ts';
import { IncidentCursorError, type IncidentPageQuery } from '../../src/store/incident-queries.ts';

const N = 1200;
const T0 = Date.UTC(2026, 11, 1);
const dir = mkdtempSync(join(tmpdir(), 'mamoru-cursor-'));
const path = join(dir, 'mamoru.db');
let store: Store;
let all: IncidentRecord[] = [];

const newestFirst = (a: IncidentRecord, b: IncidentRecord) => b.openedAt - a.openedAt || b.id - a.id;

before(async () => {
  store = await stores.sqlite.create(stores.sqlite.schema.parse({ path }), { log: silentLogger });
  for (let i = 0; i < N; i++) {
    // Opening times scattered against the id order, a quarter of them tied with another's.
    const openedAt = T0 + ((i * 7919) % N) * 60_000 + (i % 4 === 1 ? 60_000 : 0);
    // Four incidents in the whole table belong to `rare` (a narrow viewer's only target).
    const target = i % 300 === 7 ? 'rare' : `t${i % 10}`;
    const status = i % 3 === 0 ? 'open' : 'resolved';
    const kind = i % 5 === 0 ? 'attack' : undefined;
    all.push(await store.createIncident({ target, status, severity: 'critical', title: `${target}: #${i}`, openedAt, resolvedAt: status === 'open' ? null : openedAt + 1000, updatedAt: openedAt, members: [], ...(kind ? { kind } : {}) }));
  }
  all = all.sort(newestFirst);
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Every page from the newest, following `next`; checks each page is full but the last. */
async function walk(q: Omit<IncidentPageQuery, 'cursor'>): Promise<{ ids: number[]; cursors: string[] }> {
  const ids: number[] = [];
  const cursors: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const p = await store.incidentPage({ ...q, cursor });
    if (p.next !== null) assert.equal(p.items.length, q.limit, 'a page before the last is full');
    assert.equal(p.prev === null, cursor === undefined, 'only the newest page has no newer link');
    ids.push(...p.items.map((i) => i.id));
    if (p.next === null) return { ids, cursors };
    cursors.push(p.next);
    cursor = p.next;
  }
  throw new Error('the walk did not end');
}

test('there are enough incidents, and ties among their opening times', () => {
  assert.equal(all.length, N);
  assert.ok(new Set(all.map((i) => i.openedAt)).size < N, 'some opening times are shared');
  assert.notDeepEqual(all.map((i) => i.id), [...all].sort((a, b) => b.id - a.id).map((i) => i.id), 'id order is not opening order');
});

test('every incident exactly once, newest first by opening time then id', async () => {
  const { ids } = await walk({ limit: 37 });
  assert.equal(new Set(ids).size, ids.length, 'no incident twice');
  assert.deepEqual(ids, all.map((i) => i.id));
});

test('newer links walk back over the same pages', async () => {
  const forward: number[][] = [];
  let p = await store.incidentPage({ limit: 100 });
  forward.push(p.items.map((i) => i.id));
  while (p.next) {
    p = await store.incidentPage({ limit: 100, cursor: p.next });
    forward.push(p.items.map((i) => i.id));
  }
  const back: number[][] = [p.items.map((i) => i.id)];
  while (p.prev) {
    p = await store.incidentPage({ limit: 100, cursor: p.prev });
    back.unshift(p.items.map((i) => i.id));
  }
  assert.deepEqual(back, forward);
});

test('filters: status, kind and target, alone and together', async () => {
  for (const q of [{ status: 'open' as const }, { status: 'resolved' as const }, { kind: 'attack' as const }, { kind: 'outage' as const }, { target: 't3' }, { status: 'open' as const, kind: 'attack' as const, target: 't5' }]) {
    const want = all.filter((i) => (!q.status || i.status === q.status) && (!('kind' in q) || (i.kind ?? 'outage') === q.kind) && (!('target' in q) || i.target === q.target)).map((i) => i.id);
    assert.ok(want.length > 0, JSON.stringify(q));
    assert.deepEqual((await walk({ ...q, limit: 25 })).ids, want, JSON.stringify(q));
  }
});

test("a viewer's scope: only their targets, pages still full, also when few incidents are theirs", async () => {
  const wide = new Set(['t1', 't4', 't7']);
  const r = await walk({ limit: 30, see: (t) => wide.has(t) });
  assert.deepEqual(r.ids, all.filter((i) => wide.has(i.target)).map((i) => i.id));
  // Four visible incidents in 1,200: the walk reads past whole batches of others to fill a page.
  const narrow = await walk({ limit: 3, see: (t) => t === 'rare' });
  assert.deepEqual(narrow.ids, all.filter((i) => i.target === 'rare').map((i) => i.id));
  assert.equal(narrow.ids.length, 4);
  const none = await store.incidentPage({ limit: 10, see: () => false });
  assert.deepEqual(none, { items: [], next: null, prev: null });
});

test('a bare id, the cursor of earlier versions, still means "older than that incident"', async () => {
  const p = await store.incidentPage({ limit: 20, cursor: String(all[100]!.id) });
  assert.deepEqual(p.items.map((i) => i.id), all.slice(101, 121).map((i) => i.id));
});

test('a cursor the store did not make is refused', async () => {
  const { cursors } = await walk({ limit: 500 });
  for (const bad of ['1234', 'not a cursor', cursors[0]!.slice(0, 5), Buffer.from('o:abc:1').toString('base64url'), 'x'.repeat(65)]) {
    await assert.rejects(store.incidentPage({ limit: 10, cursor: bad }), IncidentCursorError, bad);
  }
});

test('the pages are read through an index, never by sorting the table', () => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    const plan = (where: string) => db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE ${where} ORDER BY opened_at DESC, id DESC LIMIT 51`).all().map((r) => (r as { detail: string }).detail).join(' | ');
    for (const [where, index] of [
      ['(opened_at, id) < (1, 2)', 'incidents_opened'],
      ["status = 'open' AND (opened_at, id) < (1, 2)", 'incidents_status_opened'],
      ["target = 't3' AND (opened_at, id) < (1, 2)", 'incidents_target_opened'],
      ["kind = 'attack'", 'incidents_kind_opened'],
    ] as const) {
      const p = plan(where);
      assert.match(p, new RegExp(`USING (COVERING )?INDEX ${index}\\b`), `${where}: ${p}`);
      assert.doesNotMatch(p, /TEMP B-TREE/, `${where}: ${p}`);
    }
  } finally {
    db.close();
  }
});
