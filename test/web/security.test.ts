/**
 * The console against what the issue showed: the cross-site `fetch` that acknowledged incidents,
 * bodies and headers without limits, clear text on other addresses; and what a person sees: the
 * login form, the cookie's flags over HTTP and HTTPS, logout, and a viewer limited to one client
 * who sees nothing of another's.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { mamoruProcess } from '../helpers/cli.ts';
import { ADMIN_PASSWORD, login, makeToken, makeUser, startConsole, withSession, type Console, type Session } from './console.ts';

let con: Console;
let admin: Session;
let operator: string;
let ingest: string;
const incidents: Record<string, number> = {};

interface Answer {
  status: number;
  text: string;
  headers: http.IncomingHttpHeaders;
}

function call(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer, extra: https.RequestOptions = {}): Promise<Answer> {
  const u = new URL(base);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({ host: u.hostname, port: u.port, method, path, headers: { host: u.host, ...headers }, ...extra }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Sends raw request bytes (then an optional body, chunked or not, as fast as the server takes it)
 * and returns the status line of the answer. A server that answers early and closes may reset
 * the connection under the writer: the answer read before that counts.
 */
function firstLine(head: string, body?: Buffer, chunked = false, base = con.url): Promise<string> {
  const u = new URL(base);
  return new Promise<string>((resolve, reject) => {
    let got = '';
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.write(head);
      if (!body) return;
      for (let i = 0; i < body.length && !s.destroyed; i += 64 * 1024) {
        const part = body.subarray(i, i + 64 * 1024);
        s.write(chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part);
      }
      if (chunked && !s.destroyed) s.write('0\r\n\r\n');
    });
    s.on('data', (d) => {
      got += d;
      if (got.includes('\r\n')) {
        resolve(got.split('\r\n')[0]!);
        s.destroy();
      }
    });
    s.on('error', (e) => (got.includes('\r\n') ? resolve(got.split('\r\n')[0]!) : reject(e)));
    s.on('close', () => reject(new Error(`closed without an answer: ${got}`)));
  });
}

const alert = (instance: string, name: string) => JSON.stringify({ version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: name, instance: `${instance}:9100`, severity: 'critical' }, annotations: { summary: `${name} on ${instance}` } }] });

before(async () => {
  con = await startConsole({ extraConfig: 'guard: { firewall: { type: dry-run } }\n' });
  admin = await login(con.url, 'admin', ADMIN_PASSWORD);
  operator = await makeToken(con.url, admin, { name: 'ops', role: 'operator', user: 'admin' });
  ingest = await makeToken(con.url, admin, { name: 'am', role: 'ingest' });
  for (const t of ['alpha', 'beta']) {
    const r = await call(con.url, 'POST', '/api/v1/ingest/alertmanager', { authorization: `Bearer ${ingest}`, 'content-type': 'application/json' }, alert(t, 'DiskFull'));
    assert.equal(r.status, 200, r.text);
    incidents[t] = (JSON.parse(r.text) as { incidents: number[] }).incidents[0]!;
  }
});
after(() => con?.stop());

async function timeline(id: number): Promise<string[]> {
  const r = await call(con.url, 'GET', `/api/v1/incidents/${id}`, { authorization: `Bearer ${operator}` });
  return (JSON.parse(r.text) as { timeline: { kind: string; text: string }[] }).timeline.map((e) => `${e.kind}: ${e.text}`);
}

