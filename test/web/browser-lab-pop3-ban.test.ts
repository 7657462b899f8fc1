/**
 * The POP3 brute force from the lab's attacker, on the guard page in Chromium: mamoru runs on the
 * lab's server (its guard's nftables table in the server's own firewall, its console on the
 * server's address), a jail reads the real Dovecot's log; the attacker namespace makes wrong POP3
 * logins until it is banned on port 110. The operator sees the ban on the guard page with its
 * jail, its country as the page shows private space, and the Dovecot lines that earned it, and
 * lifts it from there: the address leaves the kernel set and the attacker reaches POP3 again.
 * Screenshots in en and ja under test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BIN } from '../helpers/cli.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { until } from '../helpers/wait.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { failedLoginsScript } from '../lab/pop3-flood.ts';
import { logIn, openBrowser, shot, type Browser } from './browser.ts';

const need = { root: true, commands: ['ip', 'nft', 'dovecot'] };
const PASSWORD = 'the operator password of the lab';
const PORT = 8485;
let lab: Lab | undefined;
let dovecot: LabDovecot | undefined;
let daemon: ChildProcess | undefined;
let browser: Browser | undefined;
let table = '';
let url = '';
let out = '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  if (missing(need)) return;
  lab = await createLab();
  dovecot = await startDovecot(lab);
  const dir = join(lab.dir, 'mamoru');
  mkdirSync(dir, { recursive: true });
  table = `mamoru_${lab.id.replace(/\W/g, '_')}`;
  const cfg = join(dir, 'mamoru.yaml');
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { host: ${lab.server.ip}, port: ${PORT}, insecure_http: true }
log: { level: info }
targets: [{ name: srv, address: ${lab.server.ip} }]
guard:
  firewall: { type: nftables, table: ${table} }
  state_dir: ${join(dir, 'guard-state')}
  enrich: { whois: { enabled: false } }
  jails:
    - { name: pop3, target: srv, filters: [dovecot], sources: [{ type: file, paths: ['${dovecot.logFile}'] }], max_retry: 5, find_time: 10m, ban_time: 1h, port: 110 }
`,
  );
  daemon = lab.server.spawn([process.execPath, BIN, 'start', '-c', cfg], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MAMORU_ADMIN_PASSWORD: PASSWORD, MAMORU_LOG_FORMAT: "json" } });
  daemon.stdout!.on('data', (d) => (out += d));
  daemon.stderr!.on('data', (d) => (out += d));
  const t0 = Date.now();
  while (!/web UI and API on/.test(out)) {
    if (daemon.exitCode !== null) throw new Error(`mamoru exited (${daemon.exitCode}):\n${out}`);
    if (Date.now() - t0 > 30_000) throw new Error(`mamoru did not start:\n${out}`);
    await sleep(50);
  }
  url = `http://${lab.server.ip}:${PORT}`;
  browser = await openBrowser();
});

after(async () => {
  await browser?.close();
  if (daemon && daemon.exitCode === null) {
    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGTERM');
    await gone;
  }
  await lab?.destroy();
});

/** The kernel's set of banned IPv4 addresses (with ports) in the server's namespace. */
const kernelSet = () => lab!.server.run(['nft', 'list', 'set', 'inet', table, 'port4']).stdout;

/** Whether the attacker gets Dovecot's POP3 greeting within 2 s. */
const attackerGreeted = () =>
  lab!.attacker.run([process.execPath, '-e', `const s = require('node:net').connect(110, ${JSON.stringify(lab!.server.ip)}); s.setTimeout(2000, () => { console.log('timeout'); s.destroy(); }); s.once('data', (d) => { console.log(String(d).split('\\r\\n')[0]); s.destroy(); }); s.on('error', (e) => console.log(e.code));`], { timeoutMs: 10_000 }).stdout.trim();

