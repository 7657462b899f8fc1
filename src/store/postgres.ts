/**
 * postgres: the store on a PostgreSQL server (kysely + pg), for installations that outgrow one
 * file or run mamoru on more than one machine. This file opens the connection pool, with errors
 * that name the server and database (never the password) and say what to do; every query is
 * shared with sqlite in kysely-store.ts, results are written by pg-result-sink.ts.
 */
import { Kysely, PostgresDialect } from 'kysely';
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { secretsFromEnv } from '../core/secrets.ts';
import type { Database } from './database.ts';
import { StoreOpenError } from './errors.ts';
import { openKyselyStore } from './kysely-store.ts';
import { clientConfig, connectError, pgTypes, publicLocation, urlProblem } from './pg-connect.ts';
import { PgResultSink } from './pg-result-sink.ts';
import type { Retention } from './rollup.ts';
import { schema as sqliteSchema } from './sqlite.ts';
import { defineStore } from './types.ts';

// Retention and batching mean the same on every store: one definition, so the two cannot drift.
const shared = sqliteSchema.pick({ retention_raw: true, retention_ok: true, retention_minute: true, retention_hour: true, flush_interval: true, flush_rows: true });

export const schema = z.strictObject({
  url: z
    .string()
    .max(2048)
    .superRefine((v, ctx) => {
      const problem = urlProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .meta({ description: 'the server and database, postgres://USER@HOST:PORT/DATABASE, optionally ?sslmode=require or verify-full (no password here: see password_secret); the database must exist, mamoru creates its tables' }),
  password_secret: z.string().min(1).max(200).optional().meta({ description: "name of the secret holding the user's password; absent: no password (trust, peer or a client certificate)" }),
  pool_size: z.number().int().min(2).max(100).default(10).meta({ description: 'connections kept open to the server (results are written on some while queries use the others)' }),
  connect_timeout: duration('how long to wait for the server to accept a connection before giving up', { min: 100, max: 600_000 }).prefault('10s'),
  ...shared.shape,
});

export type PostgresOptions = z.output<typeof schema>;

export default defineStore({
  type: 'postgres',
  summary: 'a PostgreSQL database (kysely + pg): postgres://mamoru@db.example.com/mamoru',
  schema,
  async create(options, ctx) {
    const location = publicLocation(options.url);
    let password: string | undefined;
    if (options.password_secret !== undefined) {
      try {
        password = (ctx.secret ?? secretsFromEnv)(options.password_secret);
      } catch (e) {
        throw new StoreOpenError(location, `cannot read the password: ${(e as Error).message}`, 'Define the secret named by store.password_secret under "secrets:" (a file readable by mamoru, or an environment variable).', { cause: e });
      }
    }
    // Loaded here, not with the registry: `mamoru check` reads the config schema and never needs pg.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      ...clientConfig(options.url),
      // A function: the password never sits in a config object a debugger or a log could print.
      ...(password === undefined ? {} : { password: () => password! }),
      max: options.pool_size,
      connectionTimeoutMillis: options.connect_timeout,
      types: pgTypes(pg),
      application_name: 'mamoru',
    });
    // An idle connection the server dropped must not end the daemon: the pool makes a new one.
    pool.on('error', (err) => ctx.log.warn({ err: { message: String(err.message).split(password || '\u0000').join('***'), code: (err as { code?: string }).code }, store: location }, 'store: an idle PostgreSQL connection failed'));
    try {
      const c = await pool.connect();
      c.release();
    } catch (e) {
      await pool.end().catch(() => {});
      throw connectError(options.url, e, password);
    }

    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    const retention: Retention = { rawMs: options.retention_raw, okMs: options.retention_ok, minuteMs: options.retention_minute, hourMs: options.retention_hour };
    const store = await openKyselyStore(db, {
      type: 'postgres',
      dialect: 'postgres',
      location,
      flushMs: options.flush_interval,
      flushRows: options.flush_rows,
      log: ctx.log,
      clock: ctx.clock,
      migrations: ctx.migrations,
      results: async () => new PgResultSink(pool, retention, ctx.log),
    });
    ctx.log.info({ store: location, schemaVersion: store.schemaVersion }, 'store opened');
    return store;
  },
});
