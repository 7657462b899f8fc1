/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The admin pages' routes: the audit trail, and users and tokens with their forms. The auth room
 * checks names and passwords and writes the audit trail for these itself; its refusals (UsageError)
 * come back on the page, in its words.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Role, Scope } from '../auth/types.ts';
import { UsageError } from '../core/errors.ts';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import { AuditPage, UsersPage } from './console-admin.tsx';
import type { WebDeps } from './deps.ts';
import { back, fields, idOf, isForm, notFound, page, words, type C } from './pages-console-kit.tsx';
import { readerOf } from './reader.ts';
import { who } from './scope.ts';

const AUDIT_PAGE = 100;
const ROLES = new Set<Role>(['viewer', 'operator', 'admin', 'ingest']);

/** A scope from two comma lists; null when both are empty. */
function scopeOf(f: Record<string, string>): Scope {
  const list = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter(Boolean).slice(0, 100);
  const targets = list(f.targets);
  const tags = list(f.tags);
  return targets.length || tags.length ? { targets, tags } : null;
}

export function registerAdminPages(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  const by = (c: C) => ({ principal: who(c), address: c.get('address') });
  const usersPage = async (c: C, extra: { created?: { token: string; name: string }; error?: string } = {}, status: 200 | 201 | 400 = 200) => {
    const r = readerOf(c);
    const [users, tokens] = await Promise.all([deps.auth.users(), deps.auth.tokens()]);
    return page(c, 'users', words(r.lang)('Users and tokens', 'ユーザーとトークン'), <UsersPage c={c} r={r} users={users} tokens={tokens.slice(-500)} {...extra} />, status);
  };
  /** The auth room's refusal: on the page for a form, the one error shape for JSON. */
  const refused = (c: C, err: unknown) => {
    if (!(err instanceof UsageError)) throw err;
    return isForm(c) ? usersPage(c, { error: err.message }, 400) : problem(c, 400, 'invalid', err.message);
  };

  table.add({ method: 'GET', path: '/audit', role: 'admin', api: false, summary: 'The audit trail, newest first (HTML; cursor)' });
  app.get('/audit', async (c) => {
    const r = readerOf(c);
    const before = idOf(c.req.query('cursor'));
    const rows = await deps.auth.auditTrail({ limit: AUDIT_PAGE + 1, ...(before !== undefined ? { before } : {}) });
    const shown = rows.slice(0, AUDIT_PAGE);
    return page(c, 'audit', words(r.lang)('Audit trail', '監査ログ'), <AuditPage r={r} rows={shown} next={rows.length > AUDIT_PAGE ? String(shown[shown.length - 1]!.id) : null} />);
  });

  table.add({ method: 'GET', path: '/users', role: 'admin', api: false, summary: 'Users and API tokens with their forms (HTML)' });
  app.get('/users', (c) => usersPage(c));

  table.add({ method: 'POST', path: '/users/add', role: 'admin', body: 'form-or-json', api: false, summary: 'Add a user (form; 303 to /users)' });
  app.post('/users/add', async (c) => {
    const f = await fields(c);
    const role = f.role as Role;
    if (!ROLES.has(role) || role === 'ingest') return refused(c, new UsageError('the role must be viewer, operator or admin'));
    try {
      await deps.auth.addUser(by(c), { name: (f.name ?? '').trim(), role, scope: scopeOf(f), password: f.password ?? '' });
    } catch (err) {
      return refused(c, err);
    }
    return back(c, '/users', 'user-added');
  });

  table.add({ method: 'POST', path: '/users/:name/remove', role: 'admin', body: 'form-or-json', api: false, summary: 'Remove a user with their sessions and tokens (form; 303 to /users)' });
  app.post('/users/:name/remove', async (c) => {
    const name = c.req.param('name').slice(0, 64);
    if (name === who(c).name) return refused(c, new UsageError('you cannot remove yourself here'));
    try {
      return back(c, '/users', (await deps.auth.removeUser(by(c), name)) ? 'user-removed' : 'user-none');
    } catch (err) {
      return refused(c, err);
    }
  });

  table.add({ method: 'POST', path: '/users/tokens', role: 'admin', body: 'form-or-json', api: false, summary: 'Create an API token: the answer (201, HTML) is the only time it is shown' });
  app.post('/users/tokens', async (c) => {
    const f = await fields(c);
    const role = f.role as Role;
    if (!ROLES.has(role)) return refused(c, new UsageError('the role must be viewer, operator, admin or ingest'));
    const days = f.days ? Number(f.days) : undefined;
    if (days !== undefined && !(days > 0 && days <= 3650)) return refused(c, new UsageError('days valid: 1 to 3650, or empty for no end'));
    const user = (f.user ?? '').trim();
    try {
      const made = await deps.auth.createToken(by(c), { name: (f.name ?? '').trim(), role, ...(user ? { user } : {}), scope: scopeOf(f), expiresAt: days === undefined ? null : Date.now() + days * 86_400_000 });
      // Never a redirect: the token exists only in this answer (no-store, like every page).
      c.header('cache-control', 'no-store');
      return usersPage(c, { created: { token: made.token, name: made.record.name } }, 201);
    } catch (err) {
      return refused(c, err);
    }
  });

  table.add({ method: 'POST', path: '/users/tokens/:id/revoke', role: 'admin', body: 'form-or-json', api: false, summary: 'Revoke an API token (form; 303 to /users)' });
  app.post('/users/tokens/:id/revoke', async (c) => {
    const id = c.req.param('id').slice(0, 64);
    if (!(await deps.auth.tokens()).some((k) => String(k.id) === id)) return notFound(c, 'token');
    return back(c, '/users', (await deps.auth.revokeToken(by(c), id)) ? 'revoked' : 'token-none');
  });
}
