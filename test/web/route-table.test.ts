/**
 * Walks every route the console app has (its own route list) against a real daemon and checks
 * the auth layer on each: no credentials → 401 (or the public answer), a role too weak → 403,
 * unsafe requests with a foreign Origin → 403, as text/plain → 415, from a session without the
 * CSRF token → 403, a foreign Host → 421, and the right credentials reach the route. A route this
 * file has no expectation for fails the test, and so does an undeclared route in the app.
 * It also keeps the route table in docs/api.md true (UPDATE_DOCS=1 rewrites it).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createApp, appRoutes } from '../../src/web/app.ts';
import type { WebDeps } from '../../src/web/deps.ts';
import { createLogger } from '../../src/core/log.ts';
import type { RouteRule } from '../../src/web/access.ts';
import { ADMIN_PASSWORD, login, makeToken, startConsole, type Console, type Session } from './console.ts';

type Need = 'public' | 'viewer' | 'operator' | 'admin' | 'ingest';
interface Expect {
  need: Need;
  /** A concrete path to call. */
  path: string;
  /** A body the route accepts (unsafe routes). */
  body?: unknown;
  /** What anyone gets without credentials (public routes). */
  anon?: number;
  /** What the right credentials get (proves the route is reached). */
  ok: number[];
}

// One line per route: a new route without a line here fails the walk below.
const EXPECT: Record<string, Expect> = {
  'GET /': { need: 'viewer', path: '/', ok: [200] },
  'GET /login': { need: 'public', path: '/login', anon: 200, ok: [200] },
  'POST /login': { need: 'public', path: '/login', body: { name: 'nobody', password: 'wrong password!' }, anon: 401, ok: [401] },
  'POST /logout': { need: 'viewer', path: '/logout', body: {}, ok: [400] }, // a token has no session to end
  'GET /static/mamoru.css': { need: 'public', path: '/static/mamoru.css', anon: 200, ok: [200] },
  'GET /favicon.ico': { need: 'public', path: '/favicon.ico', anon: 204, ok: [204] },
  'GET /healthz': { need: 'public', path: '/healthz', anon: 200, ok: [200] },
  'GET /metrics': { need: 'public', path: '/metrics', anon: 200, ok: [200] }, // loopback peer, no metrics token configured
  'GET /api/v1/openapi.json': { need: 'public', path: '/api/v1/openapi.json', anon: 200, ok: [200] },
  'GET /api/v1/status': { need: 'viewer', path: '/api/v1/status', ok: [200] },
  'GET /api/v1/targets': { need: 'viewer', path: '/api/v1/targets', ok: [200] },
  'GET /api/v1/targets/:name': { need: 'viewer', path: '/api/v1/targets/alpha', ok: [200] },
  'GET /api/v1/checks': { need: 'viewer', path: '/api/v1/checks', ok: [200] },
  'GET /api/v1/checks/:target/:name': { need: 'viewer', path: '/api/v1/checks/alpha/up', ok: [200] },
  'GET /api/v1/checks/:target/:name/results': { need: 'viewer', path: '/api/v1/checks/alpha/up/results?limit=5', ok: [200] },
  'GET /api/v1/checks/:target/:name/rollups': { need: 'viewer', path: '/api/v1/checks/alpha/up/rollups?resolution=minute', ok: [200] },
  'POST /api/v1/checks/:target/:name/run': { need: 'operator', path: '/api/v1/checks/alpha/up/run', body: {}, ok: [200] },
  'GET /api/v1/incidents': { need: 'viewer', path: '/api/v1/incidents?limit=5', ok: [200] },
  'GET /api/v1/incidents/:id': { need: 'viewer', path: '/api/v1/incidents/999', ok: [404] },
  'POST /api/v1/incidents/:id/ack': { need: 'operator', path: '/api/v1/incidents/999/ack', body: { comment: 'on it' }, ok: [404] },
  'POST /api/v1/incidents/:id/comments': { need: 'operator', path: '/api/v1/incidents/999/comments', body: { text: 'looking' }, ok: [404] },
  'GET /api/v1/approvals': { need: 'viewer', path: '/api/v1/approvals', ok: [200] },
  'POST /api/v1/approvals/:id/approve': { need: 'operator', path: '/api/v1/approvals/nope/approve', body: {}, ok: [404] },
  'POST /api/v1/approvals/:id/deny': { need: 'operator', path: '/api/v1/approvals/nope/deny', body: {}, ok: [404] },
  'GET /api/v1/notifications': { need: 'viewer', path: '/api/v1/notifications', ok: [200] },
  'GET /api/v1/bans': { need: 'viewer', path: '/api/v1/bans', ok: [200] },
  'GET /api/v1/agents': { need: 'viewer', path: '/api/v1/agents', ok: [200] },
  'GET /api/v1/cluster': { need: 'operator', path: '/api/v1/cluster', ok: [404] }, // bus: local
  'POST /api/v1/bans': { need: 'operator', path: '/api/v1/bans', body: { address: '192.0.2.77', for_seconds: 60 }, ok: [201] },
  'DELETE /api/v1/bans/:address': { need: 'operator', path: '/api/v1/bans/192.0.2.77', ok: [200] },
  'GET /api/v1/me': { need: 'viewer', path: '/api/v1/me', ok: [200] },
  'POST /api/v1/me/password': { need: 'viewer', path: '/api/v1/me/password', body: { old_password: 'not the password', new_password: 'a new long password' }, ok: [403] }, // a token is not a user
  'GET /api/v1/users': { need: 'admin', path: '/api/v1/users', ok: [200] },
  'POST /api/v1/users': { need: 'admin', path: '/api/v1/users', body: { name: 'Bad Name', role: 'viewer', password: 'long enough password' }, ok: [400] },
  'DELETE /api/v1/users/:name': { need: 'admin', path: '/api/v1/users/nobody', ok: [404] },
  'PUT /api/v1/users/:name/password': { need: 'admin', path: '/api/v1/users/nobody/password', body: { password: 'another long password' }, ok: [404] },
  'GET /api/v1/tokens': { need: 'admin', path: '/api/v1/tokens', ok: [200] },
  'POST /api/v1/tokens': { need: 'admin', path: '/api/v1/tokens', body: { name: 'walk', role: 'viewer', expires_in_seconds: 3600 }, ok: [201, 400] }, // 400 the second time (name taken)
  'DELETE /api/v1/tokens/:id': { need: 'admin', path: '/api/v1/tokens/no-such-token', ok: [404] },
  'GET /api/v1/audit': { need: 'admin', path: '/api/v1/audit?limit=3', ok: [200] },
  'POST /api/v1/ingest/:kind': { need: 'ingest', path: '/api/v1/ingest/nagios', body: { host: 'alpha', service: 'web', state: 'OK', output: 'fine' }, ok: [200, 400] },
  // The paths before v1 (aliases through the same auth).
  'GET /api/status': { need: 'viewer', path: '/api/status', ok: [200] },
  'GET /api/checks/:target/:name': { need: 'viewer', path: '/api/checks/alpha/up', ok: [200] },
  'GET /api/incidents': { need: 'viewer', path: '/api/incidents', ok: [200] },
  'GET /api/incidents/:id': { need: 'viewer', path: '/api/incidents/999', ok: [404] },
  'POST /api/incidents/:id/ack': { need: 'operator', path: '/api/incidents/999/ack', body: { by: 'x', comment: '' }, ok: [404] },
  'GET /api/approvals': { need: 'viewer', path: '/api/approvals', ok: [200] },
  'POST /api/approvals/:id/approve': { need: 'operator', path: '/api/approvals/nope/approve', body: { by: 'x' }, ok: [404] },
  'POST /api/approvals/:id/deny': { need: 'operator', path: '/api/approvals/nope/deny', body: { by: 'x' }, ok: [404] },
  'POST /api/ingest/:kind': { need: 'ingest', path: '/api/ingest/nagios', body: { host: 'alpha', service: 'web', state: 'OK', output: 'fine' }, ok: [200, 400] },
  // The overview, check and target pages, my settings, the live stream, the static files.
  'GET /checks/:target/:name': { need: 'viewer', path: '/checks/alpha/up', ok: [200] },
  'POST /checks/:target/:name/run': { need: 'operator', path: '/checks/alpha/up/run', body: {}, ok: [303] },
  'GET /targets/:name': { need: 'viewer', path: '/targets/alpha', ok: [200] },
  'GET /me': { need: 'viewer', path: '/me', ok: [200] },
  'POST /me': { need: 'viewer', path: '/me', body: { lang: 'en' }, ok: [303] }, // a token has no settings: back to the page that says so
  'PATCH /api/v1/me': { need: 'viewer', path: '/api/v1/me', body: { zone: 'UTC' }, ok: [200] }, // the tokens here act for the admin
  'GET /api/v1/events': { need: 'viewer', path: '/api/v1/events', ok: [400] }, // without Accept: text/event-stream (a stream would never end here)
  'GET /static/live.js': { need: 'public', path: '/static/live.js', anon: 200, ok: [200] },
  'GET /static/plot.js': { need: 'public', path: '/static/plot.js', anon: 200, ok: [200] },
  'GET /static/uplot.js': { need: 'public', path: '/static/uplot.js', anon: 200, ok: [200] },
  'GET /static/uplot.css': { need: 'public', path: '/static/uplot.css', anon: 200, ok: [200] },
  // The console's incident, guard, notification and admin pages (pages-console*.tsx).
  'GET /incidents': { need: 'viewer', path: '/incidents', ok: [200] },
  'GET /incidents/:id': { need: 'viewer', path: '/incidents/999', ok: [404] },
  'POST /incidents/:id/ack': { need: 'operator', path: '/incidents/999/ack', body: { comment: 'on it' }, ok: [404] },
  'POST /incidents/:id/notes': { need: 'operator', path: '/incidents/999/notes', body: { text: 'looking' }, ok: [404] },
  'POST /incidents/:id/approvals/:approval/approve': { need: 'operator', path: '/incidents/999/approvals/nope/approve', body: {}, ok: [404] },
  'POST /incidents/:id/approvals/:approval/deny': { need: 'operator', path: '/incidents/999/approvals/nope/deny', body: {}, ok: [404] },
  'GET /guard': { need: 'viewer', path: '/guard', ok: [200] },
  'POST /guard/bans': { need: 'operator', path: '/guard/bans', body: { address: '192.0.2.78', hours: 1 }, ok: [303] },
  'POST /guard/unban': { need: 'operator', path: '/guard/unban', body: { address: '192.0.2.78' }, ok: [303] },
  'GET /notifications': { need: 'viewer', path: '/notifications', ok: [200] },
  'POST /notifications/test': { need: 'operator', path: '/notifications/test', body: { contact: 'nobody' }, ok: [404] },
  'GET /audit': { need: 'admin', path: '/audit', ok: [200] },
  'GET /users': { need: 'admin', path: '/users', ok: [200] },
  'POST /users/add': { need: 'admin', path: '/users/add', body: { name: 'Bad Name', role: 'viewer', password: 'long enough password' }, ok: [400] },
  'POST /users/:name/remove': { need: 'admin', path: '/users/nobody/remove', body: {}, ok: [303] },
  'POST /users/tokens': { need: 'admin', path: '/users/tokens', body: { name: 'walk-page', role: 'viewer', days: 1 }, ok: [201, 400] }, // 400 the second time (name taken)
  'POST /users/tokens/:id/revoke': { need: 'admin', path: '/users/tokens/999999/revoke', body: {}, ok: [404] },
};

