/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The web room: status page, JSON API and Prometheus metrics over Hono on Node's HTTP server.
 * Bound to loopback unless configured otherwise; it only reads what the daemon hands it.
 */
import { timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import type { Metrics } from './metrics.ts';
import type { AckOutcome, ApprovalView, IncidentView, StatusView } from './types.ts';
import { StatusPage } from './page.tsx';

export interface WebDeps {
  status(): StatusView;
  metrics: Metrics;
  /** Incidents from the store, newest first. */
  incidents(opts: { open: boolean; limit: number }): Promise<IncidentView[]>;
  /** One incident with its timeline. */
  incident(id: number): Promise<(IncidentView & { timeline: { at: string; kind: string; text: string }[] }) | undefined>;
  /** A person takes an open incident: no more reminders or escalations until it recovers. */
  acknowledge(id: number, by: string, comment: string): AckOutcome;
  /** Actions waiting for a person (guard policy `ask`). */
  approvals(): ApprovalView[];
  /** Approves or denies one; false when it is unknown or already decided. */
  decide(id: string, approve: boolean, by: string): boolean;
  /** The token ingest requests must bring; undefined when ingest is not configured. */
  ingestToken(): string | undefined;
  /** Takes an alert body of a kind; resolves with what became of it, or rejects with a reason for the sender. */
  ingest(kind: 'nagios' | 'icinga' | 'alertmanager', body: unknown): Promise<{ incidents: number[] }>;
}

function sameToken(given: string, wanted: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(wanted);
  return a.length === b.length && timingSafeEqual(a, b);
}

const incidentId = (text: string): number | undefined => (/^\d{1,12}$/.test(text) ? Number(text) : undefined);

export function createApp(deps: WebDeps): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html('<!doctype html>' + String(<StatusPage status={deps.status()} />)));
  app.get('/api/status', (c) => c.json(deps.status()));
  // Browsers ask for it on every page; a 404 would be an error in their console.
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/api/checks/:target/:name', (c) => {
    const id = `${c.req.param('target')}/${c.req.param('name')}`;
    const check = deps.status().checks.find((x) => x.id === id);
    return check ? c.json(check) : c.json({ error: `no check "${id}"` }, 404);
  });
  app.get('/api/incidents', async (c) => {
    const limit = Math.min(500, Math.max(1, Number(c.req.query('limit') ?? 100) || 100));
    return c.json(await deps.incidents({ open: c.req.query('open') !== undefined && c.req.query('open') !== '0', limit }));
  });
  app.get('/api/incidents/:id', async (c) => {
    const id = incidentId(c.req.param('id'));
    const inc = id === undefined ? undefined : await deps.incident(id);
    return inc ? c.json(inc) : c.json({ error: `no incident ${c.req.param('id')}` }, 404);
  });
  app.post('/api/incidents/:id/ack', async (c) => {
    const id = incidentId(c.req.param('id'));
    if (id === undefined) return c.json({ error: 'expected an incident number' }, 404);
    const body = (await c.req.json().catch(() => ({}))) as { by?: unknown; comment?: unknown };
    const by = typeof body.by === 'string' && body.by.trim() ? body.by.trim().slice(0, 100) : undefined;
    if (!by) return c.json({ error: 'expected a JSON body with "by" (who takes it) and optionally "comment"' }, 400);
    const comment = typeof body.comment === 'string' ? body.comment.slice(0, 1000) : '';
    const r = deps.acknowledge(id, by, comment);
    return r.ok ? c.json({ ok: true }) : c.json({ error: r.error }, r.status);
  });
  app.get('/api/approvals', (c) => c.json(deps.approvals()));
  app.post('/api/approvals/:id/:decision', async (c) => {
    const decision = c.req.param('decision');
    if (decision !== 'approve' && decision !== 'deny') return c.json({ error: 'expected .../approve or .../deny' }, 404);
    const body = (await c.req.json().catch(() => ({}))) as { by?: unknown };
    const by = typeof body.by === 'string' && body.by.trim() ? body.by.trim().slice(0, 100) : undefined;
    if (!by) return c.json({ error: 'expected a JSON body with "by" (who decides)' }, 400);
    return deps.decide(c.req.param('id'), decision === 'approve', by) ? c.json({ ok: true }) : c.json({ error: `no pending approval ${c.req.param('id')}` }, 404);
  });
  app.post('/api/ingest/:kind', async (c) => {
    const kind = c.req.param('kind');
    if (kind !== 'nagios' && kind !== 'icinga' && kind !== 'alertmanager') return c.json({ error: 'expected /api/ingest/nagios, /api/ingest/icinga or /api/ingest/alertmanager' }, 404);
    const wanted = deps.ingestToken();
    if (wanted === undefined) return c.json({ error: 'ingest is not configured: set ingest.token_secret in the config' }, 404);
    const auth = c.req.header('authorization') ?? '';
    const given = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
    if (!sameToken(given, wanted)) return c.json({ error: 'missing or wrong token (Authorization: Bearer TOKEN)' }, 401);
    const body = await c.req.json().catch(() => undefined);
    if (body === undefined) return c.json({ error: 'expected a JSON body' }, 400);
    try {
      return c.json(await deps.ingest(kind, body));
    } catch (e) {
      return c.json({ error: (e as Error).message }, 400);
    }
  });
  app.get('/metrics', async (c) => c.body(await deps.metrics.registry.metrics(), 200, { 'content-type': deps.metrics.registry.contentType }));
  app.notFound((c) => c.json({ error: `nothing at ${c.req.path}` }, 404));
  return app;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

/** Starts listening; resolves once bound (rejects with the reason when the port is taken). */
export function startWeb(deps: WebDeps, host: string, port: number): Promise<WebServer> {
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `cannot serve the web UI on ${host}:${port}: the port is in use; set web.port in the config (or web.enabled: false)` : `cannot serve the web UI on ${host}:${port}: ${e.message}`));
    server = serve({ fetch: createApp(deps).fetch, hostname: host, port }, (info) => {
      server.off('error', onError);
      const h = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${h}:${info.port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
    server.once('error', onError);
  });
}