test('a POP3 brute force from the attacker: the ban on the guard page with its jail and lines, unbanned from there', { timeout: 90_000 }, async (t) => {
  if (needs(t, need)) return;
  const attacker = lab!.attacker.ip;
  assert.match(attackerGreeted(), /^\+OK/, 'the attacker reaches POP3 before the attack');
  const t0 = Date.now();
  const flood = lab!.attacker.spawn([process.execPath, '-e', failedLoginsScript(lab!.server.ip, 12)]);
  await until('the attacker in the kernel set', () => kernelSet().includes(attacker), 30_000, 200).catch((e) => assert.fail(`${(e as Error).message}\n${kernelSet()}\n${out.slice(-3000)}`));
  flood.kill('SIGKILL');
  t.diagnostic(`attacker in the kernel set ${((Date.now() - t0) / 1000).toFixed(1)} s after the flood began`);
  assert.equal(attackerGreeted(), 'timeout', 'banned: no greeting for the attacker');

  const page = await browser!.page();
  await logIn(page, url, 'admin', PASSWORD);
  await page.goto(`${url}/guard`);
  const ban = page.locator(`#bans-active [data-ban="${attacker}"]`);
  await ban.waitFor({ timeout: 10_000 });
  const row = (await ban.locator('tr').first().innerText()).replace(/\s+/g, ' ');
  assert.match(row, new RegExp(`${attacker.replace(/\./g, '\\.')} tcp/110`), row);
  assert.match(row, /pop3/, row);
  // A lab address is private space: no registry country; the page says so, never a made-up code.
  const country = (await ban.locator('td.country').innerText()).trim();
  assert.equal(country, 'private network', `country cell for a private address: ${country}`);
  const why = (await ban.locator('tr.why').innerText()).replace(/\s+/g, ' ');
  assert.match(why, /pop3: 5 failures in 10m \(dovecot\)/, why);
  // The Dovecot line(s) that earned the ban, as Dovecot wrote them.
  await ban.locator('tr.why summary').click();
  const lines = (await ban.locator('tr.why pre.logline').innerText()).split('\n').filter(Boolean);
  // The five lines that counted (max_retry 5), each on its own line, not only the one that tipped the ban.
  assert.equal(lines.length, 5, lines.join('\n'));
  assert.ok(lines.every((l) => l.includes(attacker) && /unknown user|auth failed|password mismatch/.test(l)), lines.join('\n'));
  // Each is a line of Dovecot's own log, word for word.
  const log = lab!.server.exec(['cat', dovecot!.logFile]);
  assert.deepEqual(lines.filter((l) => !log.includes(l)), [], 'lines not in the Dovecot log');
  await shot(page, 'lab-pop3-guard-en');

  const ja = await browser!.page();
  await ja.route('**/*', (route) => route.continue({ headers: { ...route.request().headers(), 'accept-language': 'ja,en;q=0.5' } }));
  // The same session (one browser), read in Japanese.
  await ja.goto(`${url}/guard`);
  assert.match(await ja.locator(`#bans-active [data-ban="${attacker}"] form button`).innerText(), /解除/);
  assert.equal((await ja.locator(`#bans-active [data-ban="${attacker}"] td.country`).innerText()).trim(), 'プライベート網');
  await shot(ja, 'lab-pop3-guard-ja');
  await ja.close();

  await Promise.all([page.waitForURL(/note=unbanned/, { timeout: 10_000 }), ban.locator('form[action="/guard/unban"] button').click()]).catch(async (e) => assert.fail(`${(e as Error).message}\n${page.url()}\n${await page.locator('body').innerText()}\n${out.slice(-2000)}`));
  assert.ok(!kernelSet().includes(attacker), `gone from the kernel set:\n${kernelSet()}`);
  assert.equal(await page.locator(`#bans-active [data-ban="${attacker}"]`).count(), 0, 'gone from the page');
  assert.match(attackerGreeted(), /^\+OK/, 'the attacker reaches POP3 again');
  await page.close();
});
