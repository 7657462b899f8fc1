/**
 * The paths before API v1 (`/api/status`, `/api/incidents...`, `/api/approvals...`,
 * `/api/ingest/...`, `/api/checks/...`), kept so existing command lines and scripts keep working.
 * Each is declared in the route table with the same role as its v1 route and answers by handing
 * the request to that route: the same auth, validation and audit, one implementation.
 * (`/api/incidents` now answers a v1 page `{ items, next_cursor }`, not a bare list, and
 * `/api/status` the counts and one page of checks, `{ counts, checks, next_cursor }`.)
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Role } from '../auth/types.ts';
import type { Method, RouteTable, WebEnv } from './access.ts';

const ALIASES: { method: Method; path: string; role: Role; to: string }[] = [
  { method: 'GET', path: '/api/status', role: 'viewer', to: '/api/v1/status' },
  { method: 'GET', path: '/api/checks/:target/:name', role: 'viewer', to: '/api/v1/checks/:target/:name' },
  { method: 'GET', path: '/api/incidents', role: 'viewer', to: '/api/v1/incidents' },
  { method: 'GET', path: '/api/incidents/:id', role: 'viewer', to: '/api/v1/incidents/:id' },
  { method: 'POST', path: '/api/incidents/:id/ack', role: 'operator', to: '/api/v1/incidents/:id/ack' },
  { method: 'GET', path: '/api/approvals', role: 'viewer', to: '/api/v1/approvals' },
  { method: 'POST', path: '/api/approvals/:id/approve', role: 'operator', to: '/api/v1/approvals/:id/approve' },
  { method: 'POST', path: '/api/approvals/:id/deny', role: 'operator', to: '/api/v1/approvals/:id/deny' },
  { method: 'POST', path: '/api/ingest/:kind', role: 'ingest', to: '/api/v1/ingest/:kind' },
];

export function registerAliases(app: OpenAPIHono<WebEnv>, table: RouteTable): void {
  for (const a of ALIASES) {
    table.add({ method: a.method, path: a.path, role: a.role, api: false, summary: `alias of ${a.method} ${a.to}`, aliasOf: a.to });
    const forward = (c: Context<WebEnv>) => {
      const path = a.to.replace(/:(\w+)/g, (_, p: string) => encodeURIComponent(c.req.param(p) ?? ''));
      const url = new URL(c.req.url);
      const raw = c.req.raw;
      const init: RequestInit & { duplex?: 'half' } = { method: raw.method, headers: raw.headers, ...(raw.body ? { body: raw.body, duplex: 'half' } : {}) };
      // Through the whole app again (headers, host, auth, policy of the v1 route), on the same connection.
      return app.fetch(new Request(new URL(path + url.search, url), init), c.env);
    };
    if (a.method === 'GET') app.get(a.path, forward);
    else app.post(a.path, forward);
  }
}
