/**
 * The incident pages in Chromium against a real daemon: a TCP service the check watches is
 * stopped, its incident opens and a real webhook is told; the operator finds it in the list,
 * reads what broke (the plugin's words and the plain words) and who was told, and acknowledges it
 * with a comment through the page's form. The same pages in Japanese for a reader whose browser
 * asks for it. Screenshots of each under test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { until } from '../helpers/wait.ts';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console } from './console.ts';

let con: Console;
let service: net.Server;
let hook: http.Server;
let told = 0;
let browser: Browser | undefined;
let incident: number;

before(async () => {
  service = net.createServer((s) => s.end());
  await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
  hook = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      told++;
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  con = await startConsole({
    extraConfig: `  - name: shop-db
    address: 127.0.0.1
    tags: [client-a]
    checks:
      - { type: tcp, name: postgres, port: ${(service.address() as AddressInfo).port}, interval: 1s, max_attempts: 1 }
notifications: { settle: 0s }
contacts:
  - name: on-call
    language: en
    channels:
      - { type: webhook, name: pager, url: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook" }
`,
  });
  const admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'hanako', role: 'operator', password: 'hanako password 1' });
  // The service stops: its check fails, and the incident opens.
  await new Promise<void>((r) => service.close(() => r()));
  incident = await until('the incident of shop-db', async () => {
    const list = ((await (await fetch(`${con.url}/api/v1/incidents?limit=10`, withSession(admin))).json()) as { items: { id: number; target: string }[] }).items;
    return list.find((i) => i.target === 'shop-db')?.id;
  });
  await until('the on-call webhook told', () => told > 0);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await con?.stop();
  hook?.close();
});

test('the operator reads the incident as a story and acknowledges it with a comment', { timeout: 50_000 }, async () => {
  const page = await browser!.page();
  await logIn(page, con.url, 'hanako', 'hanako password 1');
  await page.goto(`${con.url}/incidents`);
  const row = page.locator(`#open-incidents tr[data-incident="${incident}"]`);
  assert.match((await row.innerText()).replace(/\s+/g, ' '), /CRITICAL.*open.*outage.*shop-db/);
  await shot(page, 'incidents-en');

  await row.locator('a').first().click();
  await page.waitForURL(`**/incidents/${incident}`);
  const broke = (await page.locator('#what-broke').innerText()).replace(/\s+/g, ' ');
  assert.match(broke, /shop-db/, broke);
  assert.match(broke, /Connection refused/i, `the plugin's words: ${broke}`);
  const toldText = (await page.locator('#told').innerText()).replace(/\s+/g, ' ');
  assert.match(toldText, /on-call pager \(webhook\) .*delivered/, toldText);
  assert.match(await page.locator('#timeline').innerText(), /opened|problem/);

  await page.fill('#ack-comment', 'Hanako is restarting the database');
  await Promise.all([page.waitForURL(/note=acked/), page.click('#act form[action$="/ack"] button[type=submit]')]);
  assert.match(await page.locator('#note').innerText(), /Acknowledged/);
  assert.match(await page.locator('#incident-state').innerText(), /acknowledged.*Hanako is restarting the database/);
  assert.equal(await page.locator('#ack-comment').count(), 0, 'no second acknowledgement offered');
  assert.match(await page.locator('#timeline').innerText(), /acknowledged by hanako: Hanako is restarting the database/);
  await shot(page, 'incident-en');
  await page.goto(`${con.url}/notifications`);
  assert.match((await page.locator('#deliveries').innerText()).replace(/\s+/g, ' '), /on-call pager \(webhook\)/);
  await shot(page, 'notifications-en');
  await page.close();
});

test('the same pages in Japanese, times in the zone the page names', { timeout: 40_000 }, async () => {
  // A reader whose browser asks for Japanese (same browser: a second one costs seconds).
  const page = await browser!.page();
  await page.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'accept-language': 'ja,en;q=0.5' } }));
  await logIn(page, con.url, 'admin', ADMIN_PASSWORD);
  await page.goto(`${con.url}/incidents`);
  assert.match(await page.locator('h1').innerText(), /インシデント/);
  await shot(page, 'incidents-ja');
  await page.goto(`${con.url}/incidents/${incident}`);
  assert.match(await page.locator('#what-broke h2').innerText(), /何が起きたか/);
  assert.match(await page.locator('#told').innerText(), /配信済み/);
  // Every time on the page names its zone (the admin has none set: UTC).
  const times = await page.locator('time').allInnerTexts();
  assert.ok(times.length > 3 && times.every((t) => /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/.test(t)), times.join(' | '));
  await shot(page, 'incident-ja');
  await page.goto(`${con.url}/notifications`);
  await shot(page, 'notifications-ja');
  await page.close();
});
