/**
 * Schema version 6: the durable outbox and the approvals waiting for a person. `outbox` holds the
 * news a contact must be told (written before the settle timer starts, JSON of what compose needs
 * to write the message again after a restart), `outbox_deliveries` one row per news, contact and
 * channel: written `sending` before a message goes out, then `delivered` or `failed` (given up
 * after the retries). Rows of one message share its idempotency key. `approvals` keeps the
 * questions to a person across a restart.
 */
import { sql } from 'kysely';
import { withId } from './columns.ts';
import type { StoreMigration } from './index.ts';

const migration: StoreMigration = {
  async up(db, dialect) {
    await withId(db.schema.createTable('outbox'), dialect)
      .addColumn('incident_id', 'bigint', (c) => c.notNull())
      .addColumn('event', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('news', 'text', (c) => c.notNull())
      // Set once every delivery of the news is final; null while something may still be owed.
      .addColumn('done_at', 'bigint')
      .execute();
    await db.schema.createIndex('outbox_open').on('outbox').column('id').where(sql.ref('done_at'), 'is', null).execute();
    await db.schema.createIndex('outbox_done').on('outbox').column('done_at').execute();

    await db.schema
      .createTable('outbox_deliveries')
      .addColumn('outbox_id', 'bigint', (c) => c.notNull())
      .addColumn('contact', 'text', (c) => c.notNull())
      .addColumn('channel', 'integer', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('done_at', 'bigint')
      .addColumn('error', 'text')
      .addPrimaryKeyConstraint('outbox_deliveries_pk', ['outbox_id', 'contact', 'channel'])
      .execute();
    await db.schema.createIndex('outbox_deliveries_key').on('outbox_deliveries').column('key').execute();

    await db.schema
      .createTable('approvals')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('action', 'text', (c) => c.notNull())
      .addColumn('target', 'text', (c) => c.notNull())
      .addColumn('service', 'text', (c) => c.notNull())
      .addColumn('text', 'text', (c) => c.notNull())
      .addColumn('requested_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('decided_by', 'text')
      .addColumn('decided_at', 'bigint')
      .execute();
    await db.schema.createIndex('approvals_status').on('approvals').columns(['status', 'requested_at']).execute();
  },
  async down(db) {
    for (const t of ['approvals', 'outbox_deliveries', 'outbox']) await db.schema.dropTable(t).execute();
  },
};

export default migration;
