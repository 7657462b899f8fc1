/**
 * GET /api/v1/status at 3,000 checks on a real daemon: counts of every check whatever the page,
 * pages of 500 problems first that walk every check exactly once, the filters, the limit's
 * bounds, cursors that are not ours refused, a viewer's scope, and the /api/status alias.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { ADMIN_PASSWORD, login, makeToken, makeUser, startConsole, withSession, type Console } from './console.ts';

const TARGETS = 30;
const PER_TARGET = 100;
/** The 10th check of each ten is on a port where nothing listens: CRITICAL, hard at once (max_attempts 1). */
const dead = (j: number) => j % 10 === 9;
const CRITICAL = TARGETS * (PER_TARGET / 10);
/** Plus console.ts's alpha/up and beta/up. */
const ALL = TARGETS * PER_TARGET + 2;

let con: Console;
let up: net.Server;
let token: string;

const name = (i: number) => `s${String(i).padStart(3, '0')}`;

function targets(upPort: number, deadPort: number): string {
  const lines: string[] = [];
  for (let i = 0; i < TARGETS; i++) {
    lines.push(`  - name: ${name(i)}`, '    address: 127.0.0.1', `    tags: [shelf-${i % 3}]`, '    checks:');
    // Every 10 s: the first runs come within 10 s of the start, then the states hold (and results keep coming while the pages are read).
    for (let j = 0; j < PER_TARGET; j++) lines.push(`      - { type: tcp, name: c${j}, port: ${dead(j) ? deadPort : upPort}, interval: 10s, max_attempts: 1 }`);
  }
  return lines.join('\n');
}

async function get(path: string, auth = token): Promise<{ status: number; body: any }> {
  const r = await fetch(`${con.url}${path}`, { headers: { authorization: `Bearer ${auth}` } });
  return { status: r.status, body: await r.json() };
}

