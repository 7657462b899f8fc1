/**
 * Talking to the running daemon from the command line (ack, approvals, ingest): its web address
 * from the config (or --url), its credentials without the user typing anything (MAMORU_TOKEN, else
 * the token the daemon wrote for this machine's command line, readable only by its owner), one
 * JSON request with a timeout, and errors an operator can act on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadConfigFile } from '../config/load.ts';
import { authPaths } from '../config/web.ts';
import { UsageError } from '../core/errors.ts';

export interface DaemonTarget {
  base: string;
  /** The bearer token to send, when one was found. */
  token?: string;
  /** Where the token was looked for, for the message when the daemon refuses. */
  tokenFrom: string;
}

/** The daemon's base URL (`--url`, or web.host and web.port from the config) and the credentials to bring. */
export function daemonTarget(configFile: string, url?: string): DaemonTarget {
  const envToken = process.env.MAMORU_TOKEN?.trim();
  const haveConfig = existsSync(configFile);
  if (!url && !haveConfig) throw new UsageError(`no config file ${configFile}: give -c FILE, or --url with MAMORU_TOKEN`);
  const config = haveConfig ? loadConfigFile(configFile).config : undefined;
  let base = url;
  if (!base) {
    const web = config!.web;
    if (!web.enabled) throw new UsageError(`the web room is off in ${configFile} (web.enabled: false); this command talks to the daemon through it`);
    const host = web.host === '0.0.0.0' ? '127.0.0.1' : web.host === '::' ? '[::1]' : web.host.includes(':') ? `[${web.host}]` : web.host;
    base = `${web.tls ? 'https' : 'http'}://${host}:${web.port}`;
  }
  if (envToken) return { base, token: envToken, tokenFrom: 'MAMORU_TOKEN' };
  const file = config ? authPaths(config).cliTokenFile : undefined;
  if (!file) return { base, tokenFrom: 'MAMORU_TOKEN (no token file is configured)' };
  let token: string | undefined;
  try {
    token = readFileSync(file, 'utf8').trim() || undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES') return { base, tokenFrom: `${file} (not readable by you: run as the user mamoru runs as, or set MAMORU_TOKEN)` };
  }
  return { base, ...(token ? { token } : {}), tokenFrom: `MAMORU_TOKEN or ${file} (written by the daemon at start)` };
}

/** The daemon's base URL: `--url`, or web.host and web.port from the config. */
export function daemonUrl(configFile: string, url?: string): string {
  return daemonTarget(configFile, url).base;
}

type ErrorBody = { error?: string | { code?: string; message?: string } };

/** One request; a non-2xx answer becomes a UsageError with the daemon's own words. */
export async function callDaemon<T>(target: string | DaemonTarget, path: string, init: { method?: string; body?: unknown; token?: string; tokenHint?: string } = {}): Promise<T> {
  const t: DaemonTarget = typeof target === 'string' ? { base: target, tokenFrom: 'MAMORU_TOKEN' } : target;
  const token = init.token ?? t.token;
  let res: Response;
  try {
    res = await fetch(new URL(path, t.base), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    const cause = (e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message;
    throw new UsageError(`cannot reach the daemon at ${t.base}: ${cause}; is "mamoru start" running?`);
  }
  const body = (await res.json().catch(() => ({}))) as T & ErrorBody;
  if (!res.ok) {
    const said = typeof body.error === 'string' ? body.error : body.error?.message;
    if (res.status === 401 && init.tokenHint) throw new UsageError(`the daemon at ${t.base} refused: ${init.tokenHint}`);
    if (res.status === 401)
      throw new UsageError(`the daemon at ${t.base} refused: ${said ?? 'no valid credentials'}. ${token ? 'The token was not accepted (revoked, expired, or from another installation);' : 'No token was found;'} the command line reads it from ${t.tokenFrom}, or make one with "mamoru tokens create NAME --role operator" and set MAMORU_TOKEN`);
    if (res.status === 403) throw new UsageError(`the daemon at ${t.base} refused: ${said ?? 'not allowed'} (the token's role is too weak for this)`);
    throw new UsageError(said ?? `the daemon answered HTTP ${res.status}`);
  }
  return body;
}
