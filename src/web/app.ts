/**
 * Builds the console's app: the middleware chain every request passes through (guard.ts, and
 * turns.ts: one render per event-loop turn), every route with its declaration in the route table
 * (access.ts), the generated OpenAPI 3.1 document of API v1, and the one error shape for
 * everything that goes wrong.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import type { Logger } from '../core/log.ts';
import { UsageError } from '../core/errors.ts';
import { problem, RouteTable, type WebEnv } from './access.ts';
import { registerAliases } from './aliases.ts';
import { registerAdmin } from './api-admin.ts';
import { registerAgents } from './api-agents.ts';
import { registerCluster } from './api-cluster.ts';
import { registerBans } from './api-bans.ts';
import { registerChecks } from './api-checks.ts';
import { registerIncidents } from './api-incidents.ts';
import { registerIngest } from './api-ingest.ts';
import { registerStatus } from './api-status.ts';
import type { WebDeps, WebSettings } from './deps.ts';
import { authenticate, declaredBodyLimit, hostCheck, policy, securityHeaders } from './guard.ts';
import { registerPages } from './pages.tsx';
import { registerConsolePages } from './pages-console.tsx';
import { turnGate } from './turns.ts';

export const OPENAPI_PATH = '/api/v1/openapi.json';

export interface ConsoleApp {
  app: OpenAPIHono<WebEnv>;
  table: RouteTable;
  /** The app's own middleware: every other handler in `app.routes` belongs to a route. */
  middleware: ReadonlySet<unknown>;
  /** Tells the Host check the port once the server listens. */
  setPort(port: number): void;
}

export function createApp(deps: WebDeps, settings: WebSettings, log: Logger): ConsoleApp {
  const table = new RouteTable();
  let port = 0;
  const app = new OpenAPIHono<WebEnv>({
    // Validation failures answer in the one error shape, naming the first field at fault.
    defaultHook: (result, c) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const field = issue?.path.map(String).join('.') || undefined;
      return problem(c, 400, 'invalid', issue ? `${field ? `${field}: ` : ''}${issue.message}` : 'invalid request', field);
    },
  });

  // One page or API render per event-loop turn (turns.ts): the scheduler's timers run between them.
  const chain = [securityHeaders, hostCheck(settings, () => port), turnGate().middleware, declaredBodyLimit(settings.bodyLimit), authenticate(deps, log)];
  const middleware = new Set<unknown>(chain);
  const pol = policy(table, settings, middleware, log);
  middleware.add(pol);
  for (const mw of [...chain, pol]) app.use('*', mw);

  registerPages(app, table, deps, settings);
  registerConsolePages(app, table, deps);
  registerStatus(app, table, deps);
  registerChecks(app, table, deps);
  registerIncidents(app, table, deps);
  registerBans(app, table, deps);
  registerAgents(app, table, deps);
  registerCluster(app, table, deps);
  registerAdmin(app, table, deps);
  registerIngest(app, table, deps);
  registerAliases(app, table);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'an API token (mamoru tokens create, or POST /api/v1/tokens)' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', { type: 'apiKey', in: 'cookie', name: 'mamoru_session', description: 'the session of POST /login; unsafe requests also bring X-CSRF-Token' });
  table.add({ method: 'GET', path: OPENAPI_PATH, role: 'public', api: false, summary: 'This API\'s OpenAPI 3.1 document (generated; no data)' });
  app.doc31(OPENAPI_PATH, {
    openapi: '3.1.0',
    info: { title: 'mamoru API', version: 'v1', description: 'Everything a person can do in the mamoru console. Log in (POST /login) for a session cookie, or bring an API token as `Authorization: Bearer TOKEN`.' },
  });

  app.notFound((c) => problem(c, 404, 'not_found', `nothing at ${c.req.path.slice(0, 200)}`));
  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const status = err.status;
      if (status === 413) return problem(c, 413, 'too_large', `the request body is larger than ${settings.bodyLimit} bytes (web.body_limit)`);
      if (status === 400) return problem(c, 400, 'invalid', err.message || 'invalid request');
      return c.json({ error: { code: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : 'invalid', message: err.message || 'refused' } }, status);
    }
    if (err instanceof UsageError) return problem(c, 400, 'invalid', err.message);
    log.error({ err, method: c.req.method, path: c.req.path }, `web request failed: ${c.req.method} ${c.req.path}`);
    return problem(c, 500, 'internal', 'something went wrong inside mamoru; the log says what');
  });

  return { app, table, middleware, setPort: (p) => (port = p) };
}

/** The method and path of every route the app answers (its own list, middleware left out). */
export function appRoutes(c: ConsoleApp): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of c.app.routes) if (!c.middleware.has(r.handler)) seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  return [...seen.values()];
}
