/**
 * Schema version 2: incidents and their append-only timeline. Members are kept as JSON in the
 * incident row (a handful per incident, always read together); events get a row each.
 */
import { withId } from './columns.ts';
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db, dialect) {
    await withId(db.schema.createTable('incidents'), dialect)
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('severity', 'text', (c) => c.notNull())
      .addColumn('title', 'text', (c) => c.notNull())
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('resolved_at', 'bigint')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('members', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('incidents_status').on('incidents').columns(['status', 'id']).execute();
    await withId(db.schema.createTable('incident_events'), dialect)
      .addColumn('incident_id', 'bigint', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('data', 'text')
      .execute();
    await db.schema.createIndex('incident_events_incident').on('incident_events').columns(['incident_id', 'id']).execute();
  },
  async down(db) {
    await db.schema.dropTable('incident_events').execute();
    await db.schema.dropTable('incidents').execute();
  },
};

export default migration;
