/**
 * API v1, what went wrong and what people do about it: incidents (cursor pages) and one with its
 * timeline, acknowledge and comment, the actions waiting for approval, and the messages sent.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { AckBody, Approval, ApprovalParam, CommentBody, commonErrors, DecideBody, IdParam, Incident, IncidentWithTimeline, json, jsonBody, Notification, Ok, optionalJsonBody, PageQuery, writeErrors } from './schemas.ts';
import { actingName, audit, targetFilter, who } from './scope.ts';
import { IncidentCursorError } from '../store/incident-queries.ts';
import type { IncidentView } from './types.ts';

const V1 = '/api/v1';
const IncidentQuery = PageQuery.extend({
  cursor: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expected a next_cursor or prev_cursor of another page').optional().openapi({ param: { name: 'cursor', in: 'query' }, description: 'next_cursor (older) or prev_cursor (newer) of another page' }),
  open: z.enum(['0', '1', 'true', 'false']).optional().openapi({ param: { name: 'open', in: 'query' }, description: 'only open incidents (status=open)' }),
  status: z.enum(['open', 'resolved']).optional().openapi({ param: { name: 'status', in: 'query' } }),
  kind: z.enum(['outage', 'attack']).optional().openapi({ param: { name: 'kind', in: 'query' } }),
  target: z.string().min(1).max(200).optional().openapi({ param: { name: 'target', in: 'query' } }),
});
const IncidentList = z.object({ items: z.array(Incident), next_cursor: z.string().nullable().openapi({ description: 'older incidents' }), prev_cursor: z.string().nullable().openapi({ description: 'newer incidents; null on the newest page' }) }).openapi('IncidentPage');

/** An incident as the API shows it (the page's rows carry the console's fields too). */
const apiView = (i: IncidentView): IncidentView => ({ id: i.id, target: i.target, status: i.status, severity: i.severity, title: i.title, opened_at: i.opened_at, resolved_at: i.resolved_at, members: i.members });

export function registerIncidents(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  /** Is this incident there for the principal? (Another client's is "not found", not "forbidden".) */
  const visible = async (c: Context<WebEnv>, id: number): Promise<boolean> => {
    const inc = await deps.incident(id);
    return inc !== undefined && targetFilter(c, deps)(inc.target);
  };
  const noIncident = (c: Context<WebEnv>, id: string) => problem(c, 404, 'not_found', `no incident ${id}`);

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/incidents`, summary: 'Incidents, newest first', request: { query: IncidentQuery }, responses: { 200: json(IncidentList), ...commonErrors } })), async (c) => {
    const q = c.req.valid('query');
    const status = q.status ?? (q.open === '1' || q.open === 'true' ? 'open' : undefined);
    const scoped = who(c).scope !== null;
    try {
      const pg = await deps.incidentPage({ status, kind: q.kind, target: q.target, limit: q.limit, cursor: q.cursor, see: scoped ? targetFilter(c, deps) : undefined });
      return c.json({ items: pg.items.map(apiView), next_cursor: pg.next, prev_cursor: pg.prev }, 200);
    } catch (e) {
      if (e instanceof IncidentCursorError) return problem(c, 400, 'invalid', e.message, 'cursor');
      throw e;
    }
  });

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/incidents/{id}`, summary: 'One incident with its timeline', request: { params: IdParam }, responses: { 200: json(IncidentWithTimeline), ...commonErrors } })), async (c) => {
    const { id } = c.req.valid('param');
    const inc = await deps.incident(Number(id));
    return inc && targetFilter(c, deps)(inc.target) ? c.json(inc, 200) : noIncident(c, id);
  });

  app.openapi(
    table.api('operator', createRoute({ method: 'post', path: `${V1}/incidents/{id}/ack`, summary: 'Acknowledge: no more reminders or escalations until it recovers', request: { params: IdParam, ...optionalJsonBody(AckBody) }, responses: { 200: json(Ok), 409: json(z.object({ error: z.object({ code: z.string(), message: z.string() }) }), 'already acknowledged or resolved'), ...writeErrors } })),
    async (c) => {
      const { id } = c.req.valid('param');
      const body = AckBody.parse((c.req.valid('json') as unknown) ?? {});
      if (!(await visible(c, Number(id)))) return noIncident(c, id);
      const r = deps.acknowledge(Number(id), actingName(c, body.by), body.comment);
      if (!r.ok) return problem(c, r.status, r.status === 404 ? 'not_found' : 'conflict', r.error);
      await audit(c, deps, 'ack', `incident:${id}`, body.comment);
      return c.json({ ok: true as const }, 200);
    },
  );

  app.openapi(table.api('operator', createRoute({ method: 'post', path: `${V1}/incidents/{id}/comments`, summary: 'Add a comment to the timeline', request: { params: IdParam, ...jsonBody(CommentBody) }, responses: { 200: json(Ok), ...writeErrors } })), async (c) => {
    const { id } = c.req.valid('param');
    const { text } = c.req.valid('json');
    if (!(await visible(c, Number(id))) || !(await deps.comment(Number(id), who(c).name, text))) return noIncident(c, id);
    await audit(c, deps, 'comment', `incident:${id}`, text);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/approvals`, summary: 'Actions waiting for a yes or no', responses: { 200: json(z.array(Approval)), ...commonErrors } })), (c) => {
    const see = targetFilter(c, deps);
    return c.json(deps.approvals().filter((a) => see(a.target)), 200);
  });

  for (const decision of ['approve', 'deny'] as const) {
    app.openapi(
      table.api('operator', createRoute({ method: 'post', path: `${V1}/approvals/{id}/${decision}`, summary: decision === 'approve' ? 'Approve a waiting action (it runs)' : 'Deny a waiting action', request: { params: ApprovalParam, ...optionalJsonBody(DecideBody) }, responses: { 200: json(Ok), ...writeErrors } })),
      async (c) => {
        const { id } = c.req.valid('param');
        const body = DecideBody.parse((c.req.valid('json') as unknown) ?? {});
        const a = deps.approvals().find((x) => x.id === id);
        if (!a || !targetFilter(c, deps)(a.target) || !deps.decide(id, decision === 'approve', actingName(c, body.by))) return problem(c, 404, 'not_found', `no pending approval ${id}`);
        await audit(c, deps, decision, `approval:${id}`, `${a.action} on ${a.target}`);
        return c.json({ ok: true as const }, 200);
      },
    );
  }

  app.openapi(table.api('viewer', createRoute({ method: 'get', path: `${V1}/notifications`, summary: 'Messages sent (or failed) about the newest incidents, newest first', request: { query: PageQuery.pick({ limit: true }) }, responses: { 200: json(z.array(Notification)), ...commonErrors } })), async (c) => {
    const { limit } = c.req.valid('query');
    const see = targetFilter(c, deps);
    return c.json((await deps.notifications({ limit: 1000 })).filter((n) => see(n.target)).slice(0, limit), 200);
  });
}
