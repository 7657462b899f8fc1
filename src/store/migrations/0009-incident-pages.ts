/**
 * Schema version 9: the indexes the incident list's keyset pages walk (newest first by
 * `opened_at`, then `id`), overall and within a status, a target or a kind, so a page reads
 * only its own rows however many incidents are stored (store/incident-queries.ts).
 */
import type { StoreMigration } from './index.ts';

const INDEXES = [
  ['incidents_opened', ['opened_at', 'id']],
  ['incidents_status_opened', ['status', 'opened_at', 'id']],
  ['incidents_target_opened', ['target', 'opened_at', 'id']],
  ['incidents_kind_opened', ['kind', 'opened_at', 'id']],
] as const;

const migration: StoreMigration = {
  async up(db) {
    for (const [name, columns] of INDEXES) await db.schema.createIndex(name).on('incidents').columns([...columns]).execute();
  },
  async down(db) {
    for (const [name] of INDEXES) await db.schema.dropIndex(name).execute();
  },
};

export default migration;
