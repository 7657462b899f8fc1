/**
 * API v1, the server agents (issue 21): GET /api/v1/agents lists the agents the brain hears and
 * those a target names that it does not (lost, or never seen), from the daemon's last poll of the
 * heartbeats (daemon/agents.ts), so a request never waits on NATS.
 *
 * Scope: a viewer limited to some targets sees the agents of those targets only; an agent no
 * target names is seen only with the whole view (scope null), like a ban.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { AgentView } from '../daemon/agents.ts';
import type { RouteTable, WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { commonErrors, json } from './schemas.ts';
import { targetFilter, who } from './scope.ts';

const V1 = '/api/v1';

/** What the daemon hands the web room besides WebDeps: undefined without a nats bus (no agents). */
export interface AgentsDeps {
  agents?: () => AgentView[] | undefined;
}

const iso = z.string().openapi({ format: 'date-time' });
export const Agent = z
  .object({
    name: z.string(),
    version: z.string().nullable().openapi({ description: 'null: not heard since the brain started' }),
    alive: z.boolean().openapi({ description: 'heard within its TTL (the bus member_ttl)' }),
    last_seen: iso.nullable(),
    allow_actions: z.array(z.string()),
    allow_inspections: z.array(z.string()),
    services: z.array(z.string()),
    jails: z.array(z.string()),
    targets: z.array(z.string()).openapi({ description: 'the targets whose agent: names it' }),
  })
  .openapi('Agent');

export function registerAgents(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps & AgentsDeps): void {
  app.openapi(
    table.api('viewer', createRoute({ method: 'get', path: `${V1}/agents`, summary: 'The server agents: heard now, and those a target names that are not (empty without bus: nats)', responses: { 200: json(z.array(Agent)), ...commonErrors } })),
    (c) => {
      const all = deps.agents?.() ?? [];
      if (who(c).scope === null) return c.json(all, 200);
      const sees = targetFilter(c, deps);
      return c.json(
        all.filter((a) => a.targets.some(sees)).map((a) => ({ ...a, targets: a.targets.filter(sees) })),
        200,
      );
    },
  );
}
