/**
 * The console's incident, guard, notification and admin pages against a real daemon: two clients
 * (tags client-a and client-b) each with a server whose port is closed, so each gets a real
 * incident and a real message to a real webhook. A viewer limited to client-a sees client-a's
 * incident and message and nothing of client-b's (lists, and "not found" by id); an operator
 * acknowledges and notes through the page's forms; admin pages refuse an operator; the users page
 * creates a token that works once shown and is refused once revoked.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';
import { ADMIN_PASSWORD, login, makeUser, startConsole, withSession, type Console, type Session } from './console.ts';

let con: Console;
let admin: Session;
let hook: http.Server;
const hooked: unknown[] = [];
let ids: { a: number; b: number };

/** A page as a browser gets it (HTML), with a session. */
async function get(s: Session, path: string): Promise<{ status: number; html: string }> {
  const r = await fetch(`${con.url}${path}`, { headers: { cookie: s.cookie, accept: 'text/html' }, redirect: 'manual' });
  return { status: r.status, html: await r.text() };
}

/** A form post as a browser sends it (the CSRF token in the form). */
async function post(s: Session, path: string, form: Record<string, string>): Promise<Response> {
  return fetch(`${con.url}${path}`, { method: 'POST', headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body: new URLSearchParams({ csrf: s.csrf, ...form }).toString(), redirect: 'manual' });
}

before(async () => {
  hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooked.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const [closedA, closedB] = [await freePort(), await freePort()];
  con = await startConsole({
    extraConfig: `  - name: alpha-db
    address: 127.0.0.1
    tags: [client-a]
    checks:
      - { type: tcp, name: db, port: ${closedA}, interval: 1s, max_attempts: 1 }
  - name: beta-db
    address: 127.0.0.1
    tags: [client-b]
    checks:
      - { type: tcp, name: db, port: ${closedB}, interval: 1s, max_attempts: 1 }
notifications: { settle: 0s }
contacts:
  - name: ops
    language: en
    channels:
      - { type: webhook, url: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook" }
guard: { firewall: { type: dry-run } }
`,
  });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  await makeUser(con.url, admin, { name: 'client-a', role: 'viewer', password: 'client a password', scope: { targets: [], tags: ['client-a'] } });
  await makeUser(con.url, admin, { name: 'oper', role: 'operator', password: 'operator password' });
  const incidents = await until('both incidents', async () => {
    const list = ((await (await fetch(`${con.url}/api/v1/incidents?limit=50`, withSession(admin))).json()) as { items: { id: number; target: string }[] }).items;
    const a = list.find((i) => i.target === 'alpha-db');
    const b = list.find((i) => i.target === 'beta-db');
    return a && b ? { a: a.id, b: b.id } : undefined;
  });
  ids = incidents;
  await until('both messages delivered', () => hooked.length >= 2);
});

after(async () => {
  await con?.stop();
  hook?.close();
});

test('the incident list and page tell the story of a real incident', async () => {
  const list = await get(admin, '/incidents');
  assert.equal(list.status, 200);
  assert.match(list.html, new RegExp(`href="/incidents/${ids.a}"`));
  assert.match(list.html, /id="open-incidents"/);
  const one = await get(admin, `/incidents/${ids.a}`);
  assert.equal(one.status, 200);
  assert.match(one.html, /What broke/);
  // The plugin's words and the plain words.
  assert.match(one.html, /TCP CRITICAL|Connection refused/i);
  assert.match(one.html, /alpha-db/);
  // Who was told, by which channel, delivered.
  assert.match(one.html, /id="told"[\s\S]*ops[\s\S]*webhook[\s\S]*delivered/);
  // Filters: resolved only shows none of these open incidents.
  const resolved = await get(admin, '/incidents?status=resolved');
  assert.doesNotMatch(resolved.html, new RegExp(`href="/incidents/${ids.a}"`));
  // Kind filter and the cursor (older than an id).
  assert.doesNotMatch((await get(admin, '/incidents?kind=attack')).html, new RegExp(`href="/incidents/${ids.a}"`));
  assert.match((await get(admin, '/incidents?kind=outage')).html, new RegExp(`href="/incidents/${ids.a}"`));
  const [older, newer] = ids.a < ids.b ? [ids.a, ids.b] : [ids.b, ids.a];
  const paged = (await get(admin, `/incidents?cursor=${newer}`)).html;
  assert.match(paged, new RegExp(`href="/incidents/${older}"`));
  assert.doesNotMatch(paged, new RegExp(`href="/incidents/${newer}"`));
  const ja = await fetch(`${con.url}/incidents/${ids.a}`, { headers: { cookie: admin.cookie, accept: 'text/html', 'accept-language': 'ja' } });
  assert.match(await ja.text(), /何が起きたか/);
});

