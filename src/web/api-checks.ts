/**
 * API v1, what is watched: the status, targets with their checks' current state, one check, its
 * results history and rollups, and "check now".
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { z } from '@hono/zod-openapi';
import { formatPerfdata } from '../core/perfdata.ts';
import { stateName } from '../core/nagios.ts';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import { checkView } from './api-status.ts';
import type { WebDeps } from './deps.ts';
import { CheckParam, Check, commonErrors, json, PageQuery, page, Result, Rollup, RollupQuery, Target, TargetParam, writeErrors, Ok } from './schemas.ts';
import { audit, targetFilter } from './scope.ts';

const V1 = '/api/v1';

export function registerChecks(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  /** The check a viewer may see, or undefined (404 either way). */
  const visibleCheck = (c: Parameters<typeof targetFilter>[0], target: string, name: string) => {
    // From the overview's index: one row, not a view of every check built to find it.
    const row = deps.overview.get(`${target}/${name}`);
    return row && targetFilter(c, deps)(row.target) ? checkView(row, deps.overview.targets()) : undefined;
  };
  const noCheck = (c: Parameters<typeof targetFilter>[0], target: string, name: string) => problem(c, 404, 'not_found', `no check "${target}/${name}"`);

  // GET /api/v1/status: api-status.ts (a page from the overview's index).
  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/targets`, summary: 'Targets with their tags and the current state of their checks', responses: { 200: json(z.array(Target)), ...commonErrors } })), (c) => {
    const see = targetFilter(c, deps);
    const checks = deps.status().checks;
    return c.json(deps.targets().filter((t) => see(t.name)).map((t) => ({ ...t, checks: checks.filter((x) => x.target === t.name) })), 200);
  });

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/targets/{name}`, summary: 'One target with its checks', request: { params: TargetParam }, responses: { 200: json(Target), ...commonErrors } })), (c) => {
    const { name } = c.req.valid('param');
    const t = deps.targets().find((x) => x.name === name);
    if (!t || !targetFilter(c, deps)(t.name)) return problem(c, 404, 'not_found', `no target "${name}"`);
    return c.json({ ...t, checks: deps.status().checks.filter((x) => x.target === t.name) }, 200);
  });

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/checks`, summary: 'Every check with its current state', responses: { 200: json(z.array(Check)), ...commonErrors } })), (c) => {
    const see = targetFilter(c, deps);
    return c.json(deps.status().checks.filter((x) => see(x.target)), 200);
  });

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/checks/{target}/{name}`, summary: 'One check with its current state', request: { params: CheckParam }, responses: { 200: json(Check), ...commonErrors } })), (c) => {
    const { target, name } = c.req.valid('param');
    const check = visibleCheck(c, target, name);
    return check ? c.json(check, 200) : noCheck(c, target, name);
  });

  app.openapi(
    table.api('viewer', createRoute({ method: 'get', path: `${V1}/checks/{target}/{name}/results`, summary: 'Results of a check, newest first (cursor: older pages)', request: { params: CheckParam, query: PageQuery }, responses: { 200: json(page(Result, 'ResultPage')), ...commonErrors } })),
    async (c) => {
      const { target, name } = c.req.valid('param');
      const { limit, cursor } = c.req.valid('query');
      const check = visibleCheck(c, target, name);
      if (!check) return noCheck(c, target, name);
      const rows = await deps.results(check.id, { limit: limit + 1, before: cursor === undefined ? undefined : Number(cursor) });
      const items = rows.slice(0, limit).map((r) => ({ at: new Date(r.startedAt).toISOString(), state: r.state, state_name: stateName(r.state), text: r.text, duration_ms: r.durationMs, perfdata: formatPerfdata(r.perfdata) }));
      const next = rows.length > limit ? String(rows[limit - 1]!.startedAt) : null;
      return c.json({ items, next_cursor: next }, 200);
    },
  );

  app.openapi(
    table.api('viewer', createRoute({ method: 'get', path: `${V1}/checks/{target}/{name}/rollups`, summary: 'Per-minute or per-hour rollups of a check, oldest first', request: { params: CheckParam, query: RollupQuery }, responses: { 200: json(z.array(Rollup)), ...commonErrors } })),
    async (c) => {
      const { target, name } = c.req.valid('param');
      const q = c.req.valid('query');
      const check = visibleCheck(c, target, name);
      if (!check) return noCheck(c, target, name);
      const to = q.to ? Date.parse(q.to) : Date.now();
      const from = q.from ? Date.parse(q.from) : to - 24 * 3600_000;
      // Bounded: at most ~45 days of minutes or ~5 years of hours in one answer.
      const span = q.resolution === 'minute' ? 45 * 86400_000 : 5 * 365 * 86400_000;
      if (to < from || to - from > span) return problem(c, 400, 'invalid', `expected from <= to and at most ${q.resolution === 'minute' ? '45 days' : '5 years'} between them`, 'from');
      const rows = await deps.rollups(check.id, q.resolution, { from, to });
      return c.json(rows.map((r) => ({ bucket_start: new Date(r.bucketStart).toISOString(), count: r.count, ok: r.ok, warning: r.warning, critical: r.critical, unknown: r.unknown, duration_ms: r.durationMs, perf: r.perf })), 200);
    },
  );

  app.openapi(table.api('operator', createRoute({ method: 'post', path: `${V1}/checks/{target}/{name}/run`, summary: 'Check now', request: { params: CheckParam }, responses: { 200: json(Ok), ...writeErrors } })), async (c) => {
    const { target, name } = c.req.valid('param');
    const check = visibleCheck(c, target, name);
    if (!check || !deps.runCheck(check.id)) return noCheck(c, target, name);
    await audit(c, deps, 'check-run', `check:${check.id}`);
    return c.json({ ok: true as const }, 200);
  });
}
