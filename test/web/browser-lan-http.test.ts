/**
 * A console on a LAN address over plain HTTP (`web.insecure_http: true`), as an operator behind
 * their own network runs it: Chromium sends no Sec-Fetch-* headers to such an origin (it is not
 * "potentially trustworthy"), so the console's own forms must bring a real Origin (Referrer-Policy
 * same-origin) or every login is refused. The file runs itself again in a network namespace of
 * its own with a veth pair holding 10.77.0.1, so nothing leaves this machine.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { needs } from '../helpers/prereq.ts';
import type { Browser } from './browser.ts';
import type { Console } from './console.ts';

const INSIDE = process.env.MAMORU_TEST_OWN_NETNS === '1';
const LAN = '10.77.0.1';

if (!INSIDE) {
  test('in a network namespace of its own: a form login over plain HTTP on a LAN address works in Chromium', { timeout: 58_000 }, async (t) => {
    if (needs(t, { root: true, commands: ['unshare', 'ip'] })) return;
    const self = fileURLToPath(import.meta.url);
    const { NODE_TEST_CONTEXT: _nested, ...env } = process.env;
    const setup = `ip link set lo up && ip link add lan0 type veth peer name lan1 && ip addr add ${LAN}/24 dev lan0 && ip link set lan1 up && ip link set lan0 up && exec "$0" "$@"`;
    const child = spawn('unshare', ['--net', '--', 'sh', '-c', setup, process.execPath, '--import', 'tsx', '--test-reporter=tap', self], { env: { ...env, MAMORU_TEST_OWN_NETNS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    assert.equal(code, 0, out);
    assert.match(out, /^# pass 1$/m, out);
  });
} else {
  const { logIn, openBrowser } = await import('./browser.ts');
  const { ADMIN_PASSWORD, startConsole } = await import('./console.ts');
  let con: Console | undefined;
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
    await con?.stop();
  });

  test('the login form over plain HTTP on a LAN address logs in, and a form from another origin is still refused', { timeout: 50_000 }, async () => {
    con = await startConsole({ web: `host: ${LAN}, insecure_http: true` });
    assert.match(con.url, new RegExp(`^http://${LAN.replace(/\./g, '\\.')}:`));
    browser = await openBrowser();
    const page = await browser.page();
    await logIn(page, con.url, 'admin', ADMIN_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/', 'the form led to the overview');
    assert.match(await page.locator('body').innerText(), /admin/, 'logged in as admin');
    // Another origin's form (a page served from elsewhere posting to the console) is refused.
    const r = await fetch(`${con.url}/logout`, { method: 'POST', headers: { origin: 'http://10.77.0.9:8080', 'content-type': 'application/x-www-form-urlencoded' }, body: 'csrf=x' });
    assert.equal(r.status, 403);
  });
}
