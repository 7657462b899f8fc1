/**
 * The overview, target, check and settings pages in Debian's Chromium against a real daemon: a
 * peer that goes away turns its row CRITICAL on the open overview without a reload (same page,
 * scroll kept); the check page draws its response-time plot with uPlot from /static; a user who
 * chose Japanese and Asia/Tokyo reads the pages in Japanese with times named JST; a viewer of one
 * client gets "not found" for the other's target. Screenshots of every page in en and ja.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, login, makeUser, withSession, type Console, type Session, startConsole } from './console.ts';

let con: Console;
let admin: Session;
let peer: net.Server;
let browser: Browser;
const shots: string[] = [];

const run = async (id: string) => assert.equal((await fetch(`${con.url}/api/v1/checks/${id}/run`, withSession(admin, { method: 'POST', json: {} }))).status, 200);
async function until(what: string, ok: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const bucket = async (id: string) => ((await (await fetch(`${con.url}/api/v1/checks/${id}`, withSession(admin))).json()) as { last_check: string | null; state_name: string });

before(async () => {
  peer = net.createServer((c) => c.end());
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  con = await startConsole({
    extraConfig: `  - name: gamma
    address: 127.0.0.1
    parents: [alpha]
    checks:
      - { type: tcp, name: web, port: ${(peer.address() as AddressInfo).port}, interval: 1h }
`,
  });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'hanako', role: 'operator', password: 'hanako password long' });
  const hanako = await login(con.url, 'hanako', 'hanako password long');
  const r = await fetch(`${con.url}/api/v1/me`, withSession(hanako, { method: 'PATCH', json: { lang: 'ja', zone: 'Asia/Tokyo' } }));
  assert.equal(r.status, 200);
  await makeUser(con.url, admin, { name: 'kaede', role: 'viewer', password: 'viewer password long', scope: { targets: [], tags: ['client-a'] } });
  for (const id of ['alpha/up', 'beta/up', 'gamma/web']) await run(id);
  await until('the first results', async () => (await bucket('gamma/web')).last_check !== null && (await bucket('alpha/up')).last_check !== null);
  // A few more results for the check page's table and plot.
  for (let i = 0; i < 3; i++) {
    await run('alpha/up');
    await new Promise((r) => setTimeout(r, 300));
  }
  browser = await openBrowser();
});
after(async () => {
  await browser?.close();
  await con?.stop();
  peer?.close();
  if (shots.length) console.log(`screenshots:\n${shots.join('\n')}`);
});

test('a peer that goes away turns its row CRITICAL on the open overview, without a reload', async () => {
  const page = await browser.page();
  await logIn(page, con.url, 'admin', ADMIN_PASSWORD);
  await page.waitForSelector('body[data-live="on"]');
  assert.equal(await page.textContent('tr[data-check="gamma/web"] [data-field="state"] .badge'), 'OK');
  const criticalBefore = Number(await page.textContent('[data-count="CRITICAL"] b'));
  await page.evaluate(() => ((window as unknown as { mark: number }).mark = 42));
  await new Promise<void>((r) => peer.close(() => r()));
  await run('gamma/web');
  await page.waitForSelector('tr[data-check="gamma/web"][data-bucket="CRITICAL"]');
  assert.equal(await page.textContent('tr[data-check="gamma/web"] [data-field="state"] .badge'), 'CRITICAL');
  assert.match((await page.textContent('tr[data-check="gamma/web"] [data-field="text"]')) ?? '', /refused|CRITICAL/i);
  assert.equal(Number(await page.textContent('[data-count="CRITICAL"] b')), criticalBefore + 1);
  assert.equal(await page.evaluate(() => (window as unknown as { mark?: number }).mark), 42, 'the same page: no reload');
  // The problem leads the table.
  assert.equal(await page.getAttribute('tbody tr:first-child', 'data-check'), 'gamma/web');
  shots.push(await shot(page, 'overview-en'));
  await page.goto(`${con.url}/?view=tree`);
  assert.ok(await page.isVisible('li[data-target="alpha"] li[data-target="gamma"]'));
  shots.push(await shot(page, 'overview-tree-en'));
  await page.goto(`${con.url}/targets/gamma`);
  assert.match((await page.textContent('dl.config')) ?? '', /alpha/);
  shots.push(await shot(page, 'target-en'));
  await page.goto(`${con.url}/checks/alpha/up?range=1h`);
  await page.waitForSelector('#plot[data-drawn="yes"] canvas');
  assert.ok((await page.locator('#results tbody tr').count()) >= 3);
  assert.match((await page.textContent('#config')) ?? '', /Attempts before hard/);
  shots.push(await shot(page, 'check-en'));
  await page.click('#check-now');
  await page.waitForSelector('#ran');
  await page.goto(`${con.url}/me`);
  shots.push(await shot(page, 'me-en'));
  await page.close();
});

test('a user who chose Japanese and Asia/Tokyo reads the pages in Japanese, times named JST', async () => {
  // The same browser (en-GB, UTC): the user's own settings win over the browser's.
  const page = await browser.page();
  try {
    await logIn(page, con.url, 'hanako', 'hanako password long');
    assert.equal(await page.getAttribute('html', 'lang'), 'ja');
    assert.equal(await page.textContent('h1'), '概要');
    assert.match((await page.textContent('tr[data-check="alpha/up"] [data-field="last_check"]')) ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST$/);
    shots.push(await shot(page, 'overview-ja'));
    await page.goto(`${con.url}/?view=tree`);
    shots.push(await shot(page, 'overview-tree-ja'));
    await page.goto(`${con.url}/targets/gamma`);
    assert.match((await page.textContent('main')) ?? '', /チェック/);
    shots.push(await shot(page, 'target-ja'));
    await page.goto(`${con.url}/checks/alpha/up?range=1h`);
    await page.waitForSelector('#plot[data-drawn="yes"] canvas');
    assert.match((await page.textContent('#now')) ?? '', /最終チェック: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST/);
    // The plot's cursor names its instant in Japanese and in the user's zone, not US-style.
    const over = await page.locator('#plot .u-over').boundingBox();
    assert.ok(over);
    await page.mouse.move(over.x + over.width / 2, over.y + over.height / 2);
    assert.match((await page.textContent('#plot .u-legend .u-series:first-child .u-value')) ?? '', /^\d{4}年\d{1,2}月\d{1,2}日 \d\d:\d\d:\d\d$/);
    shots.push(await shot(page, 'check-ja'));
    await page.goto(`${con.url}/me`);
    assert.equal(await page.inputValue('#zone'), 'Asia/Tokyo');
    shots.push(await shot(page, 'me-ja'));
  } finally {
    await page.close();
  }
});

test('a viewer of client-a: the other client is not found, its rows are not there', async () => {
  const page = await browser.page();
  try {
    await logIn(page, con.url, 'kaede', 'viewer password long');
    assert.deepEqual(await page.locator('tr[data-check]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-check'))), ['alpha/up']);
    const r = await page.goto(`${con.url}/targets/beta`);
    assert.equal(r?.status(), 404);
    assert.equal(await page.textContent('h1'), 'Not found');
    const c = await page.goto(`${con.url}/checks/beta/up`);
    assert.equal(c?.status(), 404);
    shots.push(await shot(page, 'not-found-en'));
  } finally {
    await page.close();
  }
});
