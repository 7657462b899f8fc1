/**
 * Schema version 5: accounts. Users (unique name), server-side sessions keyed by the sha256 of
 * their id, API tokens stored as the sha256 of the token (a name is unique among tokens not
 * revoked, so a revoked name can be used again), and the append-only audit trail.
 */
import { sql } from 'kysely';
import { withId } from './columns.ts';
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db, dialect) {
    await withId(db.schema.createTable('users'), dialect)
      .addColumn('name', 'text', (c) => c.notNull().unique())
      .addColumn('role', 'text', (c) => c.notNull())
      // JSON Scope; null is everything.
      .addColumn('scope', 'text')
      .addColumn('password_hash', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('password_changed_at', 'bigint', (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('sessions')
      .addColumn('id_hash', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'bigint', (c) => c.notNull())
      .addColumn('csrf', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

    await withId(db.schema.createTable('tokens'), dialect)
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('user_id', 'bigint')
      .addColumn('role', 'text', (c) => c.notNull())
      .addColumn('scope', 'text')
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .addColumn('last_used_at', 'bigint')
      .execute();
    // A partial index: both SQLite and PostgreSQL have them.
    await db.schema.createIndex('tokens_live_name').on('tokens').column('name').unique().where(sql.ref('revoked_at'), 'is', null).execute();
    await db.schema.createIndex('tokens_user').on('tokens').column('user_id').execute();

    await withId(db.schema.createTable('audit'), dialect)
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('address', 'text')
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('subject', 'text', (c) => c.notNull())
      .addColumn('detail', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('audit_at').on('audit').column('at').execute();
  },
  async down(db) {
    for (const t of ['audit', 'tokens', 'sessions', 'users']) await db.schema.dropTable(t).execute();
  },
};

export default migration;
