/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * The web room: status page, JSON API and Prometheus metrics over Hono on Node's HTTP server.
 * Bound to loopback unless configured otherwise; it only reads what the daemon hands it.
 */
import { Hono } from 'hono';
import { serve, type ServerType } from '@hono/node-server';
import type { Metrics } from './metrics.ts';
import type { StatusView } from './types.ts';
import { StatusPage } from './page.tsx';

export interface WebDeps {
  status(): StatusView;
  metrics: Metrics;
}

export function createApp(deps: WebDeps): Hono {
  const app = new Hono();
  app.get('/', (c) => c.html('<!doctype html>' + String(<StatusPage status={deps.status()} />)));
  app.get('/api/status', (c) => c.json(deps.status()));
  app.get('/api/checks/:target/:name', (c) => {
    const id = `${c.req.param('target')}/${c.req.param('name')}`;
    const check = deps.status().checks.find((x) => x.id === id);
    return check ? c.json(check) : c.json({ error: `no check "${id}"` }, 404);
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
