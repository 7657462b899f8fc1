/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The routes outside API v1: the status page, login and logout, the style sheet, /healthz and
 * /metrics. Each is declared in the route table right where it is registered.
 */
import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps, WebSettings } from './deps.ts';
import { LOGIN_CSRF_COOKIE, sameSecret, SESSION_COOKIE } from './guard.ts';
import { LoginPage, StatusPage, STYLE } from './page.tsx';
import { scopedStatus, who } from './scope.ts';

const isLoopbackPeer = (a: string) => a === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);

export function registerPages(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps, settings: WebSettings): void {
  const cookie = { httpOnly: true, sameSite: 'Strict', secure: settings.tls } as const;

  const loginForm = (c: Context<WebEnv>, status: 200 | 401 | 403 | 429, error?: string) => {
    const csrf = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { ...cookie, path: '/login', maxAge: 3600 });
    return c.html('<!doctype html>' + String(<LoginPage csrf={csrf} error={error} />), status);
  };

  table.add({ method: 'GET', path: '/', role: 'viewer', api: false, summary: 'The status page (HTML; without a session: 303 to /login)' });
  app.get('/', (c) => {
    const p = who(c);
    return c.html('<!doctype html>' + String(<StatusPage status={scopedStatus(c, deps)} user={{ name: p.name, role: p.role, csrf: p.csrf }} />));
  });

  table.add({ method: 'GET', path: '/login', role: 'public', api: false, summary: 'The login form (HTML)' });
  app.get('/login', (c) => loginForm(c, 200));

  table.add({ method: 'POST', path: '/login', role: 'public', body: 'form-or-json', csrf: 'login', api: false, summary: 'Log in: form (303 to /) or JSON ({ name, password } → { ok, csrf }); sets the session cookie' });
  app.post('/login', async (c) => {
    const form = (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded');
    const body: Record<string, unknown> = form ? await c.req.parseBody() : await c.req.json<Record<string, unknown>>().catch(() => ({}));
    const name = typeof body.name === 'string' ? body.name.slice(0, 64) : '';
    const password = typeof body.password === 'string' ? body.password.slice(0, 1024) : '';
    if (!name || !password) return form ? loginForm(c, 401, 'Give a name and a password.') : problem(c, 400, 'invalid', 'expected { "name": ..., "password": ... }', name ? 'password' : 'name');
    const r = await deps.auth.login(name, password, c.get('address'));
    if (!r.ok) {
      if (r.reason === 'limited') {
        c.header('Retry-After', String(r.retryAfterS ?? 60));
        return form ? loginForm(c, 429, 'Too many failed logins: wait and try again.') : problem(c, 429, 'rate_limited', 'too many failed logins: wait and try again');
      }
      return form ? loginForm(c, 401, 'Wrong name or password.') : problem(c, 401, 'unauthenticated', 'wrong name or password');
    }
    setCookie(c, SESSION_COOKIE, r.sessionId, { ...cookie, path: '/' });
    deleteCookie(c, LOGIN_CSRF_COOKIE, { path: '/login', secure: settings.tls });
    return form ? c.redirect('/', 303) : c.json({ ok: true, csrf: r.principal.csrf }, 200);
  });

  table.add({ method: 'POST', path: '/logout', role: 'viewer', body: 'form-or-json', api: false, summary: 'Log out: ends the session (form: 303 to /login)' });
  app.post('/logout', async (c) => {
    const p = who(c);
    if (p.kind !== 'session') return problem(c, 400, 'invalid', 'a token has no session to log out of; revoke it instead (DELETE /api/v1/tokens/{id})');
    await deps.auth.logout(p, c.get('address'));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: settings.tls });
    return (c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded') ? c.redirect('/login', 303) : c.json({ ok: true }, 200);
  });

  table.add({ method: 'GET', path: '/static/mamoru.css', role: 'public', api: false, summary: 'The style sheet (no data)' });
  app.get('/static/mamoru.css', (c) => c.body(STYLE, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'max-age=3600' }));

  // Browsers ask for it on every page; a 404 would be an error in their console.
  table.add({ method: 'GET', path: '/favicon.ico', role: 'public', api: false, summary: 'Nothing (204), so browsers stop asking' });
  app.get('/favicon.ico', (c) => c.body(null, 204));

  table.add({ method: 'GET', path: '/healthz', role: 'public', api: false, summary: 'Liveness: "ok", no data' });
  app.get('/healthz', (c) => c.text('ok'));

  table.add({ method: 'GET', path: '/metrics', role: 'public', api: false, summary: 'Prometheus metrics: the web.metrics_token_secret bearer when set, else loopback peers only' });
  app.get('/metrics', async (c) => {
    const wanted = deps.metricsToken();
    if (wanted !== undefined) {
      const given = /^Bearer (.+)$/.exec(c.req.header('authorization') ?? '')?.[1] ?? '';
      if (!sameSecret(given, wanted)) {
        c.header('WWW-Authenticate', 'Bearer');
        return problem(c, 401, 'unauthenticated', 'bring the metrics token (Authorization: Bearer TOKEN; web.metrics_token_secret)');
      }
    } else if (!isLoopbackPeer(c.get('address'))) {
      return problem(c, 403, 'forbidden', 'metrics are served to this machine only; set web.metrics_token_secret to let Prometheus in with a token');
    }
    return c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType });
  });
}
