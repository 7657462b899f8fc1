/**
 * sqlite: the default store, one file (better-sqlite3, WAL) under ./data/. This file only opens
 * the database, with errors that say which path and what to do; every query is shared with the
 * other stores in kysely-store.ts.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type Insertable, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import type { Database, ResultsTable } from './database.ts';
import { StoreOpenError } from './errors.ts';
import { openKyselyStore } from './kysely-store.ts';
import { defineStore } from './types.ts';

export const schema = z.strictObject({
  path: z.string().min(1).default('./data/mamoru.db').meta({ description: 'database file (its directory is created if missing); ":memory:" keeps nothing' }),
  retention_raw: duration('how long raw results are kept (rollups outlive them)').prefault('48h'),
  retention_minute: duration('how long per-minute rollups are kept').prefault('30d'),
  retention_hour: duration('how long per-hour rollups are kept').prefault('400d'),
  flush_interval: duration('longest a result waits before it is written').prefault('1s'),
  flush_rows: z.number().int().min(1).default(500).meta({ description: 'results written per transaction; a full batch is written at once' }),
});

export type SqliteOptions = z.output<typeof schema>;

// Kysely prepares every query afresh; the store repeats a handful of statements thousands of
// times a second, so keep the prepared ones (bounded: the SQL text varies only by batch size).
const MAX_CACHED_STATEMENTS = 256;

function withStatementCache(db: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = db.prepare(text) as unknown as SqliteStatement;
        if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
        cache.set(text, stmt);
      }
      return stmt;
    },
  };
}

function whatToDo(dir: string): string {
  const uid = process.getuid?.();
  return `Create ${dir} and make it writable by the user mamoru runs as${uid === undefined ? '' : ` (uid ${uid})`}, or set store.path to a file in a writable directory.`;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}: ${err.message}` : String(err?.message ?? e);
}

/** Checks, before SQLite gives its terse "unable to open database file", that the path can work. */
function prepareFile(file: string): void {
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new StoreOpenError(file, `cannot create the directory ${dir} (${reason(e)})`, whatToDo(dir), { cause: e });
  }
  // SQLite writes the -wal and -shm files beside the database, so the directory must be writable too.
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw new StoreOpenError(file, `the directory ${dir} is not writable (${reason(e)})`, whatToDo(dir), { cause: e });
  }
  if (existsSync(file)) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
    } catch (e) {
      throw new StoreOpenError(file, `the file is not readable and writable (${reason(e)})`, `Give the user mamoru runs as read and write access to ${file}, or set store.path to another file.`, { cause: e });
    }
  }
}

/**
 * The hot write path: one prepared INSERT run per row inside one transaction. About three times
 * cheaper per result than building multi-row inserts through the query builder, and it is what
 * every check's result goes through. The table is created by the migrations before first use.
 * Returns false (and writes nothing) when it cannot take the batch now.
 */
function resultInserter(db: BetterSqlite3.Database): (rows: Insertable<ResultsTable>[]) => boolean {
  let insert: BetterSqlite3.Statement | undefined;
  let many: ((rows: Insertable<ResultsTable>[]) => void) | undefined;
  return (rows) => {
    // Inside the query builder's open transaction (a maintain() pass between its awaits) the rows
    // would join that transaction: leave them to the query builder, which waits its turn.
    if (db.inTransaction) return false;
    if (!many) {
      insert = db.prepare(
        'INSERT INTO results (check_id, target, state, text, perfdata, perf_value, long_output, started_at, duration_ms) VALUES (@check_id, @target, @state, @text, @perfdata, @perf_value, @long_output, @started_at, @duration_ms)',
      );
      const stmt = insert;
      many = db.transaction((batch: Insertable<ResultsTable>[]) => {
        for (const row of batch) stmt.run(row);
      });
    }
    many(rows);
    return true;
  };
}

function openDatabase(file: string): BetterSqlite3.Database {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(file);
    db.pragma('busy_timeout = 5000');
    if (file !== ':memory:') {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') throw new Error(`SQLite refused WAL mode (journal_mode is ${String(mode)})`);
    }
    // NORMAL is safe in WAL mode: a crash of mamoru loses nothing, a power cut at most the last
    // commits, and each commit no longer waits for the disk.
    db.pragma('synchronous = NORMAL');
    return db;
  } catch (e) {
    db?.close();
    const code = (e as { code?: string }).code;
    const hint =
      code === 'SQLITE_NOTADB'
        ? `${file} is not an SQLite database: move it away or set store.path to another file.`
        : code === 'SQLITE_READONLY' || code === 'SQLITE_CANTOPEN'
          ? whatToDo(dirname(file))
          : 'Check the file and its directory, or set store.path to another file.';
    throw new StoreOpenError(file, reason(e), hint, { cause: e });
  }
}

export default defineStore({
  type: 'sqlite',
  summary: 'one SQLite file (WAL), the default: ./data/mamoru.db',
  schema,
  async create(options, ctx) {
    const memory = options.path === ':memory:';
    const file = memory ? ':memory:' : resolve(options.path);
    if (!memory) prepareFile(file);
    const sqlite = openDatabase(file);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    const store = await openKyselyStore(db, {
      type: 'sqlite',
      dialect: 'sqlite',
      location: file,
      retention: { rawMs: options.retention_raw, minuteMs: options.retention_minute, hourMs: options.retention_hour },
      flushMs: options.flush_interval,
      flushRows: options.flush_rows,
      log: ctx.log,
      clock: ctx.clock,
      migrations: ctx.migrations,
      insertResults: resultInserter(sqlite),
    });
    ctx.log.info({ store: file, schemaVersion: store.schemaVersion }, 'store opened');
    return store;
  },
});
