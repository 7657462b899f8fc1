/**
 * The web room's server: the console app (app.ts) on Node's HTTP server, or HTTPS with the
 * configured certificate and key. Node answers 431 itself to headers past its 16 KiB limit.
 * A non-loopback bind in clear text is refused by the config schema unless `insecure_http` is
 * set on purpose: then every start says so in the log.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { serve, type ServerType } from '@hono/node-server';
import type { Logger } from '../core/log.ts';
import { isLoopbackHost } from '../config/web.ts';
import { createApp } from './app.ts';
import type { WebDeps, WebSettings } from './deps.ts';

export type { WebDeps } from './deps.ts';

export interface WebConfig {
  host: string;
  hostnames: string[];
  body_limit: number;
  tls?: { cert_file: string; key_file: string } | undefined;
  insecure_http: boolean;
}

export interface WebServer {
  url: string;
  close(): Promise<void>;
}

function readPem(file: string, what: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`cannot read the TLS ${what} "${file}" (web.tls.${key}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; check the path and that mamoru may read it`);
  }
}

/** Starts listening; resolves once bound (rejects with the reason when the port is taken or TLS files are unreadable). */
export function startWeb(deps: WebDeps, cfg: WebConfig, port: number, log: Logger): Promise<WebServer> {
  const tls = cfg.tls ? { cert: readPem(cfg.tls.cert_file, 'certificate', 'cert_file'), key: readPem(cfg.tls.key_file, 'key', 'key_file') } : undefined;
  if (!tls && !isLoopbackHost(cfg.host))
    log.warn({ host: cfg.host }, `the console listens on ${cfg.host} in clear text (web.insecure_http: true): passwords and sessions travel unencrypted unless something in front of mamoru encrypts them`);
  const settings: WebSettings = { host: cfg.host, hostnames: cfg.hostnames, bodyLimit: cfg.body_limit, tls: tls !== undefined, insecureHttp: cfg.insecure_http };
  const web = createApp(deps, settings, log.child({ room: 'web' }));
  const host = cfg.host;
  return new Promise((resolve, reject) => {
    let server: ServerType;
    const onError = (e: NodeJS.ErrnoException) =>
      reject(new Error(e.code === 'EADDRINUSE' ? `cannot serve the web UI on ${host}:${port}: the port is in use; set web.port in the config (or web.enabled: false)` : `cannot serve the web UI on ${host}:${port}: ${e.message}`));
    const options = { fetch: web.app.fetch, hostname: host, port, ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}) };
    server = serve(options, (info) => {
      server.off('error', onError);
      web.setPort(info.port);
      const h = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `${tls ? 'https' : 'http'}://${h}:${info.port}`,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r());
            // Keep-alive connections of browsers would hold close() open.
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
    server.once('error', onError);
  });
}
