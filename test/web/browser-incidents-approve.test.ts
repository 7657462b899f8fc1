/**
 * A remediation held for approval, approved from the incident page in Chromium: a toy service
 * (a node process started by a local command) is down, the runbook asks to start it (policy
 * `ask`), and the incident page shows exactly the command it will run. The operator approves;
 * the service answers again and the page tells the start as done. Screenshots before and after.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console } from './console.ts';

let con: Console;
let browser: Browser | undefined;
let port: number;
let incident: number;

const answers = () =>
  new Promise<boolean>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

before(async () => {
  port = await freePort();
  // The toy service ends by itself: nothing to hunt down after the test.
  const toy = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(${port}, '127.0.0.1'); setTimeout(() => process.exit(0), 60000);`;
  const mark = `toy-${process.pid}-${port}`;
  const service = { name: 'toy', manager: 'command', processes: ['node'], process_match: mark, ports: [port], start: [process.execPath, '-e', toy, mark], start_detached: true, checks: ['toy'], page_timeout: '2s', start_timeout: '10s' };
  con = await startConsole({
    extraConfig: `  - name: local
    address: 127.0.0.1
    tags: [client-a]
    executor: { type: local }
    services: [${JSON.stringify(service)}]
    checks:
      - { type: tcp, name: toy, port: ${port}, interval: 1s, max_attempts: 1 }
remediation: { wait: 1s, policy: { modes: { start-service: ask } } }
`,
  });
  const admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'taro', role: 'operator', password: 'taro password 12' });
  await until('a pending approval', () => con.daemon.alerting.approvals.pending()[0], 30_000);
  incident = await until('the incident', async () => {
    const list = ((await (await fetch(`${con.url}/api/v1/incidents?limit=10`, withSession(admin))).json()) as { items: { id: number; target: string }[] }).items;
    return list.find((i) => i.target === 'local')?.id;
  });
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  await con?.stop();
});

test('an operator approves the held start from the incident page and sees it run', { timeout: 55_000 }, async () => {
  const asked = con.daemon.alerting.approvals.pending()[0]!;
  const page = await browser!.page();
  await logIn(page, con.url, 'taro', 'taro password 12');
  await page.goto(`${con.url}/incidents/${incident}`);
  const box = page.locator(`#approvals [data-approval="${asked.id}"]`);
  const text = await box.locator('pre').innerText();
  // Exactly what it will run: the configured start command, with its arguments.
  assert.ok(text.includes(`start toy on local (sh -c`) && text.includes(process.execPath) && text.includes(`toy-${process.pid}-${port}`), text);
  assert.match((await page.locator('#actions-pending').innerText()).replace(/\s+/g, ' '), /Waiting for approval/);
  await shot(page, 'incident-approval-en');
  assert.equal(await answers(), false, 'nothing ran before the approval');

  await Promise.all([page.waitForURL(/note=approved/), box.locator('button[value=approve]').click()]);
  assert.match(await page.locator('#note').innerText(), /Approved/);
  await until('the toy service answering', answers, 30_000);
  // The page tells the start as done once its outcome is recorded.
  await until('the start told as done', async () => {
    await page.goto(`${con.url}/incidents/${incident}`);
    return /Started toy on local/.test(await page.locator('#actions-done').innerText().catch(() => ''));
  }, 30_000, 500);
  assert.equal(await page.locator('#approvals').count(), 0, 'nothing waits any more');
  const steps = await page.locator('#actions-done').innerText();
  assert.match(steps, /Command: sh -c/, steps);
  assert.match(await page.locator('#timeline').innerText(), /approved by taro/);
  await shot(page, 'incident-approved-en');
  const audit = await (await fetch(`${con.url}/api/v1/audit?limit=20`, withSession(await login(con.url, 'admin', ADMIN_PASSWORD)))).json() as { items: { action: string; subject: string; actor: string }[] };
  assert.ok(audit.items.some((a) => a.action === 'approve' && a.subject === `approval:${asked.id}` && a.actor === 'user:taro'), JSON.stringify(audit.items));
  await page.close();
});
