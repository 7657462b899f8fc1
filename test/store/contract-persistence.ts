/**
 * The Store contract, part three: schema migrations. A new database gets the whole schema, a
 * reopened one keeps its data, an older one is upgraded in place, and one written by a newer
 * mamoru is refused with a message that says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StoreSchemaTooNewError } from '../../src/store/errors.ts';
import { migrations, versionOf, type StoreMigration } from '../../src/store/migrations/index.ts';
import { cannotReopen, result, T0, withStores, type HarnessFactory } from './contract.ts';

const latest = Math.max(...Object.keys(migrations).map(versionOf));

const addTable = (table: string): StoreMigration => ({
  async up(db) {
    await db.schema.createTable(table).addColumn('note', 'text').execute();
  },
});

/** `persistent`: the database survives close(); the upgrade tests need that and are left out otherwise. */
export function runPersistenceContract(factory: HarnessFactory, persistent: boolean): void {
  test('a new database gets the latest schema; reopening keeps the data and the version', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      assert.equal(store.schemaVersion, latest);
      await store.appendResults([result({ startedAt: T0 })]);
      await store.maintain(T0 + 60_000);
      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      assert.equal(again.schemaVersion, latest);
      assert.equal((await again.latestResults('web1/http')).length, 1);
      assert.equal((await again.maintain(T0 + 60_000)).rolledUp, 0, 'the rollup watermark survives a restart');
      assert.equal((await again.rollups('web1/http', 'minute', { from: T0, to: T0 + 60_000 }))[0]?.count, 1);
    }));

  if (!persistent) return;

  test('an older database is migrated in place when the code has a newer migration', (t) =>
    withStores(factory, async (open, h) => {
      const old = await open();
      await old.appendResults([result({ startedAt: T0 })]);
      await old.close();
      const next = `${String(latest + 1).padStart(4, '0')}-contract-test`;
      const upgraded = await open({}, { migrations: { ...migrations, [next]: addTable('contract_test_notes') } });
      assert.equal(upgraded.schemaVersion, latest + 1);
      assert.equal((await upgraded.latestResults('web1/http')).length, 1);
    }));

  test('a database from a newer mamoru is refused, naming both versions and the store', (t) =>
    withStores(factory, async (open, h) => {
      const future = await open({}, { migrations: { ...migrations, '9999-from-the-future': addTable('future_things') } });
      assert.equal(future.schemaVersion, 9999);
      const location = future.location;
      await future.close();
      await assert.rejects(open(), (e: unknown) => {
        assert.ok(e instanceof StoreSchemaTooNewError, String(e));
        assert.equal(e.databaseVersion, 9999);
        assert.equal(e.knownVersion, latest);
        assert.deepEqual(e.unknownMigrations, ['9999-from-the-future']);
        assert.ok(e.message.includes(location), e.message);
        assert.match(e.message, /newer mamoru/);
        return true;
      });
    }));
}
