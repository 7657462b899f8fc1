/**
 * The route table: every route the console answers is declared here once, with the role it needs
 * and how an unsafe request must come (JSON with the CSRF header, or a form). The policy
 * middleware (guard.ts) refuses any request whose route has no declaration, so a route added to
 * the app without one answers 500, never open. Also: the one error shape of every answer.
 */
import type { Context } from 'hono';
import type { Role } from '../auth/types.ts';
import type { Principal } from '../auth/types.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface RouteRule {
  method: Method;
  /** Hono's form (`/api/v1/incidents/:id`). */
  path: string;
  /** `public`: anyone (the handler may still check something, like /metrics). */
  role: 'public' | Role;
  /**
   * What an unsafe request's body is. `json` (default): `Content-Type: application/json` and, with
   * a session, the `X-CSRF-Token` header. `form-or-json`: a form must carry the CSRF token in its
   * `csrf` field (for /login the pre-session token of the `mamoru_login_csrf` cookie).
   */
  body?: 'json' | 'form-or-json';
  /** `login`: no session yet, a form brings the login cookie's token (double submit). */
  csrf?: 'session' | 'login';
  /** In the OpenAPI document (the API v1 routes) or not (pages, aliases, probes). */
  api: boolean;
  /** One line for the docs' route table. */
  summary: string;
  /** For aliases: the v1 route it stands for. */
  aliasOf?: string;
}

/** Hono's `:param` form of an OpenAPI `{param}` path. */
export const honoPath = (openApiPath: string) => openApiPath.replace(/\{([^}]+)\}/g, ':$1');

export class RouteTable {
  private readonly rules = new Map<string, RouteRule>();

  add(rule: RouteRule): void {
    const key = `${rule.method} ${rule.path}`;
    if (this.rules.has(key)) throw new Error(`route ${key} is declared twice`);
    this.rules.set(key, rule);
  }

  /** The declaration of a matched route; HEAD is answered by GET routes. */
  find(method: string, path: string): RouteRule | undefined {
    return this.rules.get(`${method === 'HEAD' ? 'GET' : method} ${path}`);
  }

  all(): RouteRule[] {
    return [...this.rules.values()];
  }

  /**
   * Declares an OpenAPI route (from `createRoute`) and returns it with its security and role
   * written in, so `app.openapi(table.api('operator', route), handler)` declares and registers in
   * one statement.
   */
  api<R extends { method: string; path: string; summary?: string; description?: string }>(role: 'public' | Role, route: R): R {
    const method = route.method.toUpperCase() as Method;
    this.add({ method, path: honoPath(route.path), role, api: true, summary: route.summary ?? '' });
    const who = role === 'public' ? 'Anyone (no credentials).' : `Role: ${role}${role === 'viewer' ? ' (limited to the viewer\'s scope)' : ''}.`;
    return {
      ...route,
      description: [route.description, who].filter(Boolean).join('\n\n'),
      ...(role === 'public' ? { security: [] } : { security: [{ bearer: [] }, { session: [] }] }),
    };
  }
}

/** What the middleware hands every route. */
export type WebEnv = {
  Variables: {
    /** Who is asking; undefined without (valid) credentials. */
    principal: Principal | undefined;
    /** Credentials were brought but are unknown, revoked or expired. */
    badCredentials: boolean;
    /** The peer's address (never X-Forwarded-For). */
    address: string;
    /** The declaration of the matched route. */
    rule: RouteRule;
  };
};

export type ErrorCode = 'unauthenticated' | 'forbidden' | 'not_found' | 'invalid' | 'conflict' | 'too_large' | 'unsupported_media_type' | 'misdirected' | 'rate_limited' | 'internal' | 'unavailable';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string };
}

/** The one error answer of the console: `{ error: { code, message, field? } }`. */
export function problem<S extends 400 | 401 | 403 | 404 | 409 | 413 | 415 | 421 | 429 | 500 | 503>(c: Context, status: S, code: ErrorCode, message: string, field?: string) {
  const body: ErrorBody = { error: { code, message, ...(field !== undefined ? { field } : {}) } };
  // Typed by its status, so an OpenAPI route's handler may return it for the errors it declares.
  return c.json(body, status);
}
