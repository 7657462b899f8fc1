/**
 * The middleware every request passes through, in this order: security headers, the Host check
 * (DNS rebinding), the declared body size, who is asking (session cookie or bearer token), then
 * the route policy: the matched route's declaration in the route table (none: refused), its role,
 * and for unsafe methods the origin, the content type, the body limit and the CSRF token.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { bodyLimit } from 'hono/body-limit';
import { matchedRoutes } from 'hono/route';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Logger } from '../core/log.ts';
import { allows, type Principal } from '../auth/types.ts';
import { problem, UNSAFE, type RouteRule, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps, WebSettings } from './deps.ts';

export const SESSION_COOKIE = 'mamoru_session';
export const LOGIN_CSRF_COOKIE = 'mamoru_login_csrf';
export const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

type MW = MiddlewareHandler<WebEnv>;

/** Compares secrets in constant time (for equal lengths; the length itself is not secret here). */
export function sameSecret(given: string, wanted: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The peer's address as the socket has it (a proxy's X-Forwarded-For is never believed). */
export function peerAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown'; // app.request() in a unit test has no socket
  }
}

export const securityHeaders: MW = async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set('Content-Security-Policy', CSP);
  h.set('X-Content-Type-Options', 'nosniff');
  // same-origin, not no-referrer: under no-referrer a browser's own form comes with `Origin: null`,
  // and to a plain-HTTP LAN address Chromium sends no Sec-Fetch-Site to vouch for it, so every
  // login there was refused. Other sites still get no Referer.
  h.set('Referrer-Policy', 'same-origin');
  h.set('X-Frame-Options', 'DENY');
  // Pages carry CSRF tokens and the API carries state: nothing but the style sheet is cached.
  if (!c.req.path.startsWith('/static/')) h.set('Cache-Control', 'no-store');
};

/** The Host header must name this console (else a DNS-rebinding page could talk to it as itself). */
export function hostCheck(settings: WebSettings, port: () => number): MW {
  const bracket = (n: string) => (n.split(':').length > 2 && !n.startsWith('[') ? `[${n}]` : n);
  // An unspecified bind address (0.0.0.0, ::) is no name: such a console is reached by web.hostnames.
  const bound = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : bracket(settings.host);
  const names = new Set<string>();
  /** `name:port` entries of web.hostnames: that name with that port only (a proxy's public port). */
  const exact = new Set<string>();
  for (const n of [bound, 'localhost', '127.0.0.1', '[::1]', ...settings.hostnames.map(bracket)].map((x) => x.toLowerCase())) {
    if (/^(\[[^\]]+\]|[^:]+):\d{1,5}$/.test(n)) exact.add(n);
    else names.add(n);
  }
  return async (c, next) => {
    const host = (c.req.header('host') ?? '').toLowerCase();
    const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(host);
    // A name without a port is what a proxy in front of the console passes on; the name is what matters.
    const known = m !== null && (exact.has(host) || (names.has(m[1]!) && (m[2] === undefined || Number(m[2]) === port())));
    if (!known) return problem(c, 421, 'misdirected', `this console does not answer to Host "${host.slice(0, 100)}"; add the name to web.hostnames in the config if it is yours`);
    await next();
  };
}

/** A declared body larger than the limit is refused before anything reads it. */
export function declaredBodyLimit(limit: number): MW {
  return async (c, next) => {
    const len = c.req.header('content-length');
    if (len !== undefined && (!/^\d{1,15}$/.test(len) || Number(len) > limit)) return problem(c, 413, 'too_large', `the request body is larger than ${limit} bytes (web.body_limit)`);
    await next();
  };
}

/** Reads credentials; refuses nothing (public routes ignore them, the policy decides). */
export function authenticate(deps: WebDeps, log: Logger): MW {
  return async (c, next) => {
    c.set('address', peerAddress(c));
    let principal: Principal | undefined;
    let bad = false;
    const authz = c.req.header('authorization');
    try {
      if (authz !== undefined) {
        const token = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authz)?.[1];
        const ingest = deps.ingestToken();
        if (token !== undefined && ingest !== undefined && sameSecret(token, ingest)) principal = { kind: 'token', actor: 'token:ingest.token_secret', name: 'ingest.token_secret', role: 'ingest', scope: null, userId: null };
        else if (token !== undefined) principal = await deps.auth.token(token);
        bad = principal === undefined;
      } else {
        const id = getCookie(c, SESSION_COOKIE);
        if (id !== undefined) {
          principal = id.length <= 200 ? await deps.auth.session(id) : undefined;
          bad = principal === undefined;
        }
      }
    } catch (err) {
      log.error({ err }, 'cannot check credentials');
      return problem(c, 503, 'unavailable', 'credentials cannot be checked right now; try again');
    }
    c.set('principal', principal);
    c.set('badCredentials', bad);
    await next();
  };
}

