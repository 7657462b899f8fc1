/**
 * Schema version 8: a user's own reading settings for the console, their language (`en`, `ja`)
 * and IANA time zone. Null: not chosen (the browser's language, UTC).
 */
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db) {
    await db.schema.alterTable('users').addColumn('lang', 'text').execute();
    await db.schema.alterTable('users').addColumn('zone', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('users').dropColumn('zone').execute();
    await db.schema.alterTable('users').dropColumn('lang').execute();
  },
};

export default migration;
