/**
 * API v1, the cluster (issue 20): GET /api/v1/cluster says which brain leads (and its epoch), the
 * live pollers of each zone the targets list, and what needs a person: a zone with no live poller,
 * checks seen failing from a minority of zones only. Operators and admins: it names the machines
 * of the installation, which a viewer limited to some targets has no business seeing. Answers
 * 404 without a cluster (bus: local) and 503 when the bus does not answer within 2 s.
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import type { ClusterView } from '../daemon/cluster-view.ts';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { commonErrors, ErrorSchema, json } from './schemas.ts';

const V1 = '/api/v1';

/** What the daemon hands the web room besides WebDeps: undefined without a cluster. */
export interface ClusterDeps {
  cluster?: () => Promise<ClusterView | undefined>;
}

const iso = z.string().openapi({ format: 'date-time' });
export const Cluster = z
  .object({
    bus: z.string(),
    brain: z.object({ leader: z.string().nullable().openapi({ description: 'the brain holding the lead (host:pid), null while none does' }), this_brain: z.string(), epoch: z.number().int().openapi({ description: "the lead's fencing token, claimed in the store" }) }),
    zones: z.array(z.object({ zone: z.string(), targets: z.number().int(), pollers: z.array(z.object({ name: z.string(), version: z.string(), seen_at: iso })), warning: z.string().nullable() })),
    other_members: z.array(z.object({ zone: z.string(), name: z.string() })).openapi({ description: 'live members of zones no target lists (a poller started with a wrong --zone)' }),
    partial: z.array(z.object({ check: z.string(), failing_from: z.array(z.string()) })).openapi({ description: 'checks failing from fewer zones than their quorum' }),
    warnings: z.array(z.string()),
  })
  .openapi('Cluster');

export function registerCluster(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps & ClusterDeps): void {
  app.openapi(
    table.api('operator', createRoute({ method: 'get', path: `${V1}/cluster`, summary: 'The cluster: the leading brain and its epoch, the live pollers per zone, zones without one, checks failing from a minority of zones (404 without bus: nats)', responses: { 200: json(Cluster), ...commonErrors, 503: json(ErrorSchema, 'the bus did not answer within 2 s') } })),
    async (c) => {
      let view: ClusterView | undefined;
      try {
        view = await deps.cluster?.();
      } catch (e) {
        return problem(c, 503, 'unavailable', (e as Error).message);
      }
      if (!view) return problem(c, 404, 'not_found', 'not a cluster: this mamoru runs alone (bus: local)');
      return c.json(view, 200);
    },
  );
}
