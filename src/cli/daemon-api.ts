/**
 * Talking to the running daemon from the command line (ack, approvals, ingest): its web address
 * from the config (or --url), one JSON request with a timeout, and errors an operator can act on.
 */
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../core/errors.ts';

/** The daemon's base URL: `--url`, or web.host and web.port from the config. */
export function daemonUrl(configFile: string, url?: string): string {
  if (url) return url;
  const { web } = loadConfigFile(configFile).config;
  if (!web.enabled) throw new UsageError(`the web room is off in ${configFile} (web.enabled: false); this command talks to the daemon through it`);
  const host = web.host === '0.0.0.0' ? '127.0.0.1' : web.host === '::' ? '[::1]' : web.host.includes(':') ? `[${web.host}]` : web.host;
  return `http://${host}:${web.port}`;
}

/** One request; a non-2xx answer becomes a UsageError with the daemon's own words. */
export async function callDaemon<T>(base: string, path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    throw new UsageError(`cannot reach the daemon at ${base}: ${cause}; is "mamoru start" running?`);
  }
  const body = (await res.json().catch(() => ({}))) as T & { error?: string };
  if (!res.ok) throw new UsageError(body.error ?? `the daemon answered HTTP ${res.status}`);
  return body;
}
