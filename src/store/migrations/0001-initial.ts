/**
 * Schema version 1: raw results, minute and hour rollups, check states, config revisions and
 * the store's own small numbers. Portable DDL only (SQLite and PostgreSQL alike), except the
 * auto-increment id, which each dialect spells its own way.
 */
import type { Kysely } from 'kysely';
import { withId } from './columns.ts';
import type { StoreMigration } from './index.ts';

async function createRollups(db: Kysely<any>, table: string): Promise<void> {
  await db.schema
    .createTable(table)
    .addColumn('check_id', 'text', (c) => c.notNull())
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('bucket_start', 'bigint', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('warning', 'integer', (c) => c.notNull())
    .addColumn('critical', 'integer', (c) => c.notNull())
    .addColumn('unknown', 'integer', (c) => c.notNull())
    .addColumn('duration_min', 'double precision', (c) => c.notNull())
    .addColumn('duration_sum', 'double precision', (c) => c.notNull())
    .addColumn('duration_max', 'double precision', (c) => c.notNull())
    .addColumn('perf_count', 'integer', (c) => c.notNull())
    .addColumn('perf_min', 'double precision')
    .addColumn('perf_sum', 'double precision')
    .addColumn('perf_max', 'double precision')
    .addPrimaryKeyConstraint(`${table}_pk`, ['check_id', 'target', 'bucket_start'])
    .execute();
  // Retention deletes by age across all checks.
  await db.schema.createIndex(`${table}_bucket_start`).on(table).column('bucket_start').execute();
}

const migration: StoreMigration = {
  async up(db, dialect) {
    await withId(db.schema.createTable('results'), dialect)
      .addColumn('check_id', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('state', 'integer', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('perfdata', 'text')
      .addColumn('perf_value', 'double precision')
      .addColumn('long_output', 'text')
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('duration_ms', 'double precision', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('results_check_started').on('results').columns(['check_id', 'started_at']).execute();
    await db.schema.createIndex('results_started').on('results').column('started_at').execute();

    await createRollups(db, 'rollups_minute');
    await createRollups(db, 'rollups_hour');

    await db.schema
      .createTable('check_states')
      .addColumn('check_id', 'text', (c) => c.primaryKey())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('state', 'integer', (c) => c.notNull())
      .addColumn('state_type', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('last_result', 'text', (c) => c.notNull())
      .addColumn('last_change', 'bigint', (c) => c.notNull())
      .addColumn('last_check', 'bigint', (c) => c.notNull())
      .execute();

    await withId(db.schema.createTable('config_revisions'), dialect)
      .addColumn('sha256', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('bytes', 'integer', (c) => c.notNull())
      .addColumn('loaded_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('store_meta')
      .addColumn('key', 'text', (c) => c.primaryKey())
      .addColumn('value', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    for (const t of ['store_meta', 'config_revisions', 'check_states', 'rollups_hour', 'rollups_minute', 'results']) await db.schema.dropTable(t).execute();
  },
};

export default migration;
