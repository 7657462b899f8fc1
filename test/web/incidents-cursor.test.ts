/**
 * The incident list's pages on a real daemon whose store holds 1,100 incidents (written through
 * the store's API into the daemon's own SQLite file): the API's `next_cursor` walk and the console
 * page's "older" links each give every incident exactly once, newest first; a viewer limited to
 * client-a gets only alpha's, in full pages; the console shows "newer" once past the first page;
 * a cursor the daemon did not make is a 400 from the API.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console, type Session } from './console.ts';

const N = 1100;
const T0 = Date.UTC(2026, 10, 1);
let con: Console;
let admin: Session;
let viewer: Session;
let all: IncidentRecord[] = [];
const newestFirst = (a: IncidentRecord, b: IncidentRecord) => b.openedAt - a.openedAt || b.id - a.id;

before(async () => {
  con = await startConsole();
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'client-a-viewer', role: 'viewer', password: 'client a sees alpha only', scope: { targets: [], tags: ['client-a'] } });
  viewer = await login(con.url, 'client-a-viewer', 'client a sees alpha only');
  // A second connection to the daemon's file (WAL), as `mamoru` commands open it.
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(con.dir, 'data', 'mamoru.db') }), { log: silentLogger });
  try {
    for (let i = 0; i < N; i++) {
      const target = ['alpha', 'beta', 'gamma'][i % 3]!;
      const openedAt = T0 + ((i * 389) % N) * 60_000 + (i % 5 === 0 ? 60_000 : 0);
      all.push(await store.createIncident({ target, status: 'resolved', severity: 'critical', title: `${target}: bench #${i}`, openedAt, resolvedAt: openedAt + 5000, updatedAt: openedAt + 5000, members: [] }));
    }
  } finally {
    await store.close();
  }
  all = all.sort(newestFirst);
});
after(() => con?.stop());

type ApiPage = { items: { id: number; target: string }[]; next_cursor: string | null; prev_cursor: string | null };

async function apiWalk(s: Session, query: string): Promise<{ ids: number[]; targets: Set<string>; sizes: number[] }> {
  const ids: number[] = [];
  const targets = new Set<string>();
  const sizes: number[] = [];
  let cursor: string | null = null;
  do {
    const r: Response = await fetch(`${con.url}/api/v1/incidents?${query}${cursor ? `&cursor=${cursor}` : ''}`, withSession(s));
    assert.equal(r.status, 200);
    const p = (await r.json()) as ApiPage;
    ids.push(...p.items.map((i) => i.id));
    for (const i of p.items) targets.add(i.target);
    sizes.push(p.items.length);
    cursor = p.next_cursor;
  } while (cursor !== null && sizes.length < 1000);
  return { ids, targets, sizes };
}

test('the API: every incident exactly once, newest first, in full pages', async () => {
  const r = await apiWalk(admin, 'limit=100');
  assert.equal(new Set(r.ids).size, r.ids.length);
  assert.deepEqual(r.ids, all.map((i) => i.id));
  assert.ok(r.sizes.slice(0, -1).every((n) => n === 100), r.sizes.join(','));
});

test("the API for a viewer of client-a: alpha's incidents only, all of them, pages full", async () => {
  const r = await apiWalk(viewer, 'limit=50');
  assert.deepEqual([...r.targets], ['alpha']);
  assert.deepEqual(r.ids, all.filter((i) => i.target === 'alpha').map((i) => i.id));
  assert.ok(r.sizes.slice(0, -1).every((n) => n === 50), r.sizes.join(','));
});

test('the API: a target filter, and a cursor it did not make is refused', async () => {
  const r = await apiWalk(admin, 'limit=200&target=gamma');
  assert.deepEqual(r.ids, all.filter((i) => i.target === 'gamma').map((i) => i.id));
  assert.equal((await fetch(`${con.url}/api/v1/incidents?cursor=bm90LWEtY3Vyc29y`, withSession(admin))).status, 400);
});

/** The console list as a browser gets it: the rows' ids, and the older and newer links. */
async function consolePage(s: Session, path: string): Promise<{ ids: number[]; older: string | null; newer: string | null }> {
  const r = await fetch(`${con.url}${path}`, { headers: { cookie: s.cookie, accept: 'text/html' } });
  assert.equal(r.status, 200);
  const html = await r.text();
  const list = html.slice(html.indexOf('id="incident-list"'));
  const ids = [...list.matchAll(/<tr data-incident="(\d+)"/g)].map((m) => Number(m[1]));
  const link = (rel: string) => new RegExp(`<a href="([^"]+)" rel="${rel}"`).exec(list)?.[1]?.replaceAll('&amp;', '&') ?? null;
  return { ids, older: link('next'), newer: link('prev') };
}

test('the console: "older" links walk every incident once; "newer" goes back a page', async () => {
  const ids: number[] = [];
  let path: string | null = '/incidents?status=resolved';
  const seen: string[] = [];
  let second: { ids: number[]; newer: string | null } | undefined;
  let firstIds: number[] = [];
  while (path && seen.length < 100) {
    seen.push(path);
    const p = await consolePage(admin, path);
    if (seen.length === 1) {
      firstIds = p.ids;
      assert.equal(p.newer, null, 'no newer link on the newest page');
    }
    if (seen.length === 2) second = p;
    ids.push(...p.ids);
    path = p.older;
  }
  assert.deepEqual(ids, all.map((i) => i.id));
  assert.ok(second?.newer, 'a newer link past the first page');
  assert.match(second.newer, /status=resolved/);
  assert.deepEqual((await consolePage(admin, second.newer)).ids, firstIds);
});

test("the console for a viewer of client-a: alpha's incidents only, every one", async () => {
  const ids: number[] = [];
  let path: string | null = '/incidents?status=resolved';
  for (let k = 0; path && k < 100; k++) {
    const p = await consolePage(viewer, path);
    ids.push(...p.ids);
    path = p.older;
  }
  assert.deepEqual(ids, all.filter((i) => i.target === 'alpha').map((i) => i.id));
});
