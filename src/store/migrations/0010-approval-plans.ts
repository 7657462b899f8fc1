/**
 * Schema version 10: what an approval will do, as data (`plan`, JSON): the argv of each command it
 * runs and, for a config change, each file, directive, old and new value and backup. Null for the
 * rows written before (the console shows their one line of text).
 */
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db) {
    await db.schema.alterTable('approvals').addColumn('plan', 'text').execute();
  },
  async down(db) {
    await db.schema.alterTable('approvals').dropColumn('plan').execute();
  },
};

export default migration;
