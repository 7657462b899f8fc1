/** Column helpers the migrations share (a helper may change; what a released migration creates may not). */
import type { CreateTableBuilder } from 'kysely';
import type { SqlDialect } from './index.ts';

/**
 * SQLite needs AUTOINCREMENT: without it a deleted highest rowid is reused, and the rollup
 * watermark (the last id folded in) would skip the new rows.
 */
export function withId<T extends string>(t: CreateTableBuilder<T, never>, dialect: SqlDialect): CreateTableBuilder<T, 'id'> {
  return dialect === 'postgres'
    ? t.addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    : t.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement());
}

