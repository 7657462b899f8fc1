/**
 * Unban from the guard page reaches the kernel. The file runs itself again inside a network
 * namespace of its own (unshare --net, loopback up), so mamoru's nftables table, the daemon and
 * Chromium live there and nothing touches this machine's own firewall: the jail reads the
 * console's auth log, failed logins from an address in Japan (by the offline country database)
 * put it into the kernel set, the operator sees the ban with its country on the page and lifts
 * it from there: it leaves the nftables set and the store.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { needs } from '../helpers/prereq.ts';
import type { Browser } from './browser.ts';
import type { Console } from './console.ts';

const INSIDE = process.env.MAMORU_TEST_OWN_NETNS === '1';
const JP = '133.242.0.10';
const TABLE = 'mamoru_page';

if (!INSIDE) {
  test('in a network namespace of its own: unban from the guard page removes the address from the nftables set', { timeout: 58_000 }, async (t) => {
    if (needs(t, { root: true, commands: ['unshare', 'ip', 'nft'] })) return;
    const self = fileURLToPath(import.meta.url);
    // Run as a plain script (not under this runner, which refuses to nest).
    const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
    const child = spawn('unshare', ['--net', '--', 'sh', '-c', 'ip link set lo up && exec "$0" "$@"', process.execPath, '--import', 'tsx', '--test-reporter=tap', self], { env: { ...env, MAMORU_TEST_OWN_NETNS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    for (const line of out.split('\n').filter((l) => l.startsWith('# ') && !/^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms)/.test(l))) t.diagnostic(line.slice(2));
    assert.equal(code, 0, out);
    assert.match(out, /^# pass 1$/m, out);
  });
} else {
  // Loaded only inside the namespace: the outer run stays light.
  const { authLogLine } = await import('../../src/auth/auth-log.ts');
  const { until } = await import('../helpers/wait.ts');
  const { logIn, openBrowser, shot } = await import('./browser.ts');
  const { ADMIN_PASSWORD, startConsole } = await import('./console.ts');
  let con: Console | undefined;
  let browser: Browser | undefined;
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-guard-kernel-'));
  after(async () => {
    await browser?.close();
    await con?.stop();
    spawnSync('nft', ['delete', 'table', 'inet', TABLE]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('unban from the guard page removes the address from the nftables set', { timeout: 50_000 }, async (t) => {
    const log = join(dir, 'auth.log');
    writeFileSync(log, '');
    con = await startConsole({
      extraConfig: `guard:
  firewall: { type: nftables, table: ${TABLE} }
  enrich: { whois: { enabled: false } }
  jails:
    - { name: logins, filters: [mamoru-auth], sources: [{ type: file, paths: ['${log}'] }], max_retry: 3, find_time: 10m, ban_time: 1h, port: 110 }
`,
    });
    const set = () => spawnSync('nft', ['list', 'set', 'inet', TABLE, 'port4'], { encoding: 'utf8' }).stdout;
    let n = 0;
    await until('the address in the kernel set', () => {
      appendFileSync(log, authLogLine(Date.now(), 77, 'failed', JP, `guess${++n}`));
      return set().includes(JP);
    }, 20_000, 300);

    browser = await openBrowser();
    const page = await browser.page();
    await logIn(page, con.url, 'admin', ADMIN_PASSWORD);
    const row = page.locator(`#bans-active [data-ban="${JP}"]`);
    await until('the ban with its country on the page', async () => {
      await page.goto(`${con!.url}/guard`);
      return /JP/.test(await row.locator('td.country').innerText().catch(() => ''));
    }, 15_000, 300);
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    assert.match(text, /🇯🇵 JP/, text);
    assert.match(text, /tcp\/110/, text);
    assert.match(text, /logins/, text);
    await shot(page, 'guard-kernel-en');
    await Promise.all([page.waitForURL(/note=unbanned/), row.locator('form[action="/guard/unban"] button').click()]);
    assert.ok(!set().includes(JP), `gone from the kernel set:\n${set()}`);
    t.diagnostic(`kernel set after unban: ${set().replace(/\s+/g, ' ').trim()}`);
    assert.equal(await page.locator(`#bans-active [data-ban="${JP}"]`).count(), 0);
    const api = await page.evaluate(async () => (await fetch('/api/v1/bans')).json());
    assert.deepEqual(api, [], 'gone from the store');
  });
}