const mediaType = (c: Context) => (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();

/** The origin this request was served at, from the (already checked) Host header. */
function servedOrigins(c: Context, settings: WebSettings): string[] {
  const host = c.req.header('host') ?? '';
  const own = `${settings.tls ? 'https' : 'http'}://${host}`.toLowerCase();
  return settings.insecureHttp ? [own, `https://${host}`.toLowerCase()] : [own];
}

function unauthenticated(c: Context, rule: RouteRule, bad: boolean): Response {
  const html = rule.method === 'GET' && !rule.path.startsWith('/api/') && (c.req.header('accept') ?? '').includes('text/html');
  if (html) return c.redirect('/login', 303);
  c.header('WWW-Authenticate', bad ? 'Bearer error="invalid_token"' : 'Bearer');
  return problem(c, 401, 'unauthenticated', bad ? 'the session or token is unknown, expired or revoked: log in again (POST /login) or bring a valid token' : 'log in (POST /login) or bring a token (Authorization: Bearer TOKEN)');
}

/**
 * The route policy. `handlers` are the app's own middleware functions: every other matched
 * handler belongs to a route, and that route must be declared.
 */
export function policy(table: RouteTable, settings: WebSettings, handlers: ReadonlySet<unknown>, log: Logger): MW {
  return async (c, next) => {
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const route = matchedRoutes(c).find((r) => !handlers.has(r.handler) && (r.method === method || r.method === 'ALL'));
    if (!route) return next(); // nothing answers here: the 404
    const rule = table.find(route.method === 'ALL' ? '*' : method, route.path);
    if (!rule) {
      log.error({ method, path: route.path }, `route has no access rule: ${method} ${route.path} is refused until it is declared in the route table`);
      return problem(c, 500, 'internal', 'route has no access rule');
    }
    c.set('rule', rule);
    const unsafe = UNSAFE.has(method);
    if (unsafe) {
      const origin = c.req.header('origin');
      const site = c.req.header('sec-fetch-site');
      // A browser may still send `Origin: null` with its own forms (a page kept from before, under
      // the old no-referrer policy); then only its own word that the request comes from this
      // origin lets it pass.
      const opaqueButSameOrigin = origin === 'null' && site === 'same-origin';
      if (origin !== undefined && !opaqueButSameOrigin && !servedOrigins(c, settings).includes(origin.toLowerCase())) return problem(c, 403, 'forbidden', `requests from ${origin.slice(0, 100)} are refused: only pages of this console may change anything`);
      if (site === 'cross-site' || site === 'same-site') return problem(c, 403, 'forbidden', 'cross-site requests are refused: only pages of this console may change anything');
    }
    const principal = c.get('principal');
    if (rule.role !== 'public') {
      if (!principal) return unauthenticated(c, rule, c.get('badCredentials'));
      if (!allows(principal.role, rule.role)) return problem(c, 403, 'forbidden', `this needs the ${rule.role} role; ${principal.actor} has ${principal.role}`);
    }
    if (!unsafe) return next();
    const type = mediaType(c);
    const form = type === 'application/x-www-form-urlencoded';
    const hasBody = c.req.header('content-length') !== undefined ? c.req.header('content-length') !== '0' : c.req.header('transfer-encoding') !== undefined;
    const typeOk = type === 'application/json' || (rule.body === 'form-or-json' && form) || (method === 'DELETE' && type === '' && !hasBody);
    if (!typeOk) return problem(c, 415, 'unsupported_media_type', rule.body === 'form-or-json' ? 'send application/json or a form (application/x-www-form-urlencoded)' : 'send the body as JSON with Content-Type: application/json');
    // A body without a length (chunked) is read here, bounded, before anyone parses it.
    const limited = bodyLimit({ maxSize: settings.bodyLimit, onError: (cc) => problem(cc, 413, 'too_large', `the request body is larger than ${settings.bodyLimit} bytes (web.body_limit)`) });
    return limited(c, async () => {
      const refusal = await csrfRefusal(c, rule, principal, form);
      if (refusal) return void (c.res = refusal);
      await next();
    });
  };
}

/** Why an unsafe request fails the CSRF check, or undefined when it passes. */
async function csrfRefusal(c: Context, rule: RouteRule, principal: Principal | undefined, form: boolean): Promise<Response | undefined> {
  if (rule.csrf === 'login') {
    // No session yet: a form proves it came from our login page by echoing the login cookie (double submit).
    if (!form) return undefined; // JSON cannot be sent cross-site without a preflight we never grant
    const wanted = getCookie(c, LOGIN_CSRF_COOKIE);
    const given = (await c.req.parseBody())['csrf'];
    return wanted && typeof given === 'string' && sameSecret(given, wanted) ? undefined : problem(c, 403, 'forbidden', 'the login form is stale or did not come from this console: reload /login and try again', 'csrf');
  }
  if (principal?.kind !== 'session') return undefined; // bearer tokens are never sent by a browser on its own
  const given = form ? (await c.req.parseBody())['csrf'] : c.req.header('x-csrf-token');
  if (typeof given === 'string' && principal.csrf && sameSecret(given, principal.csrf)) return undefined;
  return problem(c, 403, 'forbidden', form ? 'the form is stale: reload the page and try again' : 'a session request that changes something must bring the X-CSRF-Token header (GET /api/v1/me gives it)', 'csrf');
}
