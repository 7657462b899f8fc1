/**
 * The web room's and the auth room's config: where the console listens and how, who may reach it
 * (host names, TLS), and how people log in (session lifetimes, login limits, the auth log that
 * mamoru's own guard reads, the command line's local token).
 */
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { BOUNDS } from './bounds.ts';
import { BIND_PATTERN } from './address.ts';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** Is this bind address reachable only from this machine? */
export const isLoopbackHost = (host: string) => LOOPBACK.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);

const BIND = new RegExp(BIND_PATTERN);

export const webSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    host: z
      .string()
      .regex(new RegExp(BIND_PATTERN), { error: (i) => `expected an address to listen on (127.0.0.1, ::1, 0.0.0.0) or a name of this machine, got "${String(i.input).slice(0, 80)}"` })
      .default('127.0.0.1').meta({ description: 'address to listen on (loopback by default); any other needs web.tls, or web.insecure_http: true on purpose' }),
    port: z.number().int().min(0).max(65535).default(8484),
    hostnames: z
      .array(z.string().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'expected a host name or address'))
      .max(100)
      .default([])
      .meta({ description: 'names the console is reached by (the Host header); the bound address, localhost and 127.0.0.1 are always accepted' }),
    tls: z
      .strictObject({
        cert_file: z.string().min(1).meta({ description: 'PEM certificate chain' }),
        key_file: z.string().min(1).meta({ description: 'PEM private key' }),
      })
      .optional()
      .meta({ description: 'serve HTTPS with these files' }),
    insecure_http: z.boolean().default(false).meta({ description: 'allow plain HTTP on an address other than loopback (passwords and sessions travel in clear; a warning at every start)' }),
    metrics_token_secret: z.string().min(1).optional().meta({ description: 'secret holding the bearer token /metrics requires; without it /metrics answers loopback only' }),
    body_limit: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).meta({ description: 'largest request body in bytes (413 past it)' }),
  })
  .superRefine((w, ctx) => {
    if (w.enabled && BIND.test(w.host) && !isLoopbackHost(w.host) && !w.tls && !w.insecure_http)
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: `web.host "${w.host}" is reachable from other machines, where passwords and sessions would travel in clear: set web.tls { cert_file, key_file }, or web.insecure_http: true if something in front of mamoru encrypts it`,
      });
  })
  .prefault({});

export const authSchema = z
  .strictObject({
    session_idle: duration('a session unused this long is ended', BOUNDS.long).default(30 * 60_000),
    session_max: duration('a session is ended this long after login, used or not', BOUNDS.long).default(12 * 3600_000),
    login_limit: z
      .strictObject({
        per_address: z.number().int().min(1).max(10_000).default(10).meta({ description: 'failed logins from one address within the window before it is refused' }),
        per_user: z.number().int().min(1).max(10_000).default(10).meta({ description: 'failed logins for one user name within the window before it is refused' }),
        window: duration('how long failed logins are counted', BOUNDS.long).default(15 * 60_000),
      })
      .prefault({}),
    log_file: z.string().optional().meta({ description: 'login lines for the guard (filter "mamoru-auth"); default auth.log in the data directory (beside the SQLite file); "" writes none' }),
    cli_token_file: z.string().min(1).optional().meta({ description: 'token (mode 0600) the command line on this machine uses to talk to the daemon; default cli.token in the data directory' }),
  })
  .prefault({})
  .meta({ description: 'accounts, sessions and tokens of the console and the API' });

/**
 * Where the auth log and the command line's token live: as configured, else in the data directory
 * (the SQLite file's directory, else ./data). A store kept in memory has no data directory: then
 * nothing is written unless configured.
 */
export function authPaths(cfg: { store: Record<string, unknown>; auth: { log_file?: string | undefined; cli_token_file?: string | undefined } }): { logFile: string | undefined; cliTokenFile: string | undefined } {
  const storePath = cfg.store['type'] === 'sqlite' && typeof cfg.store['path'] === 'string' ? cfg.store['path'] : undefined;
  const dir = storePath === ':memory:' ? undefined : storePath !== undefined ? dirname(storePath) : './data';
  const logFile = cfg.auth.log_file === '' ? undefined : (cfg.auth.log_file ?? (dir === undefined ? undefined : join(dir, 'auth.log')));
  const cliTokenFile = cfg.auth.cli_token_file ?? (dir === undefined ? undefined : join(dir, 'cli.token'));
  return { logFile, cliTokenFile };
}
