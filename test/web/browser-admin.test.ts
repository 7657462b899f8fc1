/**
 * The admin pages in Chromium: the admin adds a user through the form, creates a token that is
 * shown once and revokes it, and reads all of it in the audit trail; an operator gets no link to
 * these pages and is refused at their addresses. English and Japanese screenshots.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, startConsole, type Console } from './console.ts';

let con: Console;
let browser: Browser | undefined;

before(async () => {
  con = await startConsole();
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await con?.stop();
});

test('the admin manages users and tokens from the page, and the audit trail says so', { timeout: 50_000 }, async () => {
  const page = await browser!.page();
  await logIn(page, con.url, 'admin', ADMIN_PASSWORD);
  await page.goto(`${con.url}/users`);
  await page.fill('#user-name', 'jiro');
  await page.fill('#user-password', 'jiro password 123');
  await page.selectOption('#add-user select[name=role]', 'operator');
  await page.fill('#user-tags', 'client-a');
  await Promise.all([page.waitForURL(/note=user-added/), page.click('#add-user button[type=submit]')]);
  assert.match((await page.locator('#users [data-user="jiro"]').innerText()).replace(/\s+/g, ' '), /jiro operator tag:client-a/);

  await page.fill('#token-name', 'grafana');
  await page.fill('#token-user', 'jiro');
  await page.selectOption('#add-token select[name=role]', 'viewer');
  await Promise.all([page.waitForLoadState('load'), page.click('#add-token button[type=submit]')]);
  const token = (await page.locator('#token-value').innerText()).trim();
  assert.match(token, /^mamoru_[A-Za-z0-9_-]{43}$/);
  assert.equal((await fetch(`${con.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  await shot(page, 'users-en');
  await page.goto(`${con.url}/users`);
  assert.equal(await page.locator('#token-value').count(), 0, 'shown once only');
  await Promise.all([page.waitForURL(/note=revoked/), page.click('#tokens [data-token="grafana"] button')]);
  assert.equal(await page.locator('#tokens [data-token="grafana"]').getAttribute('data-revoked'), 'true');
  assert.equal((await fetch(`${con.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status, 401);

  await page.goto(`${con.url}/audit`);
  const trail = (await page.locator('#audit').innerText()).replace(/\s+/g, ' ');
  for (const a of ['user-add', 'token-create', 'token-revoke']) assert.match(trail, new RegExp(`user:admin .*${a}`), `${a} in ${trail.slice(0, 400)}`);
  assert.doesNotMatch(trail, new RegExp(token), 'the token itself is never in the trail');
  await shot(page, 'audit-en');
  await page.close();

  // An operator (same browser, a Japanese reader): no link to the admin pages, and refused at their addresses.
  const p = await browser!.page();
  await p.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'accept-language': 'ja' } }));
  await logIn(p, con.url, 'jiro', 'jiro password 123');
  assert.deepEqual(await p.locator('header nav a').allInnerTexts(), ['概要', 'インシデント', 'ガード', '通知']);
  assert.equal((await p.goto(`${con.url}/users`))?.status(), 403);
  assert.equal((await p.goto(`${con.url}/audit`))?.status(), 403);

  await logIn(p, con.url, 'admin', ADMIN_PASSWORD);
  await p.goto(`${con.url}/users`);
  assert.match(await p.locator('h1').innerText(), /ユーザーとトークン/);
  await shot(p, 'users-ja');
  await p.goto(`${con.url}/audit`);
  assert.match(await p.locator('h1').innerText(), /監査ログ/);
  await shot(p, 'audit-ja');
});
