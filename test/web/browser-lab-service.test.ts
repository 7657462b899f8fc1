/**
 * A lab service killed, seen in Chromium: mamoru (in this process, console on loopback) watches
 * the lab's server, where a real vsftpd runs, and controls it over SSH (policy `auto` for
 * start-service, as the FTP scenario does). An operator has the overview open; the test kills
 * vsftpd; the incident appears on that same page without a reload (the live region, over SSE);
 * the operator opens it and reads what broke in plain words and the start, done and verified, in
 * its story and timeline. Screenshots in en and ja under test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { until } from '../helpers/wait.ts';
import { listening, prereq, servicesOf, startScenarioLab, type ScenarioLab } from '../scenarios/harness.ts';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console } from './console.ts';

const need = prereq('vsftpd');
let s: ScenarioLab | undefined;
let con: Console | undefined;
let browser: Browser | undefined;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ vsftpd: true });
  con = await startConsole({
    extraConfig: `  - name: srv
    address: ${s.lab.server.ip}
    tags: [client-a]
    executor: { type: ssh, host: ${s.lab.server.ip}, private_key_file: ${s.sshd.privateKeyFile}, known_hosts_file: ${s.sshd.knownHostsFile} }
    services: ${JSON.stringify(servicesOf(s))}
    checks:
      - { type: ftp, name: ftp, port: ${s.vsftpd!.port}, interval: 4s, retry_interval: 500ms, max_attempts: 2 }
remediation: { wait: 1s, policy: { modes: { start-service: auto } } }
`,
  });
  const admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'kenji', role: 'operator', password: 'kenji password 12' });
  // The FTP check has answered OK once: what follows is the kill, not a slow start.
  await until('the FTP check OK', async () => {
    const checks = (await (await fetch(`${con!.url}/api/v1/checks`, withSession(admin))).json()) as { id: string; state_name: string }[];
    return checks.some((c) => c.id === 'srv/ftp' && c.state_name === 'OK');
  }, 20_000, 200);
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await con?.stop();
  await s?.destroy();
});

test('vsftpd killed on the lab server: the incident appears on the open overview, its story tells the start', { timeout: 90_000 }, async (t) => {
  if (needs(t, need)) return;
  const page = await browser!.page();
  await logIn(page, con!.url, 'kenji', 'kenji password 12');
  await page.goto(`${con!.url}/`);
  await page.waitForFunction(() => document.body.dataset.live === 'on');
  assert.equal(await page.locator('#incidents li[data-incident]').count(), 0, 'no incident before the kill');
  // A mark on this very document: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { mamoruMark: string }).mamoruMark = 'same page'));

  const t0 = Date.now();
  await s!.vsftpd!.kill();
  // Open, or already healed by mamoru (listed under "resolved in the last hour"): either way it
  // must come onto this page by itself.
  const item = page.locator('#incidents li[data-incident]').filter({ hasText: 'srv' });
  await item.first().waitFor({ timeout: 30_000 }).catch(async (e) => {
    const admin = await login(con!.url, 'admin', ADMIN_PASSWORD);
    const incs = await (await fetch(`${con!.url}/api/v1/incidents?limit=10`, withSession(admin))).text();
    assert.fail(`${(e as Error).message}\nincidents: ${incs}\npage: ${await page.locator('#incidents').innerText()} refreshed=${await page.evaluate(() => document.body.dataset.refreshed)}`);
  });
  t.diagnostic(`incident on the open overview ${((Date.now() - t0) / 1000).toFixed(1)} s after the kill`);
  assert.equal(await page.evaluate(() => (window as unknown as { mamoruMark?: string }).mamoruMark), 'same page', 'the overview was not reloaded');
  assert.match((await item.first().innerText()).replace(/\s+/g, ' '), /srv: ftp CRITICAL .*Connection refused/);
  await shot(page, 'lab-service-overview-en');

  // mamoru starts vsftpd over SSH; wait until the start's outcome is recorded, then read the story.
  const id = Number(await item.first().getAttribute('data-incident'));
  await until('vsftpd listening again', () => listening(s!, s!.vsftpd!.port), 30_000, 200);
  await Promise.all([page.waitForURL(`**/incidents/${id}`), item.first().locator('a').click()]);
  await until('the start told as done', async () => {
    if (/Started vsftpd on srv/.test(await page.locator('#actions-done').innerText().catch(() => ''))) return true;
    await page.reload();
    return false;
  }, 30_000, 500).catch(async (e) => assert.fail(`${(e as Error).message}\n${await page.locator('main').innerText()}`));
  const broke = (await page.locator('#what-broke').innerText()).replace(/\s+/g, ' ');
  // Plain words of what broke (the FTP service on srv), and the plugin's own words beside them.
  assert.match(broke, /File upload \(FTP\) on srv/, broke);
  const done = (await page.locator('#actions-done').innerText()).replace(/\s+/g, ' ');
  assert.match(done, /Started vsftpd on srv/, done);
  assert.match(done, /Command: sh -c .*vsftpd/, done);
  // The diagnosis in plain words, with the plugin's own words as its evidence.
  const found = (await page.locator('#found').innerText()).replace(/\s+/g, ' ');
  assert.match(found, /The FTP server \(vsftpd\) is down on srv: its process is not running and port 21 is not listening/, found);
  assert.match(found, /Connection refused/, found);
  // Done and verified: vsftpd runs and answers again (not just "the command exited 0").
  assert.match(done, /it runs and answers again/, done);
  const timeline = await page.locator('#timeline').innerText();
  assert.match(timeline, /started vsftpd on srv; verified: TCP OK/, timeline);
  await shot(page, 'lab-service-incident-en');

  const ja = await browser!.page();
  await ja.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'accept-language': 'ja,en;q=0.5' } }));
  await logIn(ja, con!.url, 'kenji', 'kenji password 12');
  await shot(ja, 'lab-service-overview-ja');
  await ja.goto(`${con!.url}/incidents/${id}`);
  assert.match(await ja.locator('#what-broke h2').innerText(), /何が起きたか/);
  const jaDone = await ja.locator('#actions-done').innerText();
  assert.match(jaDone, /vsftpd/, jaDone);
  assert.match(jaDone, /起動/, jaDone);
  await shot(ja, 'lab-service-incident-ja');
  await ja.close();
  await page.close();
});
