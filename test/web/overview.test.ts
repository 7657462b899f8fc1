/**
 * The overview with 10,000 checks on a real daemon: counts, problems first, every filter (state,
 * target, tag, probe type, free text), cursor pages that cover a filter's checks exactly once in
 * order, the parents tree, a cursor that is not ours, and a viewer's scope. Read as a person's
 * browser reads it: the HTML of GET /.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { manyChecks } from '../../bench/web/many-checks.ts';
import { ADMIN_PASSWORD, login, makeUser, withSession, type Console, type Session, startConsole } from './console.ts';
import { logIn, openBrowser, shot } from './browser.ts';

let con: Console;
let admin: Session;
let up: net.Server;

async function listen(): Promise<net.Server> {
  const s = net.createServer((c) => c.end());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return s;
}
const portOf = (s: net.Server) => (s.address() as AddressInfo).port;

const page = async (s: Session, path: string) => {
  const r = await fetch(`${con.url}${path}`, { headers: { cookie: s.cookie, accept: 'text/html' } });
  assert.equal(r.status, 200, path);
  return r.text();
};
const rowsOf = (html: string) => [...html.matchAll(/<tr data-check="([^"]+)" data-bucket="([^"]+)"/g)].map((m) => ({ id: m[1]!, bucket: m[2]! }));
const countOf = (html: string, bucket: string) => Number(new RegExp(`data-count="${bucket}"[^>]*><b>(\\d+)</b>`).exec(html)?.[1]);
const nextOf = (html: string) => /<a href="([^"]+)" id="next-page"/.exec(html)?.[1]?.replaceAll('&amp;', '&');
const total = (html: string) => ['CRITICAL', 'WARNING', 'UNKNOWN', 'OK', 'PENDING', 'handled'].reduce((n, b) => n + countOf(html, b), 0);

before(async () => {
  up = await listen();
  const deadServer = await listen();
  const dead = portOf(deadServer);
  await new Promise<void>((r) => deadServer.close(() => r()));
  // 1,000 targets of 10 checks, plus alpha and beta: 10,002 checks, spread over an hour.
  con = await startConsole({ extraConfig: `${manyChecks({ targets: 1000, perTarget: 10, upPort: portOf(up), deadPort: dead, interval: '1h' })}
downtimes:
  - { targets: [t0004], start: "2020-01-01T00:00:00Z", end: "2099-01-01T00:00:00Z", comment: maintenance }
` });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
});
after(async () => {
  await con?.stop();
  up?.close();
});

test('the first page: counts of every check, 100 rows, a link to the next page', async () => {
  const html = await page(admin, '/');
  assert.equal(total(html), 10_002);
  assert.equal(rowsOf(html).length, 100);
  assert.ok(nextOf(html));
});

test('problems come first: checks that failed lead the page, then a problem in downtime', async () => {
  const failing = ['t0001/c9', 't0002/c9', 't0003/c9'];
  for (const id of [...failing, 't0004/c9']) {
    const r = await fetch(`${con.url}/api/v1/checks/${id}/run`, withSession(admin, { method: 'POST', json: {} }));
    assert.equal(r.status, 200);
  }
  // Other checks of the dead port may fail meanwhile as the scheduler reaches them: the page is
  // read as a whole, problems first, then handled problems, then the rest.
  const rank = (b: string) => (['CRITICAL', 'WARNING', 'UNKNOWN'].includes(b) ? 0 : b === 'handled' ? 1 : 2);
  let rows: { id: string; bucket: string }[] = [];
  for (let i = 0; i < 100; i++) {
    rows = rowsOf(await page(admin, '/'));
    if ([...failing, 't0004/c9'].every((id) => rows.some((r) => r.id === id && r.bucket !== 'PENDING'))) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const problems0 = rows.filter((r) => rank(r.bucket) === 0);
  assert.ok(failing.every((id) => problems0.some((r) => r.id === id && r.bucket === 'CRITICAL')), JSON.stringify(rows.slice(0, 10)));
  assert.deepEqual(rows.map((r) => rank(r.bucket)), rows.map((r) => rank(r.bucket)).sort(), 'problems, then handled, then the rest');
  assert.deepEqual(rows.find((r) => r.bucket === 'handled'), { id: 't0004/c9', bucket: 'handled' });
  assert.equal(rows.findIndex((r) => r.id === 't0004/c9'), problems0.length);
  assert.match(await page(admin, '/?state=handled'), /data-check="t0004\/c9"[\s\S]*?CRITICAL[\s\S]*?in downtime/);
  const problems = rowsOf(await page(admin, '/?state=problems'));
  assert.ok(problems.length >= 3 && problems.every((r) => ['CRITICAL', 'WARNING', 'UNKNOWN'].includes(r.bucket)));
  // The row says how far it is: a soft state, attempt 1 (or 2, when a re-check came quickly) of 3.
  const html = await page(admin, '/?target=t0001&state=critical');
  assert.match(html, /data-check="t0001\/c9"[\s\S]*?soft [12]\/3/);
});

test('pages by name under a tag filter cover its 1,000 checks once each, in order', async () => {
  const seen: string[] = [];
  let path: string | undefined = '/?tag=group-3&sort=name';
  let pages = 0;
  while (path) {
    const html = await page(admin, path);
    seen.push(...rowsOf(html).map((r) => r.id));
    path = nextOf(html);
    pages++;
  }
  assert.equal(pages, 10);
  assert.equal(seen.length, 1000);
  assert.equal(new Set(seen).size, 1000);
  assert.deepEqual(seen, [...seen].sort());
  assert.ok(seen.every((id) => Number(id.slice(1, 5)) % 10 === 3));
});

test('filters: target, probe type, free text, state; a cursor that is not ours starts at the first page', async () => {
  const t = rowsOf(await page(admin, '/?target=t0042'));
  assert.deepEqual(t.map((r) => r.id).sort(), Array.from({ length: 10 }, (_, j) => `t0042/c${j}`).sort());
  const q = rowsOf(await page(admin, '/?q=t0777/c&sort=name'));
  assert.equal(q.length, 10);
  assert.ok(q.every((r) => r.id.startsWith('t0777/')));
  assert.equal(rowsOf(await page(admin, '/?type=ping')).length, 0);
  assert.match(await page(admin, '/?type=ping'), /No checks match/);
  assert.equal(rowsOf(await page(admin, '/?type=tcp')).length, 100);
  const pending = rowsOf(await page(admin, '/?state=pending&sort=name'));
  assert.ok(pending.length > 0 && pending.every((r) => r.bucket === 'PENDING'));
  const forged = rowsOf(await page(admin, `/?sort=name&cursor=${encodeURIComponent('not-a-cursor')}`));
  assert.deepEqual(forged.map((r) => r.id), rowsOf(await page(admin, '/?sort=name')).map((r) => r.id));
});

test('the parents tree shows hosts under their parents', async () => {
  const html = await page(admin, '/?view=tree&tag=group-5');
  // t0105's parent is t0005: nested in its list item.
  assert.match(html, /<li data-target="t0005">(?:(?!<\/li>)[\s\S])*?<li data-target="t0105">/);
  assert.ok(!html.includes('data-target="t0006"'));
});

test('a viewer limited to client-a sees only alpha: no other rows, counts of its own checks', async () => {
  await makeUser(con.url, admin, { name: 'kaede', role: 'viewer', password: 'viewer password long', scope: { targets: [], tags: ['client-a'] } });
  const viewer = await login(con.url, 'kaede', 'viewer password long');
  const html = await page(viewer, '/');
  assert.deepEqual(rowsOf(html).map((r) => r.id), ['alpha/up']);
  assert.equal(total(html), 1);
  assert.equal(rowsOf(await page(viewer, '/?target=beta')).length, 0);
  assert.ok(!(await page(viewer, '/?view=tree')).includes('t0001'));
});

test("in Chromium: the filter form and the next-page link walk one tag's checks by name", async () => {
  const browser = await openBrowser();
  try {
    const tab = await browser.page();
    await logIn(tab, con.url, 'admin', ADMIN_PASSWORD);
    await tab.selectOption('#filters select[name=tag]', 'group-7');
    await tab.selectOption('#filters select[name=sort]', 'name');
    await Promise.all([tab.waitForURL(/tag=group-7/), tab.click('#filters button[type=submit]')]);
    const ids = () => tab.locator('tr[data-check]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-check')!));
    const first = await ids();
    assert.equal(first.length, 100);
    assert.deepEqual(first.slice(0, 3), ['t0007/c0', 't0007/c1', 't0007/c2']);
    // The form keeps what was chosen.
    assert.equal(await tab.inputValue('#filters select[name=tag]'), 'group-7');
    await shot(tab, 'overview-10k-filtered-en');
    await Promise.all([tab.waitForURL(/cursor=/), tab.click('#next-page')]);
    const second = await ids();
    assert.equal(second.length, 100);
    assert.ok(second[0]! > first.at(-1)!, `${second[0]} after ${first.at(-1)}`);
    assert.ok([...first, ...second].every((id) => Number(id.slice(1, 5)) % 10 === 7));
    // Free text narrows to one target's ten checks.
    await tab.fill('#filters input[name=q]', 't0107/');
    await Promise.all([tab.waitForURL(/q=t0107/), tab.click('#filters button[type=submit]')]);
    assert.deepEqual(await ids(), Array.from({ length: 10 }, (_, i) => `t0107/c${i}`));
  } finally {
    await browser.close();
  }
});
