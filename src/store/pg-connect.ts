/**
 * Reaching a PostgreSQL server for the postgres store: what a `store.url` may say, how it is
 * shown (never with a password), and what a failed connection means to the operator. The
 * password itself is only ever a secret's value: a url that carries one is refused, because the
 * config text is kept in the store's config revisions and shown to administrators.
 */
import type pg from 'pg';
import { StoreOpenError } from './errors.ts';

/** libpq's sslmode words, as pg's `ssl` option: require encrypts, verify-full also checks the certificate and name. */
const SSL_MODES: Record<string, pg.ClientConfig['ssl']> = { disable: false, require: { rejectUnauthorized: false }, 'verify-full': true };

/** Why a url cannot be used; undefined when it can. */
export function urlProblem(text: string): string | undefined {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return 'expected a url like "postgres://mamoru@db.example.com:5432/mamoru"';
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return `expected a postgres:// url, got "${u.protocol}//"`;
  if (u.password) return 'the url must not hold a password (it would be stored with every config revision): name a secret in password_secret instead';
  if (!u.hostname && !u.searchParams.get('host')) return 'the url names no host';
  if (!/^\/[^/]+$/.test(u.pathname)) return 'the url must end with the database name, like ".../mamoru"';
  for (const [key, value] of u.searchParams) {
    if (key === 'sslmode' && !Object.hasOwn(SSL_MODES, value)) return `sslmode must be one of ${Object.keys(SSL_MODES).join(', ')}, got "${value.slice(0, 40)}"`;
    if (key !== 'sslmode' && key !== 'host') return `the url may set only sslmode and host (a socket directory, in place of the url's host), not "${key.slice(0, 40)}"`;
  }
  return undefined;
}

/**
 * pg's connection settings from a url urlProblem accepted. Built here, not by pg from the
 * string: pg lets a connection string's (absent) password override the one given beside it.
 */
export function clientConfig(text: string): pg.ClientConfig {
  const u = new URL(text);
  const host = u.searchParams.get('host') ?? u.hostname.replace(/^\[(.*)\]$/, '$1');
  const sslmode = u.searchParams.get('sslmode');
  return {
    host,
    port: u.port ? Number(u.port) : 5432,
    database: decodeURIComponent(u.pathname.slice(1)),
    ...(u.username ? { user: decodeURIComponent(u.username) } : {}),
    ...(sslmode ? { ssl: SSL_MODES[sslmode] } : {}),
  };
}

/** The url as errors and logs show it: user, host, port and database; of the query string only a socket directory. */
export function publicLocation(text: string): string {
  try {
    const u = new URL(text);
    const socket = u.searchParams.get('host');
    u.password = '';
    u.search = socket ? `host=${socket}` : '';
    u.hash = '';
    if (!u.port) u.port = '5432';
    return u.toString();
  } catch {
    return 'postgres (unreadable url)';
  }
}

// pg's type id of int8 (bigint).
const INT8 = 20;

/** `int8` (ids, ms timestamps, counts) as numbers, as SQLite hands them back; every one fits in 2^53. */
export function pgTypes(driver: typeof pg): pg.CustomTypesConfig {
  return {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 && format !== 'binary' ? Number : driver.types.getTypeParser(oid, format as 'text'))) as pg.CustomTypesConfig['getTypeParser'],
  };
}

/** The hint for a pg or network error: what the operator can change. */
function hintFor(code: string | undefined, where: { host: string; database: string; user: string }): string {
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Check that PostgreSQL runs and accepts connections on ${where.host}, or fix store.url.`;
    case '3D000':
      return `Create the database first (createdb -O ${where.user} ${where.database}), or fix the database name in store.url.`;
    case '28P01':
    case '28000':
      return `Check the password in the secret named by store.password_secret and the server's pg_hba.conf entry for user ${where.user}.`;
    case '42501':
      return `Give user ${where.user} the right to create tables in ${where.database} (or run mamoru as the database's owner).`;
    default:
      return 'Check store.url, the server and its log.';
  }
}

/**
 * A connection failure as a StoreOpenError naming the server and database (never the password);
 * `secret` is scrubbed from the reason in case a driver ever echoes it.
 */
export function connectError(url: string, err: unknown, secret: string | undefined): StoreOpenError {
  const location = publicLocation(url);
  const e = err as { code?: string; message?: string; errors?: { code?: string; message?: string }[] };
  // A host with several addresses fails as an AggregateError: its first error says enough.
  const first = e?.errors?.[0] ?? e;
  const code = first?.code ?? e?.code;
  let reason = String(first?.message || e?.message || err);
  if (code && !reason.includes(code)) reason = `${code}: ${reason}`;
  if (secret) reason = reason.split(secret).join('***');
  let where = { host: location, database: '?', user: '?' };
  try {
    const u = new URL(url);
    where = { host: `${u.searchParams.get('host') ?? u.hostname}:${u.port || 5432}`, database: decodeURIComponent(u.pathname.slice(1)), user: decodeURIComponent(u.username) || process.env.USER || 'postgres' };
  } catch {
    // publicLocation already says the url is unreadable.
  }
  // The cause keeps the driver's error for a debugger; its text was checked above, its config holds no password.
  return new StoreOpenError(location, `cannot connect: ${reason}`, hintFor(code, where), { cause: err });
}
