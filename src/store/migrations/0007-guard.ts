/**
 * Schema version 7: what makes the guard crash-safe (issue 16). `guard_failures` holds each
 * failure a jail counted, keyed by the line it came from (file identity and byte offset, or the
 * journal cursor, with the line's hash), written before the log position moves past it, so a
 * restart counts exactly what was counted and a line read twice is not counted twice.
 * `guard_ban_notes` is a ban whose incident note is still owed: written with the ban (the intent,
 * before the kernel), removed once the attack incident has it; a restart notes the rest.
 */
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('guard_failures')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('jail', 'text', (c) => c.notNull())
      .addColumn('ban_key', 'text', (c) => c.notNull())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('filter', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('guard_failures_key').on('guard_failures').columns(['jail', 'ban_key']).execute();
    await db.schema.createIndex('guard_failures_at').on('guard_failures').column('at').execute();
    await db.schema
      .createTable('guard_ban_notes')
      .addColumn('ban_key', 'text', (c) => c.primaryKey())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .execute();
  },
  async down(db) {
    for (const t of ['guard_ban_notes', 'guard_failures']) await db.schema.dropTable(t).execute();
  },
};

export default migration;
