/**
 * API v1, alerts from other monitors (Nagios, Icinga, Alertmanager) become incidents. Needs the
 * `ingest` role: an ingest token, or the config's `ingest.token_secret` (the authentication layer
 * turns that one into an ingest principal).
 */
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { problem, type RouteTable, type WebEnv } from './access.ts';
import type { WebDeps } from './deps.ts';
import { IngestBody, IngestParam, json, jsonBody, writeErrors } from './schemas.ts';
import { audit } from './scope.ts';

export function registerIngest(app: OpenAPIHono<WebEnv>, table: RouteTable, deps: WebDeps): void {
  app.openapi(
    table.api('ingest', createRoute({ method: 'post', path: '/api/v1/ingest/{kind}', summary: 'Take an alert (nagios, icinga: one alert as JSON; alertmanager: its webhook body)', request: { params: IngestParam, ...jsonBody(IngestBody) }, responses: { 200: json(z.object({ incidents: z.array(z.number().int()) })), ...writeErrors } })),
    async (c) => {
      const { kind } = c.req.valid('param');
      try {
        const r = await deps.ingest(kind, c.req.valid('json'));
        await audit(c, deps, 'ingest', `ingest:${kind}`, r.incidents.length ? `incidents ${r.incidents.join(', ')}` : 'no incident');
        return c.json(r, 200);
      } catch (e) {
        return problem(c, 400, 'invalid', (e as Error).message);
      }
    },
  );
}
