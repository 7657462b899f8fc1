/**
 * The login form as a browser really posts it: under this console's `Referrer-Policy:
 * no-referrer`, Chromium sends its own form with `Origin: null` and `Sec-Fetch-Site:
 * same-origin`. That must log in; `Origin: null` from anywhere else (a sandboxed frame, a
 * redirect from another site: `Sec-Fetch-Site: cross-site`, or no such header) must not.
 * (Found driving the console in Debian's Chromium: every form login was 403.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_PASSWORD, startConsole, type Console } from './console.ts';

let con: Console;
before(async () => {
  con = await startConsole();
});
after(async () => {
  await con.stop();
});

async function formLogin(headers: Record<string, string>): Promise<Response> {
  const page = await fetch(`${con.url}/login`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(await page.text())![1]!;
  const body = new URLSearchParams({ csrf, name: 'admin', password: ADMIN_PASSWORD });
  return fetch(`${con.url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...headers }, body });
}

test('a same-origin form with Origin: null logs in; Origin: null from elsewhere is refused', async () => {
  const browser = await formLogin({ origin: 'null', 'sec-fetch-site': 'same-origin' });
  assert.equal(browser.status, 303);
  assert.match(browser.headers.get('set-cookie') ?? '', /mamoru_session=/);
  const others: Record<string, string>[] = [{ origin: 'null' }, { origin: 'null', 'sec-fetch-site': 'cross-site' }, { origin: 'null', 'sec-fetch-site': 'same-site' }];
  for (const headers of others) {
    const r = await formLogin(headers);
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.doesNotMatch(r.headers.get('set-cookie') ?? '', /mamoru_session=/);
  }
});
