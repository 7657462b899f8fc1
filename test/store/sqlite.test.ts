/**
 * The sqlite store: the shared contract on a real file and in memory, then what only a file
 * store has: its options and defaults, WAL, the data directory, and clear errors for paths that
 * cannot work.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { silentLogger } from '../../src/core/log.ts';
import { stores, StoreOpenError, type Store } from '../../src/store/index.ts';
import { needs } from '../helpers/prereq.ts';
import { runStoreContract } from './contract.ts';

const sqlite = stores.sqlite;
const root = mkdtempSync(join(tmpdir(), 'mamoru-store-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
const open = (config: Record<string, unknown>) => sqlite.create(sqlite.schema.parse(config), { log: silentLogger });

runStoreContract('sqlite file', async () => {
  const dir = join(root, `contract-${++n}`);
  const path = join(dir, 'mamoru.db');
  return {
    persistent: true,
    open: (config = {}, ctx = {}) => sqlite.create(sqlite.schema.parse({ path, ...config }), { log: silentLogger, ...ctx }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}, { persistent: true });

runStoreContract('sqlite :memory:', async () => ({
  persistent: false,
  open: (config = {}, ctx = {}) => sqlite.create(sqlite.schema.parse({ path: ':memory:', ...config }), { log: silentLogger, ...ctx }),
  cleanup: async () => {},
}), { persistent: false });

describe('sqlite store', () => {
  test('options: defaults from the schema, durations parsed, unknown keys refused', () => {
    assert.deepEqual(sqlite.schema.parse({}), {
      path: './data/mamoru.db',
      retention_raw: 48 * 3_600_000,
      retention_ok: 2 * 3_600_000,
      retention_minute: 30 * 86_400_000,
      retention_hour: 400 * 86_400_000,
      flush_interval: 1_000,
      flush_rows: 500,
    });
    assert.equal(sqlite.schema.parse({ retention_raw: '6h' }).retention_raw, 6 * 3_600_000);
    const bad = sqlite.schema.safeParse({ retention_raw: 'two days' });
    assert.equal(bad.success, false);
    assert.match(bad.error!.issues[0]!.message, /expected a duration like/);
    assert.equal(sqlite.schema.safeParse({ pth: './x.db' }).success, false);
  });

  test('a schema 3 database is upgraded in place: its incidents read back as outages without links', async () => {
    const path = join(root, 'schema3', 'mamoru.db');
    const { migrations } = await import('../../src/store/migrations/index.ts');
    const three = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '0004'));
    const old = await sqlite.create(sqlite.schema.parse({ path }), { log: silentLogger, migrations: three });
    assert.equal(old.schemaVersion, 3);
    await old.close();
    const raw = new BetterSqlite3(path);
    raw.prepare("insert into incidents (target, status, severity, title, opened_at, resolved_at, updated_at, members) values ('web1', 'open', 'critical', 'web1: down', 1, null, 1, '[]')").run();
    raw.close();
    const store = await open({ path });
    try {
      assert.equal(store.schemaVersion, Object.keys(migrations).length);
      assert.deepEqual(await store.incidents(), [{ id: 1, target: 'web1', status: 'open', severity: 'critical', title: 'web1: down', openedAt: 1, resolvedAt: null, updatedAt: 1, members: [] }]);
    } finally {
      await store.close();
    }
  });

  test('creates the data directory, uses WAL, and shows schema_version to any SQLite client', async () => {
    const path = join(root, 'fresh', 'nested', 'data', 'mamoru.db');
    const store = await open({ path });
    try {
      assert.equal(store.location, path);
      await store.appendResults([{ checkId: 'c', target: 't', state: 0, text: 'OK', perfdata: [], startedAt: 1, durationMs: 1 }]);
      const peek = new BetterSqlite3(path, { readonly: true });
      try {
        assert.equal(peek.pragma('journal_mode', { simple: true }), 'wal');
        assert.deepEqual(peek.prepare("select value from store_meta where key = 'schema_version'").get(), { value: store.schemaVersion });
      } finally {
        peek.close();
      }
    } finally {
      await store.close();
    }
  });

  test('a directory that cannot be created is a StoreOpenError naming it and saying what to do', async () => {
    const file = join(root, 'not-a-dir');
    writeFileSync(file, 'a plain file where the data directory should be\n');
    const path = join(file, 'data', 'mamoru.db');
    await assert.rejects(open({ path }), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.equal(e.location, path);
      assert.match(e.reason, /cannot create the directory .*not-a-dir\/data/);
      assert.match(e.message, /set store\.path/);
      return true;
    });
  });

  test('a read-only directory is a StoreOpenError naming it and saying what to do', async (t) => {
    // Root ignores permission bits, so a read-only filesystem is the honest way to test this.
    if (needs(t, { root: true, commands: ['mount', 'umount'] })) return;
    const dir = join(root, 'readonly');
    mkdirSync(dir);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dir]);
    let store: Store | undefined;
    try {
      const path = join(dir, 'mamoru.db');
      await assert.rejects(
        open({ path }).then((s) => (store = s)),
        (e: unknown) => {
          assert.ok(e instanceof StoreOpenError, String(e));
          assert.match(e.reason, new RegExp(`the directory ${dir} is not writable \\(EROFS`));
          assert.match(e.hint, /make it writable by the user mamoru runs as/);
          return true;
        },
      );
    } finally {
      await store?.close();
      execFileSync('umount', [dir]);
    }
  });

  test('a file that is not an SQLite database is refused, not overwritten', async () => {
    const path = join(root, 'notes.txt');
    const notes = 'these are my notes, not a database\n'.repeat(200);
    writeFileSync(path, notes);
    await assert.rejects(open({ path }), (e: unknown) => {
      assert.ok(e instanceof StoreOpenError, String(e));
      assert.match(e.message, /is not an SQLite database/);
      return true;
    });
    assert.equal(readFileSync(path, 'utf8'), notes);
  });
});
