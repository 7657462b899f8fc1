/**
 * Schema version 11: raw results are deleted by state and age (OK results sooner than problems:
 * `retention_ok`), so the age index leads with the state; a pass then reads only what it deletes,
 * never the problems kept longer. Replaces `results_started`, which nothing else read.
 */
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db) {
    await db.schema.createIndex('results_state_started').on('results').columns(['state', 'started_at']).execute();
    await db.schema.dropIndex('results_started').execute();
  },
  async down(db) {
    await db.schema.createIndex('results_started').on('results').column('started_at').execute();
    await db.schema.dropIndex('results_state_started').execute();
  },
};

export default migration;
