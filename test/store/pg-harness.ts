/**
 * Test helper: databases of their own on the machine's PostgreSQL (127.0.0.1:5432, user postgres,
 * trust on loopback), `mamoru_test_<pid>_<n>`, created and dropped with pg directly. A server
 * that cannot be reached fails the test with what is needed: PostgreSQL is a prerequisite here,
 * in CI and elsewhere alike.
 */
import { after } from 'node:test';
import pg from 'pg';

export const SERVER = 'postgres://postgres@127.0.0.1:5432';
let n = 0;
const made = new Set<string>();

/** A client on the server's own database, for CREATE and DROP DATABASE. */
export async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: `${SERVER}/postgres`, connectionTimeoutMillis: 5_000 });
  try {
    await c.connect();
  } catch (e) {
    throw new Error(`PostgreSQL is not reachable at 127.0.0.1:5432 as user postgres (${(e as Error).message}); these tests need it running with trust auth for loopback`, { cause: e });
  }
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** A new empty database; its name. */
export async function createDatabase(): Promise<string> {
  const name = `mamoru_test_${process.pid}_${++n}`;
  await admin((c) => c.query(`create database ${name}`));
  made.add(name);
  return name;
}

export async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`drop database if exists ${name} with (force)`));
  made.delete(name);
}

/** Runs `fn` with a client on `url`, closed after. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

// A test that failed before its own cleanup still leaves no database behind.
after(async () => {
  for (const name of [...made]) await dropDatabase(name).catch(() => {});
});
