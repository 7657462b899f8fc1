/**
 * A user's language and time zone: set through PATCH /api/v1/me or the /me form, checked (en or
 * ja; a zone Node knows), kept in the store across logins, and used by every page; without them
 * the browser's Accept-Language and UTC. A token is not a user and has no settings.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN_PASSWORD, login, makeToken, makeUser, withSession, type Console, type Session, startConsole } from './console.ts';

let con: Console;
let admin: Session;

before(async () => {
  con = await startConsole();
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'sora', role: 'viewer', password: 'sora password long' });
});
after(() => con?.stop());

const html = async (s: Session, path: string, lang?: string) => (await fetch(`${con.url}${path}`, { headers: { cookie: s.cookie, ...(lang ? { 'accept-language': lang } : {}) } })).text();
const patch = (s: Session, body: unknown) => fetch(`${con.url}/api/v1/me`, withSession(s, { method: 'PATCH', json: body }));

test('without settings: the browser\'s language, times in UTC', async () => {
  const s = await login(con.url, 'sora', 'sora password long');
  assert.match(await html(s, '/', 'ja,en;q=0.5'), /<html lang="ja">[\s\S]*<h1>概要<\/h1>/);
  assert.match(await html(s, '/', 'en-GB'), /sora \(viewer\) · UTC[\s\S]*<h1>Overview<\/h1>/);
});

test('PATCH /api/v1/me sets them; a new login reads the pages in Japanese with times in JST', async () => {
  const s = await login(con.url, 'sora', 'sora password long');
  const r = await patch(s, { lang: 'ja', zone: 'Asia/Tokyo' });
  assert.equal(r.status, 200);
  assert.deepEqual(await r.json(), { lang: 'ja', zone: 'Asia/Tokyo' });
  const again = await login(con.url, 'sora', 'sora password long');
  const page = await html(again, '/me', 'en');
  assert.match(page, /<html lang="ja">/);
  assert.match(page, /自分の設定/);
  assert.match(page, /value="Asia\/Tokyo"/);
  // A time on a page: the check page's last change, in JST.
  assert.match(await html(again, '/checks/alpha/up', 'en'), /最終変化: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d JST/);
  // null clears.
  assert.deepEqual(await (await patch(again, { lang: null, zone: null })).json(), { lang: null, zone: null });
});

test('refused: a zone Node does not know, another language, unknown fields; a token has no settings', async () => {
  const s = await login(con.url, 'sora', 'sora password long');
  const zone = await patch(s, { zone: 'Mars/Olympus_Mons' });
  assert.equal(zone.status, 400);
  assert.match(((await zone.json()) as { error: { message: string } }).error.message, /time zone "Mars\/Olympus_Mons" is not one this server knows/);
  assert.equal((await patch(s, { lang: 'fr' })).status, 400);
  assert.equal((await patch(s, { lang: 'en', admin: true })).status, 400);
  const token = await makeToken(con.url, admin, { name: 'machine', role: 'viewer' });
  const t = await fetch(`${con.url}/api/v1/me`, { method: 'PATCH', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"lang":"ja"}' });
  assert.equal(t.status, 403);
});

test('the /me form saves them (303 back, "saved"), and says what is wrong with a bad zone', async () => {
  const s = await login(con.url, 'sora', 'sora password long');
  const form = (body: string) => fetch(`${con.url}/me`, { method: 'POST', redirect: 'manual', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', origin: con.url }, body });
  const ok = await form(`csrf=${s.csrf}&lang=en&zone=Europe%2FBerlin`);
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.get('location'), '/me?saved=1');
  assert.match(await html(s, '/me?saved=1'), /Saved\.[\s\S]*value="Europe\/Berlin"/);
  const bad = await form(`csrf=${s.csrf}&lang=en&zone=Nowhere%2FAtAll`);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /id="prefs-error">time zone &quot;Nowhere\/AtAll&quot; is not one this server knows/);
  // Without the form's CSRF token: refused by the chain.
  assert.equal((await form('lang=ja')).status, 403);
});
