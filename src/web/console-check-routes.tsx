/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The check and target pages' routes, and "check now" as a form (operator; the policy has checked
 * the form's CSRF token; 303 back to the check page). A check or target outside the reader's
 * scope is not found, exactly like one that does not exist.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { RouteTable, WebEnv } from './access.ts';
import { CheckPage } from './console-check.tsx';
import { history, RANGES, type Point, type Range } from './console-check-data.tsx';
import { TargetPage } from './console-target.tsx';
import type { WebDeps } from './deps.ts';
import { NotFoundPage } from './page.tsx';
import { readerOf } from './reader.ts';
import { audit, targetFilter } from './scope.ts';

const RESULTS = 20;
const BANDS = 20;

const rangeOf = (c: Context<WebEnv>): Range => (Object.keys(RANGES).includes(c.req.query('range') ?? '') ? (c.req.query('range') as Range) : '24h');

export function registerCheckPages(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  const notFound = (c: Context<WebEnv>, what: string) => c.html('<!doctype html>' + String(<NotFoundPage reader={readerOf(c)} what={what} />), 404);
  const visibleRow = (c: Context<WebEnv>) => {
    const id = `${c.req.param('target')}/${c.req.param('name')}`;
    const row = deps.overview.get(id);
    return row && targetFilter(c, deps)(row.target) ? row : undefined;
  };

  table.add({ method: 'GET', path: '/checks/:target/:name', role: 'viewer', api: false, summary: 'A check (HTML): state, history band and response-time plot (?range=1h|24h|7d), last results, configuration' });
  app.get('/checks/:target/:name', async (c) => {
    const row = visibleRow(c);
    if (!row) return notFound(c, `${c.req.param('target')}/${c.req.param('name')}`);
    const range = rangeOf(c);
    const now = Date.now();
    // The last results shown are read first: the plot's newest points usually come from them.
    const results = await deps.results(row.id, { limit: RESULTS });
    const points = await history(deps, row.id, range, now, { results, limit: RESULTS });
    const d = { row, range, now, points, results, config: deps.checkConfig(row.id), ran: c.req.query('ran') === '1' };
    return c.html('<!doctype html>' + String(<CheckPage reader={readerOf(c)} d={d} />));
  });

  table.add({ method: 'POST', path: '/checks/:target/:name/run', role: 'operator', body: 'form-or-json', api: false, summary: 'Check now from the check page (form: 303 back to the check)' });
  app.post('/checks/:target/:name/run', async (c) => {
    const row = visibleRow(c);
    if (!row || !deps.runCheck(row.id)) return notFound(c, `${c.req.param('target')}/${c.req.param('name')}`);
    await audit(c, deps, 'check-run', `check:${row.id}`);
    return c.redirect(`/checks/${encodeURIComponent(row.target)}/${encodeURIComponent(row.name)}?ran=1`, 303);
  });

  table.add({ method: 'GET', path: '/targets/:name', role: 'viewer', api: false, summary: 'A target (HTML): its checks with state bands (?range=1h|24h|7d), parents and children, open incidents' });
  app.get('/targets/:name', async (c) => {
    const name = c.req.param('name');
    const see = targetFilter(c, deps);
    const target = deps.overview.targets().find((t) => t.name === name);
    if (!target || !see(name)) return notFound(c, name);
    const range = rangeOf(c);
    const now = Date.now();
    const rows = deps.overview.page({ target: name, sort: 'name', limit: 500, see }).rows;
    const bands = new Map<string, Point[]>();
    await Promise.all(rows.slice(0, BANDS).map(async (r) => bands.set(r.id, await history(deps, r.id, range, now))));
    const children = deps.overview.targets().filter((t) => t.parents.includes(name) && see(t.name)).map((t) => t.name);
    const incidents = (await deps.incidents({ open: true, limit: 50 })).filter((i) => i.target === name);
    const first = rows[0] && { row: rows[0], points: bands.get(rows[0].id) ?? [] };
    const d = { target, children, rows, bands, first, range, now, incidents };
    return c.html('<!doctype html>' + String(<TargetPage reader={readerOf(c)} d={d} />));
  });
}
