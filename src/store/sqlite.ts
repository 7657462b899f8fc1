/**
 * sqlite: the default store, one file (better-sqlite3, WAL) under ./data/. This file only opens
 * the database, with errors that say which path and what to do; every query is shared with the
 * other stores in kysely-store.ts.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import type { Database } from './database.ts';
import { StoreOpenError } from './errors.ts';
import { openKyselyStore } from './kysely-store.ts';
import { InThreadSink, lazySink, WorkerSink, type ResultSink } from './result-sink.ts';
import type { Retention } from './rollup.ts';
import { defineStore } from './types.ts';

export const schema = z.strictObject({
  path: z.string().min(1).default('./data/mamoru.db').meta({ description: 'database file (its directory is created if missing); ":memory:" keeps nothing' }),
  retention_raw: duration('how long raw results that were a problem (WARNING, CRITICAL, UNKNOWN) are kept (rollups outlive them)').prefault('48h'),
  // At least an hour: the check page's 1 h plot is drawn from raw results.
  retention_ok: duration('how long raw OK results are kept, at most retention_raw: the check page lists them and plots its last hour from them; the rollups count every result anyway', { min: 3_600_000 }).prefault('2h'),
  retention_minute: duration('how long per-minute rollups are kept').prefault('30d'),
  retention_hour: duration('how long per-hour rollups are kept').prefault('400d'),
  flush_interval: duration('longest a result waits before it is written').prefault('1s'),
  flush_rows: z.number().int().min(1).default(500).meta({ description: 'results written per transaction; a full batch is written at once' }),
});

export type SqliteOptions = z.output<typeof schema>;

// Kysely prepares every query afresh; the store repeats a handful of statements thousands of
// times a second, so keep the prepared ones (bounded: the SQL text varies only by batch size).
const MAX_CACHED_STATEMENTS = 256;

/**
 * The main connection's statements, cached; each statement that writes raises `wants` while it
 * runs. The writer thread starts no transaction while it is raised (result-writer.ts): SQLite's
 * busy wait on this thread is synchronous, and a writer thread busy with a backlog would
 * otherwise win the lock again and again while this thread sleeps between tries.
 */
function withStatementCache(db: BetterSqlite3.Database, wants: Int32Array): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  const writing = <T>(fn: () => T): T => {
    Atomics.add(wants, 0, 1);
    try {
      return fn();
    } finally {
      Atomics.sub(wants, 0, 1);
      Atomics.notify(wants, 0);
    }
  };
  const wrap = (raw: BetterSqlite3.Statement): SqliteStatement => {
    const stmt = raw as unknown as SqliteStatement;
    if (raw.readonly) return stmt;
    return {
      reader: stmt.reader,
      all: (p) => writing(() => stmt.all(p)),
      run: (p) => writing(() => stmt.run(p)),
      iterate: (p) => writing(() => [...stmt.iterate(p)][Symbol.iterator]()),
    };
  };
  return {
    close: () => db.close(),
    prepare(text: string): SqliteStatement {
      let stmt = cache.get(text);
      if (!stmt) {
        stmt = wrap(db.prepare(text));
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
    const wants = new Int32Array(new SharedArrayBuffer(4));
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite, wants) }) });
    const retention: Retention = { rawMs: options.retention_raw, okMs: options.retention_ok, minuteMs: options.retention_minute, hourMs: options.retention_hour };
    const inThread = () => new InThreadSink(sqlite, retention);
    const results = async (): Promise<ResultSink> => {
      // A :memory: database is private to its connection: no other thread can write it.
      if (memory) return inThread();
      return lazySink(async () => {
        try {
          return await WorkerSink.start(file, retention, wants, inThread, ctx.log);
        } catch (err) {
          ctx.log.warn({ err, store: file }, 'store writer thread could not start; results are written on the main thread');
          return inThread();
        }
      });
    };
    const store = await openKyselyStore(db, {
      type: 'sqlite',
      dialect: 'sqlite',
      location: file,
      flushMs: options.flush_interval,
      flushRows: options.flush_rows,
      log: ctx.log,
      clock: ctx.clock,
      migrations: ctx.migrations,
      results,
    });
    ctx.log.info({ store: file, schemaVersion: store.schemaVersion }, 'store opened');
    return store;
  },
});
