/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The routes outside API v1: the overview, check and target pages (their own files register
 * them), the reader's settings, login and logout, the static files (style sheet, scripts, uPlot
 * from its npm package), /healthz and /metrics; and the live event stream. Each is declared in
 * the route table right where it is registered.
 */
import { randomBytes } from 'node:crypto';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { deleteCookie, setCookie } from 'hono/cookie';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps, WebSettings } from './deps.ts';
import { LOGIN_CSRF_COOKIE, sameSecret, SESSION_COOKIE } from './guard.ts';
import { registerCheckPages } from './console-check-routes.tsx';
import { registerOverview } from './overview-routes.tsx';
import { LoginPage, MePage, STYLE } from './page.tsx';
import { readerOf } from './reader.ts';
import { staticFile, STATIC_FILES } from './static/files.ts';
import { targetFilter, who } from './scope.ts';

const isLoopbackPeer = (a: string) => a === '::1' || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);

export function registerPages(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps, settings: WebSettings): void {
  const cookie = { httpOnly: true, sameSite: 'Strict', secure: settings.tls } as const;

  const loginForm = (c: Context<WebEnv>, status: 200 | 401 | 403 | 429, error?: string) => {
    const csrf = randomBytes(24).toString('base64url');
    setCookie(c, LOGIN_CSRF_COOKIE, csrf, { ...cookie, path: '/login', maxAge: 3600 });
    return c.html('<!doctype html>' + String(<LoginPage csrf={csrf} error={error} />), status);
  };

  registerOverview(app, table, deps);
  registerCheckPages(app, table, deps);

  const mePage = async (c: Context<WebEnv>, saved: boolean, error?: string) => {
    const prefs = await deps.auth.prefs(who(c));
    return c.html('<!doctype html>' + String(<MePage reader={readerOf(c)} prefs={prefs} saved={saved} error={error} />), error ? 400 : 200);
  };
  table.add({ method: 'GET', path: '/me', role: 'viewer', api: false, summary: 'My settings (HTML): language and time zone' });
  app.get('/me', (c) => mePage(c, c.req.query('saved') === '1'));
  table.add({ method: 'POST', path: '/me', role: 'viewer', body: 'form-or-json', api: false, summary: 'Save my language and time zone (form: 303 back to /me)' });
  app.post('/me', async (c) => {
    const p = who(c);
    // A token has no settings of its own: the page says so.
    if (p.userId === null) return c.redirect('/me', 303);
    const body = await c.req.parseBody();
    const lang = body.lang === 'en' || body.lang === 'ja' ? body.lang : null;
    const zone = typeof body.zone === 'string' && body.zone.trim() ? body.zone.trim().slice(0, 64) : null;
    try {
      await deps.auth.setPrefs(p, { lang, zone }, c.get('address'));
    } catch (e) {
      return mePage(c, false, (e as Error).message);
    }
    return c.redirect('/me?saved=1', 303);
  });

  table.add({ method: 'GET', path: '/api/v1/events', role: 'viewer', api: false, summary: 'Live news as server-sent events (check, incident, ban, delivery), limited to the reader\'s scope' });
  app.get('/api/v1/events', (c) => {
    const p = who(c);
    // A stream answers only who asks for one (EventSource does); anything else would wait forever.
    if (!(c.req.header('accept') ?? '').includes('text/event-stream')) return problem(c, 400, 'invalid', 'this is a stream of server-sent events: ask with Accept: text/event-stream (EventSource does)');
    const stream = deps.live.open(p, targetFilter(c, deps), c.req.raw.signal);
    if (!stream) return problem(c, 429, 'rate_limited', 'too many open event streams for you: close another tab first');
    return new Response(stream, { status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' } });
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
  for (const name of Object.keys(STATIC_FILES)) {
    table.add({ method: 'GET', path: `/static/${name}`, role: 'public', api: false, summary: `${STATIC_FILES[name]!.summary} (no data)` });
    app.get(`/static/${name}`, (c) => {
      const f = staticFile(name);
      return c.body(f.body, 200, { 'content-type': f.type, 'cache-control': 'max-age=3600' });
    });
  }

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