test("the issue's cross-site fetch (text/plain, no preflight) changes nothing", async () => {
  const id = incidents.beta!;
  const before = await timeline(id);
  // The page's fetch without credentials: refused.
  for (const path of [`/api/incidents/${id}/ack`, `/api/v1/incidents/${id}/ack`, '/api/approvals/x/approve']) {
    const r = await call(con.url, 'POST', path, { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }, '{"by":"x"}');
    assert.equal(r.status, 403, `${path}: ${r.text}`);
    const r2 = await call(con.url, 'POST', path, { 'content-type': 'text/plain;charset=UTF-8' }, '{"by":"x"}');
    assert.equal(r2.status, 401, `${path} with no Origin and no credentials: ${r2.text}`);
  }
  // The same fetch from the browser of a logged-in operator (SameSite=Strict keeps the cookie
  // home, but even when it is sent): the foreign Origin, the text/plain body and the missing
  // CSRF token each refuse it.
  for (const headers of <Record<string, string>[]>[
    { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://evil.example', cookie: admin.cookie },
    { 'content-type': 'text/plain;charset=UTF-8', cookie: admin.cookie, 'x-csrf-token': admin.csrf },
    { 'content-type': 'application/json', cookie: admin.cookie },
    { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': 'guessed' },
  ]) {
    const r = await call(con.url, 'POST', `/api/incidents/${id}/ack`, headers, '{"by":"x","comment":"attacker words"}');
    assert.ok(r.status === 403 || r.status === 415, `${JSON.stringify(headers)}: ${r.status} ${r.text}`);
  }
  assert.deepEqual(await timeline(id), before, 'the timeline is unchanged');
  assert.ok(!(await timeline(id)).some((l) => l.includes('attacker words')));
  // The console's own page can: session + CSRF header + JSON.
  const ok = await fetch(`${con.url}/api/v1/incidents/${id}/ack`, withSession(admin, { method: 'POST', json: { comment: 'taking it' } }));
  assert.equal(ok.status, 200, await ok.text());
  assert.ok((await timeline(id)).some((l) => l.startsWith('acknowledged') && l.includes('admin') && l.includes('taking it')), (await timeline(id)).join('\n'));
  const audit = (await (await fetch(`${con.url}/api/v1/audit?limit=50`, withSession(admin))).json()) as { items: { actor: string; action: string; subject: string; address: string }[] };
  assert.ok(audit.items.some((a) => a.action === 'ack' && a.subject === `incident:${id}` && a.actor === 'user:admin' && a.address === '127.0.0.1'), JSON.stringify(audit.items.slice(0, 5)));
});

test('a body over the limit is refused before it is read (2 MiB → 413, also chunked, also unauthenticated)', async () => {
  const big = Buffer.alloc(2 * 1024 * 1024, 'a');
  const host = new URL(con.url).host;
  const head = (path: string, len?: number) => `POST ${path} HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${operator}\r\nContent-Type: application/json\r\n${len === undefined ? 'Transfer-Encoding: chunked' : `Content-Length: ${len}`}\r\n\r\n`;
  assert.match(await firstLine(head(`/api/v1/incidents/${incidents.alpha}/comments`, big.length), big), /^HTTP\/1\.1 413/);
  // Without a length (chunked): counted while read, refused past the limit.
  assert.match(await firstLine(head(`/api/v1/incidents/${incidents.alpha}/comments`), big, true), /^HTTP\/1\.1 413/);
  // And unauthenticated, the issue's 50 MB: refused from the declared length, nothing read.
  assert.match(await firstLine(`POST /api/incidents/${incidents.alpha}/ack HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${50 * 1024 * 1024}\r\n\r\n`), /^HTTP\/1\.1 413/);
  // A body just under the limit still works.
  const fine = await fetch(`${con.url}/api/v1/incidents/${incidents.alpha}/comments`, { method: 'POST', headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'x'.repeat(900) }) });
  assert.equal(fine.status, 200, await fine.text());
});

