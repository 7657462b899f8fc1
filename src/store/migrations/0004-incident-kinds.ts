/**
 * Schema version 4: an incident's kind (`outage` or `attack`), its links to the incidents it
 * explains or is explained by, and an attack's bans (JSON, bounded, always read with the row).
 * Incidents from before keep `outage` and no links.
 */
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db) {
    // One column per statement: SQLite's ALTER TABLE adds one at a time.
    await db.schema.alterTable('incidents').addColumn('kind', 'text', (c) => c.notNull().defaultTo('outage')).execute();
    await db.schema.alterTable('incidents').addColumn('links', 'text').execute();
    await db.schema.alterTable('incidents').addColumn('attack', 'text').execute();
  },
  async down(db) {
    for (const c of ['attack', 'links', 'kind']) await db.schema.alterTable('incidents').dropColumn(c).execute();
  },
};

export default migration;
