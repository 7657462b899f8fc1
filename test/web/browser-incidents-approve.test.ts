/**
 * A remediation held for approval, approved from the incident page in Chromium: a toy service
 * (a node process started by a local command) is down, the runbook asks to start it (policy
 * `ask`), and the incident page shows exactly the command it will run. The operator approves;
 * the service answers again and the page tells the start as done. Screenshots before and after.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { Approvals } from '../../src/web/console-incident.tsx';
import type { ApprovalView, IncidentStory } from '../../src/web/types.ts';
import type { Reader } from '../../src/web/reader.ts';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console } from './console.ts';

let con: Console;
let browser: Browser | undefined;
let port: number;
let incident: number;
let toy: string;
let mark: string;

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
  toy = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(${port}, '127.0.0.1'); setTimeout(() => process.exit(0), 60000);`;
  mark = `toy-${process.pid}-${port}`;
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
  const text = await box.locator(`#approval-${asked.id}-text`).innerText();
  // Exactly what it will run: the configured start command, with its arguments.
  assert.ok(text.includes(`start toy on local (sh -c`) && text.includes(process.execPath) && text.includes(`toy-${process.pid}-${port}`), text);
  // Each argument on its own, exactly as passed: the detaching wrapper, then the configured start.
  const args = await box.locator('li.command[data-step="start"] [data-candidate="0"] ol.argv > li').allInnerTexts();
  assert.deepEqual(args.slice(0, 2), ['sh', '-c'], args.join('\n'));
  assert.match(args[2]!, /setsid/);
  assert.deepEqual(args.slice(3), ['mamoru-start', process.execPath, '-e', toy, mark], args.join('\n'));
  // The one-line form a person would paste into a shell splits back into exactly those arguments.
  const line = await box.locator('li.command[data-step="start"] code.shell').innerText();
  const split = spawnSync('sh', ['-c', 'eval "set -- $1"; printf "%s\\0" "$@"', 'sh', line], { encoding: 'utf8' });
  assert.deepEqual(split.stdout.split('\0').slice(0, -1), args, line);
  // Stored with the question (read back after a restart), the same argv.
  await con.daemon.alerting.approvals.saved();
  const stored = (await (con.daemon as unknown as { store: { approvals(o: object): Promise<{ id: string; plan?: { commands: { step: string; candidates: string[][] }[] } }[]> } }).store.approvals({ status: 'pending' })).find((a) => a.id === asked.id);
  assert.deepEqual(stored?.plan?.commands.map((c) => [c.step, c.candidates[0]]), [['start', args]]);
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

test('an approval stored before plans were kept shows its text; a config change shows file, directive, old and new value, backup', async () => {
  const story = { id: 7, records: [{ at: 0, kind: 'action', text: 'asked', data: { approvalId: 'old1' } }, { at: 0, kind: 'action', text: 'asked', data: { approvalId: 'raise1' } }] } as unknown as IncidentStory;
  const reader: Reader = { name: 'taro', role: 'operator', lang: 'en', zone: 'UTC' };
  const base = { target: 'web1', service: 'apache2', requested_at: '2026-12-07T00:00:00.000Z', expires_at: '2026-12-07T00:15:00.000Z' };
  const old: ApprovalView = { ...base, id: 'old1', action: 'start-service', text: 'start apache2 on web1 (systemctl start -- apache2)' };
  const raise: ApprovalView = {
    ...base,
    id: 'raise1',
    action: 'raise-worker-limit',
    text: 'raise MaxRequestWorkers on web1 from 5 to about 10',
    plan: {
      commands: [{ step: 'config test', candidates: [['apache2ctl', '-t'], ['apachectl', '-t']] }, { step: 'reload', candidates: [['apache2ctl', 'graceful']] }],
      changes: [{ file: '/etc/apache2/mods-available/mpm_prefork.conf', line: 12, directive: 'MaxRequestWorkers', from: 5, to: 10, approximate: true, backup: '/var/backups/mamoru/etc_apache2_mods-available_mpm_prefork.conf.YYYYMMDD-HHMMSS' }],
    },
  };
  const html = await (await Approvals({ list: [old, raise], s: story, r: reader, operate: false }))!.toString();
  const oldBox = html.slice(html.indexOf('data-approval="old1"'), html.indexOf('data-approval="raise1"'));
  assert.match(oldBox, /<pre class="text argv" id="approval-old1-text">\s*start apache2 on web1 \(systemctl start -- apache2\)\s*<\/pre>/, oldBox);
  assert.doesNotMatch(oldBox, /<ol class="argv"/);
  const raiseBox = html.slice(html.indexOf('data-approval="raise1"'));
  // Each argument its own list item; the fallback named as such.
  assert.match(raiseBox, /<ol class="argv"[^>]*><li><code>apache2ctl<\/code><\/li><li><code>-t<\/code><\/li><\/ol>/, raiseBox);
  assert.match(raiseBox, /only if the one above is missing on the server/);
  assert.match(raiseBox, /<code>\/etc\/apache2\/mods-available\/mpm_prefork\.conf:12<\/code>/);
  assert.match(raiseBox, /- MaxRequestWorkers 5\n\+ MaxRequestWorkers 10/);
  assert.match(raiseBox, /<code class="backup">\/var\/backups\/mamoru\/etc_apache2_mods-available_mpm_prefork\.conf\.YYYYMMDD-HHMMSS<\/code>/);
});
