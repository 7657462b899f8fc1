/**
 * Moves an installation from its SQLite file to a PostgreSQL database (`mamoru store copy`):
 * both are first brought to this mamoru's schema by opening them as stores (the SQLite side also
 * folds any results it had not rolled up), then every table is copied in batches inside ONE
 * PostgreSQL transaction, ids kept, so a copy that fails leaves the target as empty as it was
 * and a copy that succeeds is the same store: incidents keep their numbers, links and timelines.
 * The target must hold nothing yet: merging two histories would renumber what people refer to.
 */
import { existsSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { silentLogger } from '../core/log.ts';
import type { SecretLookup } from '../core/secrets.ts';
import { StoreOpenError } from './errors.ts';
import { clientConfig, connectError, pgTypes, publicLocation } from './pg-connect.ts';
import postgres from './postgres.ts';
import sqlite from './sqlite.ts';

/** What one call of `progress` reports: a table's rows copied so far out of its total. */
export interface CopyProgress {
  table: string;
  copied: number;
  total: number;
}

export interface CopyOptions {
  /** The SQLite file to read (left as it is apart from the migrations any mamoru runs on open). */
  from: string;
  /** The PostgreSQL database to fill: postgres://USER@HOST:PORT/DATABASE, without a password. */
  to: string;
  /** Names the secret with the target's password. */
  passwordSecret?: string | undefined;
  secret?: SecretLookup | undefined;
  /** Rows per INSERT. @defaultValue 1000 */
  batchRows?: number | undefined;
  progress?: ((p: CopyProgress) => void) | undefined;
}

export interface CopyReport {
  /** Rows copied per table, in the order copied. */
  tables: Record<string, number>;
  schemaVersion: number;
}

/** The copy cannot be done as asked (a target with data, schemas that differ). */
export class StoreCopyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreCopyError';
  }
}

// Bound parameters per statement: PostgreSQL's limit is 65,535.
const MAX_PARAMS = 60_000;
// The target's own: migrations wrote them already.
const SKIP = new Set(['kysely_migration', 'kysely_migration_lock']);
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function migrated(opts: CopyOptions): Promise<number> {
  const src = await sqlite.create(sqlite.schema.parse({ path: opts.from }), { log: silentLogger });
  const version = src.schemaVersion;
  await src.close();
  const config = postgres.schema.parse({ url: opts.to, ...(opts.passwordSecret ? { password_secret: opts.passwordSecret } : {}) });
  const dst = await postgres.create(config, { log: silentLogger, ...(opts.secret ? { secret: opts.secret } : {}) });
  const theirs = dst.schemaVersion;
  await dst.close();
  if (theirs !== version) throw new StoreCopyError(`the schemas differ: ${opts.from} is at version ${version}, the target at ${theirs}; copy with the mamoru that wrote the newer one`);
  return version;
}

/** Copies every table of the SQLite store at `from` into the empty PostgreSQL database at `to`. */
export async function copyStore(opts: CopyOptions): Promise<CopyReport> {
  // Opening a missing file as a store would create an empty one and copy nothing.
  if (!existsSync(opts.from)) throw new StoreCopyError(`${opts.from} does not exist: name the SQLite file of the installation to move (store.path in its config)`);
  const batchRows = opts.batchRows ?? 1_000;
  const schemaVersion = await migrated(opts);
  const password = opts.passwordSecret ? opts.secret?.(opts.passwordSecret) : undefined;
  const source = new BetterSqlite3(opts.from, { readonly: true, fileMustExist: true });
  const client = new pg.Client({ ...clientConfig(opts.to), ...(password === undefined ? {} : { password: () => password }), types: pgTypes(pg), application_name: 'mamoru store copy' });
  try {
    await client.connect();
  } catch (e) {
    source.close();
    throw connectError(opts.to, e, password);
  }
  const tables: Record<string, number> = {};
  try {
    const names = (source.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[]).filter((n) => !SKIP.has(n));
    const target = await client.query<{ table_name: string; column_name: string; is_identity: string }>("select table_name, column_name, is_identity from information_schema.columns where table_schema = current_schema()");
    const columnsOf = (t: string) => target.rows.filter((r) => r.table_name === t);
    await client.query('begin');
    for (const t of names) {
      const have = columnsOf(t);
      const cols = (source.prepare(`select name from pragma_table_info(?)`).pluck().all(t) as string[]);
      const missing = cols.filter((c) => !have.some((h) => h.column_name === c));
      if (have.length === 0 || missing.length) throw new StoreCopyError(`the target has no ${have.length === 0 ? `table ${t}` : `column ${t}.${missing.join(', ')}`}: it was not made by this mamoru's migrations`);
      if (t !== 'store_meta') {
        const held = await client.query(`select 1 from ${quote(t)} limit 1`);
        if (held.rowCount) throw new StoreCopyError(`the target already holds rows in ${t}: copy into an empty database (createdb, then run the copy again)`);
      }
      tables[t] = await copyTable(source, client, t, cols, have.some((h) => h.is_identity === 'YES'), batchRows, opts.progress);
    }
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => {});
    if (e instanceof StoreCopyError || e instanceof StoreOpenError) throw e;
    throw new StoreCopyError(`copying into ${publicLocation(opts.to)} failed, nothing was kept: ${(e as Error).message}`);
  } finally {
    source.close();
    await client.end().catch(() => {});
  }
  return { tables, schemaVersion };
}

async function copyTable(source: BetterSqlite3.Database, client: pg.Client, table: string, cols: string[], identity: boolean, batchRows: number, progress: CopyOptions['progress']): Promise<number> {
  // store_meta: the watermark comes along (its rows are folded already); the version is the target's own.
  const where = table === 'store_meta' ? " where key <> 'schema_version'" : '';
  const total = Number(source.prepare(`select count(*) from ${quote(table)}${where}`).pluck().get());
  const per = Math.max(1, Math.min(batchRows, Math.floor(MAX_PARAMS / cols.length)));
  const list = cols.map(quote).join(', ');
  const head = `insert into ${quote(table)} (${list})${identity ? ' overriding system value' : ''} values `;
  const tail = table === 'store_meta' ? ' on conflict (key) do update set value = excluded.value' : '';
  let copied = 0;
  let batch: unknown[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const values = batch.map((_, r) => `(${cols.map((_, c) => `$${r * cols.length + c + 1}`).join(', ')})`).join(', ');
    await client.query(head + values + tail, batch.flat());
    copied += batch.length;
    batch = [];
    progress?.({ table, copied, total });
  };
  // In id order where there is one, so the copy's own order is the original's.
  const order = cols.includes('id') ? ' order by id' : '';
  for (const row of source.prepare(`select ${list} from ${quote(table)}${where}${order}`).raw().iterate() as Iterable<unknown[]>) {
    batch.push(row);
    if (batch.length >= per) await flush();
  }
  await flush();
  if (copied === 0) progress?.({ table, copied, total });
  // Identity columns go on from the highest id copied, as SQLite's AUTOINCREMENT would.
  if (identity && copied > 0) await client.query(`select setval(pg_get_serial_sequence($1, 'id'), (select max(id) from ${quote(table)}))`, [table]);
  return copied;
}