test('an operator acknowledges with a comment and adds a note from the page', async () => {
  const oper = await login(con.url, 'oper', 'operator password');
  const page = await get(oper, `/incidents/${ids.b}`);
  assert.match(page.html, /name="csrf"/);
  const ack = await post(oper, `/incidents/${ids.b}/ack`, { comment: 'restarting the db <now>' });
  assert.equal(ack.status, 303);
  assert.equal(ack.headers.get('location'), `/incidents/${ids.b}?note=acked`);
  const note = await post(oper, `/incidents/${ids.b}/notes`, { text: 'called the client' });
  assert.equal(note.status, 303);
  const after = await get(oper, `/incidents/${ids.b}?note=noted`);
  assert.match(after.html, /id="acknowledged"/);
  assert.match(after.html, /restarting the db &lt;now&gt;/, 'the comment is shown, escaped');
  assert.match(after.html, /called the client/);
  assert.match(after.html, /Your note is in the timeline/);
  // Acknowledged: the page no longer offers to acknowledge.
  assert.doesNotMatch(after.html, /action="\/incidents\/\d+\/ack"/);
  assert.match(page.html, /action="\/incidents\/\d+\/ack"/);
  // A form without the CSRF token is refused.
  const forged = await fetch(`${con.url}/incidents/${ids.b}/notes`, { method: 'POST', headers: { cookie: oper.cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'text=forged', redirect: 'manual' });
  assert.equal(forged.status, 403);
  const audit = await get(admin, '/audit');
  assert.match(audit.html, new RegExp(`incident:${ids.b}`));
  assert.match(audit.html, /user:oper/);
});

test('a viewer limited to client-a sees nothing of client-b: lists, pages and ids', async () => {
  const a = await login(con.url, 'client-a', 'client a password');
  const list = await get(a, '/incidents');
  assert.match(list.html, new RegExp(`href="/incidents/${ids.a}"`));
  assert.doesNotMatch(list.html, new RegExp(`href="/incidents/${ids.b}"`));
  assert.doesNotMatch(list.html, /beta-db/);
  assert.equal((await get(a, `/incidents/${ids.a}`)).status, 200);
  const other = await get(a, `/incidents/${ids.b}`);
  assert.equal(other.status, 404);
  assert.doesNotMatch(other.html, /beta-db/);
  const notes = await get(a, '/notifications');
  assert.match(notes.html, /alpha-db/);
  assert.doesNotMatch(notes.html, /beta-db/);
  assert.doesNotMatch(notes.html, /id="contacts"/, 'the contacts are not a limited viewer\'s');
  // A viewer cannot write, even to their own incident.
  assert.equal((await post(a, `/incidents/${ids.a}/notes`, { text: 'x' })).status, 403);
  // Manual bans are nobody's client: a limited viewer's guard page has none, and no allow list.
  assert.equal((await post(admin, '/guard/bans', { address: '192.0.2.55', hours: '1', reason: 'by hand' })).headers.get('location'), '/guard?note=banned');
  const guard = await get(a, '/guard');
  assert.equal(guard.status, 200);
  assert.doesNotMatch(guard.html, /192\.0\.2\.55/);
  assert.doesNotMatch(guard.html, /id="allow-list"/);
  assert.match((await get(admin, '/guard')).html, /192\.0\.2\.55/);
  assert.equal((await post(admin, '/guard/unban', { address: '192.0.2.55' })).headers.get('location'), '/guard?note=unbanned');
  assert.doesNotMatch((await get(admin, '/guard')).html, /data-ban="192\.0\.2\.55" data-active="true"/);
});

test('the allow list refuses a manual ban of this machine', async () => {
  assert.equal((await post(admin, '/guard/bans', { address: '127.0.0.1', hours: '1' })).headers.get('location'), '/guard?note=ban-refused');
  const guard = await get(admin, '/guard');
  assert.match(guard.html, /id="allow-list"[\s\S]*127\.0\.0\.0\/8[\s\S]*loopback/);
});

test('admin pages refuse an operator; an admin creates a token (shown once) and revokes it', async () => {
  const oper = await login(con.url, 'oper', 'operator password');
  assert.equal((await get(oper, '/audit')).status, 403);
  assert.equal((await get(oper, '/users')).status, 403);
  assert.equal((await post(oper, '/users/add', { name: 'sneaky', role: 'admin', password: 'long enough password' })).status, 403);
  const made = await post(admin, '/users/tokens', { name: 'ci-reader', role: 'viewer', days: '1', user: '' });
  assert.equal(made.status, 201);
  const html = await made.text();
  const token = /id="token-value">\s*(mamoru_[A-Za-z0-9_-]+)/.exec(html)?.[1];
  assert.ok(token, 'the token is on the answer');
  assert.equal((await fetch(`${con.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  const users = await get(admin, '/users');
  assert.doesNotMatch(users.html, new RegExp(token), 'never shown again');
  const id = new RegExp(`data-token="ci-reader"[\\s\\S]*?action="/users/tokens/(\\d+)/revoke"`).exec(users.html)?.[1];
  assert.ok(id);
  assert.equal((await post(admin, `/users/tokens/${id}/revoke`, {})).headers.get('location'), '/users?note=revoked');
  assert.equal((await fetch(`${con.url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } })).status, 401);
  // A refused user (bad name) comes back on the page with the auth room's words.
  const bad = await post(admin, '/users/add', { name: 'Bad Name', role: 'viewer', password: 'long enough password' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /id="error"/);
});

test('an operator sends a test message to a contact from the notifications page', async () => {
  const oper = await login(con.url, 'oper', 'operator password');
  const page = await get(oper, '/notifications');
  assert.match(page.html, /id="deliveries"[\s\S]*data-status="delivered"/);
  assert.match(page.html, /data-contact="ops"[\s\S]*action="\/notifications\/test"/);
  const before = hooked.length;
  const r = await post(oper, '/notifications/test', { contact: 'ops' });
  assert.equal(r.headers.get('location'), '/notifications?note=test-ok');
  assert.equal(hooked.length, before + 1);
  assert.equal((hooked.at(-1) as { event: string }).event, 'test');
  assert.equal((await post(oper, '/notifications/test', { contact: 'nobody' })).status, 404);
  assert.match((await get(admin, '/audit')).html, /notify-test[\s\S]*contact:ops/);
});
