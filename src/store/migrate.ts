/**
 * Brings a database to the schema this code knows, at open. A database that already has
 * migrations this code lacks was written by a newer mamoru and is refused before anything is
 * touched; Kysely alone would only call it "corrupted".
 */
import { Migrator, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { StoreOpenError, StoreSchemaTooNewError } from './errors.ts';
import { migrationProvider, versionOf, type SqlDialect, type StoreMigration } from './migrations/index.ts';
import type { Database } from './database.ts';

// Kysely's own bookkeeping table; the name is fixed forever once a database exists.
const MIGRATION_TABLE = 'kysely_migration';

async function appliedMigrations(db: Kysely<any>): Promise<string[]> {
  const tables = await db.introspection.getTables({ withInternalKyselyTables: true });
  if (!tables.some((t) => t.name === MIGRATION_TABLE)) return [];
  const rows = await db.selectFrom(MIGRATION_TABLE).select('name').execute();
  return rows.map((r) => String(r.name));
}

/**
 * Runs pending migrations and returns the schema version, also written to
 * `store_meta.schema_version` so it can be seen with any SQL client.
 */
export async function migrate(db: Kysely<Database>, opts: { dialect: SqlDialect; location: string; set: Record<string, StoreMigration>; log: Logger }): Promise<number> {
  const known = Object.keys(opts.set).sort();
  const knownVersion = Math.max(0, ...known.map(versionOf));
  const applied = await appliedMigrations(db);
  const unknown = applied.filter((name) => !known.includes(name)).sort();
  if (unknown.length > 0) {
    throw new StoreSchemaTooNewError(opts.location, Math.max(...applied.map(versionOf)), knownVersion, unknown);
  }

  const migrator = new Migrator({ db, provider: migrationProvider(opts.dialect, opts.set), migrationTableName: MIGRATION_TABLE });
  const { error, results = [] } = await migrator.migrateToLatest();
  for (const r of results) {
    if (r.status === 'Success') opts.log.info({ migration: r.migrationName, store: opts.location }, 'store schema migrated');
  }
  if (error) {
    const failed = results.find((r) => r.status === 'Error')?.migrationName;
    throw new StoreOpenError(
      opts.location,
      `schema migration${failed ? ` ${failed}` : ''} failed: ${(error as Error)?.message ?? String(error)}`,
      'The database was left at its previous schema version; report this with the message above.',
      { cause: error },
    );
  }

  const version = Math.max(0, ...[...applied, ...results.map((r) => r.migrationName)].map(versionOf));
  await db
    .insertInto('store_meta')
    .values({ key: 'schema_version', value: version })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value: version }))
    .execute();
  return version;
}
