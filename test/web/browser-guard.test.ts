/**
 * The guard page in Chromium against a real daemon whose guard reads a real log: two addresses
 * (one in Japan, one in Russia by the offline country database) fail to log in until the jail
 * bans them. The page shows each ban with its country code and flag, its jail and target, the log
 * line that earned it, and the counts per country and jail; a viewer of another client sees none
 * of them. The operator lifts one ban from the page and it is gone from the store.
 * (Firewall: dry-run here; the kernel side of unban is the firewall tests' and the lab's.)
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { authLogLine } from '../../src/auth/auth-log.ts';
import { until } from '../helpers/wait.ts';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console, type Session } from './console.ts';

const JP = '133.242.0.10';
const RU = '5.188.10.10';
let con: Console;
let admin: Session;
let browser: Browser | undefined;
let logDir: string;

const bans = async () => ((await (await fetch(`${con.url}/api/v1/bans`, withSession(admin))).json()) as { address: string }[]).map((b) => b.address);

before(async () => {
  // The log the jail reads exists before the daemon starts.
  logDir = mkdtempSync(join(tmpdir(), 'mamoru-guard-page-'));
  const log = join(logDir, 'auth.log');
  writeFileSync(log, '');
  con = await startConsole({
    extraConfig: `guard:
  firewall: { type: dry-run }
  enrich: { whois: { enabled: false } }
  jails:
    - { name: console-login, filters: [mamoru-auth], sources: [{ type: file, paths: ['${log}'] }], max_retry: 3, find_time: 10m, ban_time: 1h, port: 8443, target: alpha }
`,
  });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'client-b', role: 'viewer', password: 'client b password', scope: { targets: [], tags: ['client-b'] } });
  // The jail reads what is appended: a few failed logins a moment apart, until both are banned.
  let n = 0;
  await until('both addresses banned', async () => {
    n++;
    for (const ip of [JP, RU]) appendFileSync(log, authLogLine(Date.now(), 4242, 'failed', ip, `guess${n}`));
    const now = await bans();
    return now.includes(JP) && now.includes(RU);
  }, 30_000, 300);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await con?.stop();
  if (logDir) rmSync(logDir, { recursive: true, force: true });
});

test('the guard page shows each ban with its country, jail, target and log line; unban lifts it', { timeout: 50_000 }, async () => {
  const page = await browser!.page();
  await logIn(page, con.url, 'admin', ADMIN_PASSWORD);
  // Enrichment comes a moment after the ban.
  await until('the countries known', async () => {
    await page.goto(`${con.url}/guard`);
    return /JP/.test(await page.locator(`#bans-active [data-ban="${JP}"] td.country`).innerText().catch(() => ''));
  }, 20_000, 300);
  const jp = page.locator(`#bans-active [data-ban="${JP}"]`);
  const row = (await jp.innerText()).replace(/\s+/g, ' ');
  assert.match(row, /🇯🇵 JP/, row);
  assert.match(row, /console-login/, row);
  assert.match(row, /alpha/, row);
  assert.match(row, /tcp\/8443/, row);
  await jp.locator('details summary').click();
  assert.match(await jp.locator('pre.logline').innerText(), new RegExp(`login failed from ${JP.replace(/\./g, '\\.')} for user`));
  assert.match((await page.locator('#per-country').innerText()).replace(/\s+/g, ' '), /🇯🇵 JP 1[\s\S]*|🇷🇺 RU 1/);
  assert.match((await page.locator('#per-jail').innerText()).replace(/\s+/g, ' '), /console-login 2/);
  assert.match(await page.locator('#allow-list').innerText(), /127\.0\.0\.0\/8\s+loopback/);
  await shot(page, 'guard-en');
  // The ban's attack incident tells what was banned and why, with the log line.
  await Promise.all([page.waitForURL(/\/incidents\/\d+$/), jp.locator('tr.why a').click()]);
  const banned = (await page.locator('#banned').innerText()).replace(/\s+/g, ' ');
  assert.match(banned, new RegExp(`${JP.replace(/\./g, '\\.')} was blocked .*console-login.*3 failures`), banned);
  await shot(page, 'incident-attack-en');
  await page.goto(`${con.url}/guard`);

  // Another client's viewer sees none of these (the jail is alpha's).
  const b = await login(con.url, 'client-b', 'client b password');
  const theirs = await (await fetch(`${con.url}/guard`, { headers: { cookie: b.cookie } })).text();
  assert.doesNotMatch(theirs, new RegExp(`${JP}|${RU}`));

  await Promise.all([page.waitForURL(/note=unbanned/), jp.locator('form[action="/guard/unban"] button').click()]);
  assert.equal(await page.locator(`#bans-active [data-ban="${JP}"]`).count(), 0);
  assert.equal(await page.locator(`#bans-active [data-ban="${RU}"]`).count(), 1);
  const left = await bans();
  assert.ok(!left.includes(JP) && left.includes(RU), left.join(' '));
  // It stays on the page as a recent ban that ended.
  assert.equal(await page.locator(`#bans-ended [data-ban="${JP}"]`).count(), 1);
  await shot(page, 'guard-unbanned-en');
  await page.close();

  const ja = await openBrowser({ locale: 'ja-JP' });
  try {
    const p = await ja.page();
    await logIn(p, con.url, 'admin', ADMIN_PASSWORD);
    await p.goto(`${con.url}/guard`);
    assert.match(await p.locator('h1').innerText(), /ガード/);
    // The country is named in the reader's language, not the enrichment's English.
    assert.match(await p.locator(`[data-ban="${RU}"] td.country`).innerText(), /RU\s+ロシア/);
    await shot(p, 'guard-ja');
  } finally {
    await ja.close();
  }
});
