/** Schema version 3: the guard's bans, so they survive a restart and are re-applied at start. */
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db) {
    await db.schema
      .createTable('bans')
      .addColumn('ban_key', 'text', (c) => c.primaryKey())
      .addColumn('address', 'text', (c) => c.notNull())
      .addColumn('port', 'integer')
      .addColumn('proto', 'text')
      .addColumn('jail', 'text', (c) => c.notNull())
      .addColumn('reason', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('until', 'bigint')
      .addColumn('ban_count', 'integer', (c) => c.notNull())
      .addColumn('enrichment', 'text')
      .execute();
    await db.schema.createIndex('bans_address').on('bans').column('address').execute();
  },
  async down(db) {
    await db.schema.dropTable('bans').execute();
  },
};

export default migration;