test('the daemon process keeps its memory under a flood of oversized bodies (RSS measured)', async () => {
  // A separate `mamoru start`, so the figure is the server's alone (the issue saw 139 → 237 MB for one 50 MB body).
  const cfg = join(con.dir, 'rss.yaml');
  writeFileSync(cfg, `store: { type: sqlite, path: ${join(con.dir, 'rss', 'mamoru.db')} }\nweb: { port: 0 }\nlog: { level: info }\ntargets: []\n`);
  const run = mamoruProcess(['start', '-c', cfg], { env: { MAMORU_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  try {
    const [, url] = await run.waitFor(/web UI and API on (http:\/\/127\.0\.0\.1:\d+)/);
    await run.waitFor(/created the first user/);
    const s = await login(url!, 'admin', ADMIN_PASSWORD);
    const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${run.child.pid}/status`, 'utf8'))![1]) / 1024;
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    const huge = Buffer.alloc(50 * 1024 * 1024, 'a');
    const host = new URL(url!).host;
    const head = `POST /api/v1/incidents/1/ack HTTP/1.1\r\nHost: ${host}\r\nCookie: ${s.cookie}\r\nX-CSRF-Token: ${s.csrf}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const flood = async (n: number) => {
      for (let i = 0; i < n; i++) {
        assert.match(await firstLine(head, big, true, url), /^HTTP\/1\.1 413/);
        assert.match(await firstLine(`POST /api/incidents/1/ack HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json\r\nContent-Length: ${huge.length}\r\n\r\n`, undefined, false, url), /^HTTP\/1\.1 413/);
      }
    };
    await flood(5); // warm up: the first requests load code
    const before = rss();
    await flood(20);
    // The issue's 50 MB, really sent (chunked, by a logged-in session): read up to the limit, no further.
    for (let i = 0; i < 3; i++) assert.match(await firstLine(head, huge, true, url), /^HTTP\/1\.1 413/);
    const after = rss();
    console.log(`# daemon RSS ${before.toFixed(0)} MiB → ${after.toFixed(0)} MiB after 20 chunked 2 MiB bodies, 20 declared and 3 sent 50 MB bodies`);
    // One 50 MB body parsed whole costs more than 50 MB (the issue: 139 → 237 MB); what is left is garbage not yet collected.
    assert.ok(after - before < 40, `RSS grew by ${(after - before).toFixed(1)} MiB`);
  } finally {
    run.child.kill('SIGTERM');
    await run.exited;
  }
});

test('a 64 KiB header is refused by the server (431)', async () => {
  const status = await firstLine(`GET /healthz HTTP/1.1\r\nHost: ${new URL(con.url).host}\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
  assert.match(status, /^HTTP\/1\.1 431/);
});

test('every answer carries the security headers; the API is not cached', async () => {
  for (const path of ['/healthz', '/login', '/api/v1/status', '/nothing-here']) {
    const r = await call(con.url, 'GET', path);
    assert.equal(r.headers['content-security-policy'], "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'", path);
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.equal(r.headers['referrer-policy'], 'same-origin');
    assert.equal(r.headers['cache-control'], 'no-store');
  }
  const nothing = await call(con.url, 'GET', '/nothing-here');
  assert.deepEqual(JSON.parse(nothing.text), { error: { code: 'not_found', message: 'nothing at /nothing-here' } });
});

test('login form, cookie flags, the page, logout', async () => {
  const page = await call(con.url, 'GET', '/', { accept: 'text/html' });
  assert.equal(page.status, 303);
  assert.equal(page.headers.location, '/login');
  const form = await call(con.url, 'GET', '/login');
  assert.equal(form.status, 200);
  assert.doesNotMatch(form.text, /<script|<style|style=/, 'no inline script or style (the CSP forbids them)');
  const loginCookie = /mamoru_login_csrf=([^;]+)/.exec(String(form.headers['set-cookie']))![1]!;
  assert.match(String(form.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  const field = /name="csrf" value="([^"]+)"/.exec(form.text)![1]!;
  assert.equal(field, loginCookie);
  const post = (body: string, cookie = `mamoru_login_csrf=${loginCookie}`) => call(con.url, 'POST', '/login', { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: con.url }, body);
  const wrong = await post(`name=admin&password=wrong&csrf=${field}`);
  assert.equal(wrong.status, 401);
  assert.match(wrong.text, /Wrong name or password/);
  assert.equal((await post(`name=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}&csrf=${field}`, 'mamoru_login_csrf=other')).status, 403, 'the form must echo the login cookie');
  const ok = await post(`name=admin&password=${encodeURIComponent(ADMIN_PASSWORD)}&csrf=${field}`);
  assert.equal(ok.status, 303);
  assert.equal(ok.headers.location, '/');
  const set = (ok.headers['set-cookie'] ?? []).find((c) => c.startsWith('mamoru_session='))!;
  assert.match(set, /; HttpOnly/);
  assert.match(set, /; SameSite=Strict/);
  assert.match(set, /; Path=\//);
  assert.doesNotMatch(set, /Secure/, 'no Secure flag over plain HTTP (the browser would drop the cookie)');
  const cookie = set.split(';')[0]!;
  const home = await call(con.url, 'GET', '/', { cookie });
  assert.equal(home.status, 200);
  // Scripts only from /static (the CSP allows nothing inline): no inline script, style element or attribute.
  assert.doesNotMatch(home.text, /<script(?![^>]*\ssrc="\/static\/)|<style|style=/);
  const csrf = /name="csrf" value="([^"]+)"/.exec(home.text)![1]!;
  assert.equal((await call(con.url, 'POST', '/logout', { cookie, 'content-type': 'application/x-www-form-urlencoded' }, 'csrf=wrong')).status, 403);
  const out = await call(con.url, 'POST', '/logout', { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: con.url }, `csrf=${csrf}`);
  assert.equal(out.status, 303);
  assert.equal(out.headers.location, '/login');
  assert.match(String(out.headers['set-cookie']), /mamoru_session=;/);
  assert.equal((await call(con.url, 'GET', '/api/v1/me', { cookie })).status, 401, 'the session is gone on the server, not only in the browser');
});

test('a viewer limited to one client sees nothing of another client (lists and by id)', async () => {
  await makeUser(con.url, admin, { name: 'client-a', role: 'viewer', password: 'client a password', scope: { targets: [], tags: ['client-a'] } });
  const a = await login(con.url, 'client-a', 'client a password');
  const get = async (path: string) => {
    const r = await fetch(`${con.url}${path}`, withSession(a));
    return { status: r.status, body: r.status === 200 ? ((await r.json()) as any) : undefined };
  };
  const everything = JSON.stringify([
    (await get('/api/v1/status')).body,
    (await get('/api/v1/targets')).body,
    (await get('/api/v1/checks')).body,
    (await get('/api/v1/incidents')).body,
    (await get('/api/v1/approvals')).body,
    (await get('/api/v1/notifications')).body,
    (await get('/api/status')).body,
  ]);
  assert.match(everything, /alpha/, 'the own client is there');
  assert.doesNotMatch(everything, /beta/, 'nothing of the other client');
  assert.equal((await get('/api/v1/status')).body.checks.length, 1);
  assert.deepEqual((await get('/api/v1/bans')).body, [], 'bans belong to no one client: none for a limited viewer');
  for (const path of [`/api/v1/incidents/${incidents.beta}`, `/api/incidents/${incidents.beta}`, '/api/v1/checks/beta/up', '/api/v1/checks/beta/up/results', '/api/v1/checks/beta/up/rollups', '/api/v1/targets/beta', '/api/checks/beta/up'])
    assert.equal((await get(path)).status, 404, path);
  assert.equal((await get(`/api/v1/incidents/${incidents.alpha}`)).status, 200);
  const page = await fetch(`${con.url}/`, withSession(a));
  const html = await page.text();
  assert.match(html, /alpha/);
  assert.doesNotMatch(html, /beta/);
  // A viewer acts on nothing.
  const ack = await fetch(`${con.url}/api/v1/incidents/${incidents.alpha}/ack`, withSession(a, { method: 'POST', json: {} }));
  assert.equal(ack.status, 403);
});

test('HTTPS with the configured certificate; the session cookie is Secure; unreadable files are named', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-tls-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tls.key', '-out', 'tls.crt', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { cwd: dir, stdio: 'ignore' });
    const tls = await startConsole({ web: `tls: { cert_file: ${join(dir, 'tls.crt')}, key_file: ${join(dir, 'tls.key')} }` });
    try {
      assert.match(tls.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = execFileSync('cat', [join(dir, 'tls.crt')]);
      const r = await call(tls.url, 'POST', '/login', { 'content-type': 'application/json' }, JSON.stringify({ name: 'admin', password: ADMIN_PASSWORD }), { ca });
      assert.equal(r.status, 200, r.text);
      const set = (r.headers['set-cookie'] ?? []).find((c) => c.startsWith('mamoru_session='))!;
      assert.match(set, /; Secure/);
      assert.match(set, /; HttpOnly/);
      // An https page of the console is its own origin; http:// of the same host is not.
      const cookie = set.split(';')[0]!;
      const csrf = (JSON.parse(r.text) as { csrf: string }).csrf;
      const h = { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' };
      assert.equal((await call(tls.url, 'POST', '/api/v1/checks/alpha/up/run', { ...h, origin: tls.url }, '{}', { ca })).status, 200);
      assert.equal((await call(tls.url, 'POST', '/api/v1/checks/alpha/up/run', { ...h, origin: tls.url.replace('https', 'http') }, '{}', { ca })).status, 403);
      await assert.rejects(fetch(tls.url.replace('https', 'http') + '/healthz'), 'no clear text on the TLS port');
    } finally {
      await tls.stop();
    }
    await assert.rejects(startConsole({ web: `tls: { cert_file: ${join(dir, 'missing.crt')}, key_file: ${join(dir, 'tls.key')} }` }), (e: Error) => e.message.includes(join(dir, 'missing.crt')) && e.message.includes('web.tls.cert_file'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('plain HTTP on another address only with insecure_http, and then a warning at start', async () => {
  await assert.rejects(startConsole({ web: 'host: 0.0.0.0' }), /web\.tls|insecure_http/);
  const lines: string[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) });
  const open = await startConsole({ web: 'host: 0.0.0.0, insecure_http: true', log });
  try {
    assert.ok(lines.some((l) => /clear text/.test(l) && /insecure_http/.test(l)), lines.join(''));
    const port = new URL(open.url).port;
    assert.equal((await call(`http://127.0.0.1:${port}`, 'GET', '/healthz')).status, 200);
    assert.equal((await call(`http://127.0.0.1:${port}`, 'GET', '/healthz', { host: `evil.example:${port}` })).status, 421);
  } finally {
    await open.stop();
  }
});

test('Host: the configured names, loopback names and the bound address, with the console port or none', async () => {
  const { createApp } = await import('../../src/web/app.ts');
  const { createLogger } = await import('../../src/core/log.ts');
  const web = createApp({} as never, { host: '10.1.2.3', hostnames: ['console.example', 'proxy.example:8443', '2001:db8::7'], bodyLimit: 1 << 20, tls: true, insecureHttp: false }, createLogger('silent'));
  web.setPort(8484);
  const status = async (host: string) => (await web.app.request('/healthz', { headers: { host } })).status;
  for (const ok of ['console.example', 'console.example:8484', 'CONSOLE.example', 'proxy.example:8443', '10.1.2.3:8484', 'localhost:8484', '127.0.0.1', '[::1]:8484', '[2001:db8::7]:8484'])
    assert.equal(await status(ok), 200, ok);
  for (const bad of ['evil.example', 'evil.example:8484', 'console.example:9999', 'proxy.example', 'proxy.example:8484', 'console.example.evil.example', '127.0.0.1:1', '', 'console.example:8484@evil', '[::2]:8484'])
    assert.equal(await status(bad), 421, bad);
});