// The credential just strong enough, and one just too weak, per role.
const TOO_WEAK: Record<Exclude<Need, 'public'>, string> = { viewer: 'ingest', operator: 'viewer', admin: 'operator', ingest: 'viewer' };

let con: Console;
let admin: Session;
const tokens: Record<string, string> = {};

before(async () => {
  con = await startConsole({ extraConfig: 'guard: { firewall: { type: dry-run } }\n' });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  for (const role of ['viewer', 'operator', 'admin', 'ingest']) tokens[role] = await makeToken(con.url, admin, { name: `t-${role}`, role, ...(role === 'ingest' ? {} : { user: 'admin' }) });
});
after(() => con?.stop());

interface Answer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** A raw request (fetch cannot send a foreign Host or a cookie-less session by mistake). */
function call(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const u = new URL(con.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method, path, headers: { host: u.host, ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (role: string) => ({ authorization: `Bearer ${tokens[role]}` });
const jsonHeaders = { 'content-type': 'application/json' };

function listRoutes(): { key: string; rule: RouteRule | undefined }[] {
  const app = createApp({} as WebDeps, { host: '127.0.0.1', hostnames: [], bodyLimit: 1 << 20, tls: false, insecureHttp: false }, createLogger('silent'));
  return appRoutes(app).map((r) => ({ key: `${r.method} ${r.path}`, rule: app.table.find(r.method, r.path) }));
}

test('every route of the app has an expectation here and a declaration in the route table', () => {
  const routes = listRoutes();
  assert.ok(routes.length >= 45, `only ${routes.length} routes found`);
  const missing = routes.filter((r) => !EXPECT[r.key]).map((r) => r.key);
  assert.deepEqual(missing, [], `routes without an expectation in this test: add them to EXPECT`);
  const undeclared = routes.filter((r) => !r.rule).map((r) => r.key);
  assert.deepEqual(undeclared, [], 'routes without an access rule');
  for (const r of routes) assert.equal(r.rule!.role, EXPECT[r.key]!.need, `${r.key}: declared role`);
  // And nothing stale here: every expectation is a route.
  const keys = new Set(routes.map((r) => r.key));
  assert.deepEqual(Object.keys(EXPECT).filter((k) => !keys.has(k)), []);
});

test('an undeclared route is refused (default deny), with a log line', async () => {
  const lines: string[] = [];
  const log = createLogger('error');
  const logger = Object.assign(Object.create(log), { error: (_o: unknown, msg: string) => lines.push(msg), child: () => logger });
  const web = createApp({} as WebDeps, { host: '127.0.0.1', hostnames: [], bodyLimit: 1 << 20, tls: false, insecureHttp: false }, logger);
  web.app.get('/sneaky', (c) => c.text('secret state'));
  const r = await web.app.request('/sneaky', { headers: { host: '127.0.0.1' } });
  assert.equal(r.status, 500);
  assert.deepEqual(await r.json(), { error: { code: 'internal', message: 'route has no access rule' } });
  assert.ok(lines.some((l) => l.includes('route has no access rule')), lines.join('\n'));
});

for (const { key, rule } of listRoutes()) {
  test(`auth layer on ${key}`, async () => {
    const e = EXPECT[key];
    assert.ok(e, `no expectation for ${key}`);
    const method = key.split(' ')[0]!;
    const unsafe = method !== 'GET';
    const body = e.body === undefined ? undefined : JSON.stringify(e.body);
    const typed = body === undefined ? {} : jsonHeaders;
    const where = `${method} ${e.path}`;

    // No credentials.
    const anon = await call(method, e.path, typed, body);
    if (e.need === 'public') assert.equal(anon.status, e.anon, `${where} without credentials: ${anon.text}`);
    else {
      assert.equal(anon.status, 401, `${where} without credentials: ${anon.text}`);
      assert.match(String(anon.headers['www-authenticate']), /^Bearer/);
      assert.equal(JSON.parse(anon.text).error.code, 'unauthenticated');
    }
    // Too weak a role.
    const strong = e.need === 'public' ? {} : bearer(e.need);
    if (e.need !== 'public') {
      const weak = await call(method, e.path, { ...typed, ...bearer(TOO_WEAK[e.need]) }, body);
      assert.equal(weak.status, 403, `${where} as ${TOO_WEAK[e.need]}: ${weak.text}`);
    }
    // A foreign Host, even with the right credentials.
    const host = await call(method, e.path, { ...typed, ...strong, host: `evil.example:${new URL(con.url).port}` }, body);
    assert.equal(host.status, 421, `${where} with a foreign Host`);

    if (unsafe) {
      const foreign = await call(method, e.path, { ...typed, ...strong, origin: 'https://evil.example' }, body);
      assert.equal(foreign.status, 403, `${where} from a foreign Origin: ${foreign.text}`);
      const crossSite = await call(method, e.path, { ...typed, ...strong, 'sec-fetch-site': 'cross-site' }, body);
      assert.equal(crossSite.status, 403, `${where} with Sec-Fetch-Site: cross-site`);
      const plain = await call(method, e.path, { ...strong, 'content-type': 'text/plain' }, body ?? '{}');
      assert.equal(plain.status, 415, `${where} as text/plain: ${plain.text}`);
      if (key !== 'POST /login') {
        const form = await call(method, e.path, { ...strong, 'content-type': 'application/x-www-form-urlencoded' }, 'a=b');
        // A page's form route takes the form (a bearer token needs no CSRF field): it reaches the handler.
        if (rule?.body === 'form-or-json' && key !== 'POST /logout') assert.notEqual(form.status, 415, `${where} form-encoded: ${form.text}`);
        else assert.equal(form.status, key === 'POST /logout' ? 400 : 415, `${where} form-encoded: ${form.text}`);
      }
      // A session (the admin's: strong enough for anything) without the CSRF token.
      const noCsrf = await call(method, e.path, { ...typed, cookie: admin.cookie }, body);
      if (key === 'POST /login') assert.equal(noCsrf.status, 401, 'JSON login needs no CSRF token (it cannot be sent cross-site without a preflight)');
      else assert.equal(noCsrf.status, 403, `${where} from a session without X-CSRF-Token: ${noCsrf.text}`);
      if (key === 'POST /login' || key === 'POST /logout') {
        const staleForm = await call(method, e.path, { 'content-type': 'application/x-www-form-urlencoded', cookie: admin.cookie }, 'name=admin&password=x&csrf=forged');
        assert.equal(staleForm.status, 403, `${where} as a form with a forged csrf field`);
      }
    }
    // The right credentials reach the route.
    const right = await call(method, e.path, { ...typed, ...strong }, body);
    assert.ok(e.ok.includes(right.status), `${where} with ${e.need === 'public' ? 'no' : e.need} credentials: ${right.status} ${right.text.slice(0, 300)}`);
    if (!right.headers['content-type']?.startsWith('application/json') && right.status >= 400) assert.fail(`${where}: an error that is not JSON`);
    if (right.status >= 400) assert.ok(JSON.parse(right.text).error?.code, `${where}: the one error shape`);
  });
}

test('docs/api.md carries the route table as the app declares it', () => {
  const app = createApp({} as WebDeps, { host: '127.0.0.1', hostnames: [], bodyLimit: 1 << 20, tls: false, insecureHttp: false }, createLogger('silent'));
  const rows = app.table
    .all()
    .map((r) => `| ${r.method} | \`${r.path}\` | ${r.role} | ${r.api ? 'v1' : r.aliasOf ? 'alias' : 'page'} | ${r.summary.replace(/\|/g, '\\|')} |`);
  const table = ['| method | path | role | kind | what |', '|---|---|---|---|---|', ...rows].join('\n');
  const file = new URL('../../docs/api.md', import.meta.url);
  const doc = readFileSync(file, 'utf8');
  const re = /(<!-- route-table:start -->\n)[\s\S]*?(<!-- route-table:end -->)/;
  assert.match(doc, re, 'docs/api.md lacks the route-table markers');
  const fresh = doc.replace(re, `$1${table}\n$2`);
  if (process.env.UPDATE_DOCS === '1') writeFileSync(file, fresh);
  else assert.equal(doc, fresh, 'the route table in docs/api.md is stale: run this test with UPDATE_DOCS=1');
});