/** Every page of a query, following next_cursor (at most `max` pages). */
async function walk(query: string, max = 50): Promise<{ pages: any[]; ids: string[] }> {
  const pages: any[] = [];
  let cursor: string | null = null;
  do {
    const r = await get(`/api/v1/status?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    pages.push(r.body);
    cursor = r.body.next_cursor;
    assert.ok(pages.length <= max, `more than ${max} pages`);
  } while (cursor);
  return { pages, ids: pages.flatMap((p) => p.checks.map((c: any) => c.id)) };
}

const settled = { CRITICAL, WARNING: 0, UNKNOWN: 0, OK: ALL - CRITICAL, PENDING: 0, handled: 0, total: ALL };

before(async () => {
  up = net.createServer((s) => s.end());
  await new Promise<void>((r) => up.listen(0, '127.0.0.1', r));
  const gone = net.createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const deadPort = (gone.address() as AddressInfo).port;
  await new Promise<void>((r) => gone.close(() => r()));
  con = await startConsole({ extraConfig: targets((up.address() as AddressInfo).port, deadPort) });
  const admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  token = await makeToken(con.url, admin, { name: 'status-reader', role: 'viewer', user: 'admin' });
  // alpha and beta run every minute: "check now" rather than wait for them.
  for (const id of ['alpha/up', 'beta/up']) assert.equal((await fetch(`${con.url}/api/v1/checks/${id}/run`, withSession(admin, { method: 'POST', json: {} }))).status, 200);
  await makeUser(con.url, admin, { name: 'shelf-a', role: 'viewer', password: 'viewer password long', scope: { targets: [], tags: ['client-a'] } });
  // Until every check has its first result (bounded).
  const t0 = Date.now();
  for (;;) {
    const { body } = await get('/api/v1/status?limit=1');
    if (JSON.stringify(body.counts) === JSON.stringify(settled)) break;
    if (Date.now() - t0 > 60_000) throw new Error(`the checks did not all run in 60 s: ${JSON.stringify(body.counts)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
});
after(async () => {
  await con?.stop();
  up?.close();
});

test('pages of 500, problems first, walk every check exactly once; every page counts every check', async () => {
  const { pages, ids } = await walk('');
  assert.equal(pages.length, Math.ceil(ALL / 500));
  assert.ok(pages.every((p) => p.checks.length <= 500));
  assert.equal(pages[0].checks.length, 500);
  assert.equal(ids.length, ALL);
  const configured = ['alpha/up', 'beta/up', ...Array.from({ length: TARGETS * PER_TARGET }, (_, k) => `${name(Math.floor(k / PER_TARGET))}/c${k % PER_TARGET}`)];
  assert.deepEqual([...ids].sort(), configured.sort(), 'each configured check once');
  for (const p of pages) assert.deepEqual(p.counts, settled);
  assert.equal(pages.at(-1).next_cursor, null);
  // Problems first: the 300 hard CRITICAL checks, then the OK ones, each part by id.
  const checks = pages.flatMap((p) => p.checks);
  assert.ok(checks.slice(0, CRITICAL).every((c: any) => c.state_name === 'CRITICAL' && c.state_type === 'hard' && /Connection refused/.test(c.text)));
  assert.ok(checks.slice(CRITICAL).every((c: any) => c.state_name === 'OK'));
  const first = ids.slice(0, CRITICAL);
  assert.deepEqual(first, [...first].sort());
  // A check as the API described it before: the same fields.
  const one = checks.find((c: any) => c.id === 's004/c9');
  assert.equal(one.address, '127.0.0.1');
  assert.equal(one.type, 'tcp');
  assert.equal(one.state, 2);
  assert.equal(one.max_attempts, 1);
  assert.equal(one.handled, null);
  assert.ok(!Number.isNaN(Date.parse(one.last_check)) && !Number.isNaN(Date.parse(one.last_change)));
  // GET /api/v1/checks/{target}/{name} describes it the same way (no run in between: states hold).
  const alone = await get('/api/v1/checks/s004/c9');
  assert.equal(alone.status, 200);
  assert.deepEqual({ ...alone.body, text: '', last_check: '' }, { ...one, text: '', last_check: '', duration_ms: alone.body.duration_ms });
});

test('limit: up to 5,000 in one page; 5,001 or 0 refused with the field named', async () => {
  const all = await get('/api/v1/status?limit=5000');
  assert.equal(all.status, 200);
  assert.equal(all.body.checks.length, ALL);
  assert.equal(all.body.next_cursor, null);
  for (const limit of ['5001', '0', 'many']) {
    const r = await get(`/api/v1/status?limit=${limit}`);
    assert.equal(r.status, 400, limit);
    assert.equal(r.body.error.code, 'invalid');
    assert.equal(r.body.error.field, 'limit');
  }
});

test('a cursor that is not a next_cursor of this list is a 400 that says so', async () => {
  const another = Buffer.from(JSON.stringify(['name', 0, 0, 's001/c1'])).toString('base64url');
  for (const cursor of ['not-a-cursor', another, 'x'.repeat(700)]) {
    const r = await get(`/api/v1/status?cursor=${encodeURIComponent(cursor)}`);
    assert.equal(r.status, 400, cursor.slice(0, 20));
    assert.equal(r.body.error.field, 'cursor');
    assert.match(r.body.error.message, /cursor/);
  }
  const r = await get('/api/v1/status?cursor=not-a-cursor');
  assert.match(r.body.error.message, /not a next_cursor of this list; start again without a cursor/);
});

test('filters: state, target, tag, probe type, text; the counts stay those of every check', async () => {
  const crit = await walk('state=critical&limit=100');
  assert.equal(crit.ids.length, CRITICAL);
  assert.ok(crit.pages.every((p) => p.checks.every((c: any) => c.state_name === 'CRITICAL')));
  assert.deepEqual(crit.pages[0].counts, settled);
  assert.equal((await walk('state=problems&limit=5000')).ids.length, CRITICAL);
  assert.equal((await walk('state=ok&limit=5000')).ids.length, ALL - CRITICAL);
  assert.equal((await walk('state=pending')).ids.length, 0);
  const t = await walk('target=s007');
  assert.deepEqual([...t.ids].sort(), Array.from({ length: PER_TARGET }, (_, j) => `s007/c${j}`).sort());
  assert.equal((await walk('tag=shelf-1&limit=300')).ids.length, (TARGETS / 3) * PER_TARGET);
  assert.equal((await walk('text=REFUSED&limit=5000')).ids.length, CRITICAL);
  assert.deepEqual((await walk('text=s012/c1&state=ok')).ids.sort(), ['s012/c1', ...Array.from({ length: 9 }, (_, j) => `s012/c1${j}`)].sort(), 'c1 and c10-c18 (c19 is CRITICAL)');
  assert.equal((await walk('type=tcp&limit=5000')).ids.length, ALL);
  const none = await get('/api/v1/status?type=ping');
  assert.deepEqual([none.body.checks, none.body.next_cursor], [[], null]);
  assert.equal((await get('/api/v1/status?state=sideways')).status, 400);
});

test("a viewer limited to a client counts and sees only that client's checks", async () => {
  const viewer = await login(con.url, 'shelf-a', 'viewer password long');
  const r = await fetch(`${con.url}/api/v1/status`, withSession(viewer));
  assert.equal(r.status, 200);
  const body = (await r.json()) as any;
  assert.deepEqual(body.checks.map((c: any) => c.id), ['alpha/up']);
  assert.deepEqual(body.counts, { CRITICAL: 0, WARNING: 0, UNKNOWN: 0, OK: 1, PENDING: 0, handled: 0, total: 1 });
  const other = (await (await fetch(`${con.url}/api/v1/status?target=s001`, withSession(viewer))).json()) as any;
  assert.deepEqual(other.checks, []);
});

test('the /api/status alias answers the same pages', async () => {
  const a = await get('/api/status?limit=7&state=critical');
  const b = await get('/api/v1/status?limit=7&state=critical');
  assert.equal(a.status, 200);
  assert.deepEqual(a.body.checks.map((c: any) => c.id), b.body.checks.map((c: any) => c.id));
  const next = await get(`/api/status?limit=7&state=critical&cursor=${encodeURIComponent(a.body.next_cursor)}`);
  assert.equal(next.body.checks.length, 7);
  assert.ok(next.body.checks[0].id > a.body.checks.at(-1).id);
  assert.equal((await get('/api/status?limit=9999')).status, 400);
});

test('the OpenAPI document describes the page: its query and its answer', async () => {
  const doc = (await (await fetch(`${con.url}/api/v1/openapi.json`)).json()) as any;
  const op = doc.paths['/api/v1/status'].get;
  assert.deepEqual(op.parameters.map((p: { name: string }) => p.name).sort(), ['cursor', 'limit', 'state', 'tag', 'target', 'text', 'type']);
  assert.equal(op.parameters.find((p: { name: string }) => p.name === 'limit').schema.maximum, 5000);
  assert.equal(op.responses['200'].content['application/json'].schema.$ref, '#/components/schemas/StatusPage');
  assert.deepEqual(Object.keys(doc.components.schemas.StatusPage.properties).sort(), ['checks', 'counts', 'next_cursor']);
});
