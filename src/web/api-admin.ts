/**
 * API v1, accounts: who am I (with the session's CSRF token) and my own password (any user);
 * users, API tokens and the audit trail (admin). The auth room validates, hashes and audits these
 * itself (its UsageErrors become 400 answers with its words).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { TokenRecord, UserRecord } from '../auth/types.ts';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { Audit, commonErrors, json, jsonBody, Me, Ok, OwnPasswordBody, page, PageQuery, PasswordBody, Token, TokenBody, TokenParam, User, UserBody, UserParam, writeErrors } from './schemas.ts';
import { who } from './scope.ts';

const V1 = '/api/v1';
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const userView = (u: Omit<UserRecord, 'passwordHash'>) => ({ id: u.id, name: u.name, role: u.role, scope: u.scope, created_at: iso(u.createdAt)!, password_changed_at: iso(u.passwordChangedAt)! });
const tokenView = (t: Omit<TokenRecord, 'hash'>) => ({ id: t.id, name: t.name, user_id: t.userId, role: t.role, scope: t.scope, created_at: iso(t.createdAt)!, expires_at: iso(t.expiresAt), revoked_at: iso(t.revokedAt), last_used_at: iso(t.lastUsedAt) });

export function registerAdmin(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  const by = (c: Context<WebEnv>) => ({ principal: who(c), address: c.get('address') });

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/me`, summary: 'Who is asking (and, for a session, its CSRF token)', responses: { 200: json(Me), ...commonErrors } })), (c) => {
    const p = who(c);
    return c.json({ actor: p.actor, name: p.name, kind: p.kind, role: p.role, scope: p.scope, ...(p.csrf ? { csrf: p.csrf } : {}) }, 200);
  });

  // A user's own reading settings for the console (the /me page's form does the same).
  const Prefs = z.object({ lang: z.enum(['en', 'ja']).nullable(), zone: z.string().max(64).nullable() }).openapi('Prefs');
  const PrefsBody = z.object({ lang: z.enum(['en', 'ja']).nullable().optional(), zone: z.string().min(1).max(64).nullable().optional() }).strict().openapi('PrefsRequest');
  app.openapi(table.api('viewer', createRoute({ method: 'patch', path: `${V1}/me`, summary: 'Set my language (en, ja) and time zone (IANA; null clears)', request: jsonBody(PrefsBody), responses: { 200: json(Prefs), ...writeErrors } })), async (c) => {
    const p = who(c);
    if (p.userId === null) return problem(c, 403, 'forbidden', `${p.actor} is not a user and has no settings`);
    await deps.auth.setPrefs(p, c.req.valid('json'), c.get('address'));
    return c.json((await deps.auth.prefs(p)) ?? { lang: null, zone: null }, 200);
  });

  app.openapi(table.api('viewer', createRoute({ method: 'post', path: `${V1}/me/password`, summary: 'Change my own password (ends my other sessions)', request: jsonBody(OwnPasswordBody), responses: { 200: json(Ok), ...writeErrors } })), async (c) => {
    const p = who(c);
    if (p.userId === null) return problem(c, 403, 'forbidden', `${p.actor} is not a user and has no password`);
    const b = c.req.valid('json');
    if (!(await deps.auth.changeOwnPassword(p, b.old_password, b.new_password, c.get('address')))) return problem(c, 403, 'forbidden', 'the old password is wrong', 'old_password');
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(table.api('admin', createRoute({ method: 'get', path: `${V1}/users`, summary: 'Every user', responses: { 200: json(z.array(User)), ...commonErrors } })), async (c) => c.json((await deps.auth.users()).map(userView), 200));

  app.openapi(table.api('admin', createRoute({ method: 'post', path: `${V1}/users`, summary: 'Add a user', request: jsonBody(UserBody), responses: { 201: json(User, 'created'), ...writeErrors } })), async (c) => {
    const b = c.req.valid('json');
    const u = await deps.auth.addUser(by(c), { name: b.name, role: b.role, scope: b.scope ?? null, password: b.password });
    return c.json(userView(u), 201);
  });

  app.openapi(table.api('admin', createRoute({ method: 'delete', path: `${V1}/users/{name}`, summary: 'Remove a user with their sessions and tokens', request: { params: UserParam }, responses: { 200: json(Ok), ...writeErrors } })), async (c) => {
    const { name } = c.req.valid('param');
    return (await deps.auth.removeUser(by(c), name)) ? c.json({ ok: true as const }, 200) : problem(c, 404, 'not_found', `no user "${name}"`);
  });

  app.openapi(table.api('admin', createRoute({ method: 'put', path: `${V1}/users/{name}/password`, summary: 'Set a user\'s password (ends their sessions)', request: { params: UserParam, ...jsonBody(PasswordBody) }, responses: { 200: json(Ok), ...writeErrors } })), async (c) => {
    const { name } = c.req.valid('param');
    if (!(await deps.auth.users()).some((u) => u.name === name)) return problem(c, 404, 'not_found', `no user "${name}"`);
    // An admin setting their own password keeps the session they are using.
    const p = who(c);
    await deps.auth.setPassword(by(c), name, c.req.valid('json').password, p.name === name ? p.sessionHash : undefined);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(table.api('admin', createRoute({ method: 'get', path: `${V1}/tokens`, summary: 'Every API token (never the token itself)', responses: { 200: json(z.array(Token)), ...commonErrors } })), async (c) => c.json((await deps.auth.tokens()).map(tokenView), 200));

  app.openapi(
    table.api('admin', createRoute({ method: 'post', path: `${V1}/tokens`, summary: 'Create a token; the answer is the only time it is shown', request: jsonBody(TokenBody), responses: { 201: json(z.object({ token: z.string(), record: Token }), 'created'), ...writeErrors } })),
    async (c) => {
      const b = c.req.valid('json');
      const r = await deps.auth.createToken(by(c), { name: b.name, role: b.role, ...(b.user !== undefined ? { user: b.user } : {}), scope: b.scope ?? null, expiresAt: b.expires_in_seconds === undefined ? null : Date.now() + b.expires_in_seconds * 1000 });
      return c.json({ token: r.token, record: tokenView(r.record) }, 201);
    },
  );

  app.openapi(table.api('admin', createRoute({ method: 'delete', path: `${V1}/tokens/{id}`, summary: 'Revoke a token (by id or name)', request: { params: TokenParam }, responses: { 200: json(Ok), ...writeErrors } })), async (c) => {
    const { id } = c.req.valid('param');
    return (await deps.auth.revokeToken(by(c), id)) ? c.json({ ok: true as const }, 200) : problem(c, 404, 'not_found', `no token "${id}" that is not revoked`);
  });

  app.openapi(table.api('admin', createRoute({ method: 'get', path: `${V1}/audit`, summary: 'The audit trail, newest first', request: { query: PageQuery }, responses: { 200: json(page(Audit, 'AuditPage')), ...commonErrors } })), async (c) => {
    const { limit, cursor } = c.req.valid('query');
    const rows = await deps.auth.auditTrail({ limit: limit + 1, ...(cursor !== undefined ? { before: Number(cursor) } : {}) });
    const items = rows.slice(0, limit).map((a) => ({ id: a.id, at: iso(a.at)!, actor: a.actor, address: a.address, action: a.action, subject: a.subject, detail: a.detail }));
    return c.json({ items, next_cursor: rows.length > limit ? String(items[items.length - 1]!.id) : null }, 200);
  });
}
