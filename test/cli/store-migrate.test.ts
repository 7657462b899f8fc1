/**
 * `mamoru store migrate` as an operator runs it before an upgrade's first start: a new store is
 * brought to this mamoru's schema with each migration named, a second run changes nothing, and a
 * store written by a newer mamoru is refused with exit 2 and what to do (nothing touched).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { migrations, versionOf } from '../../src/store/migrations/index.ts';
import { mamoru } from '../helpers/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-migrate-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const latest = Math.max(...Object.keys(migrations).map(versionOf));

test('a new store is migrated, each migration named; again, nothing to do', async () => {
  const cfg = join(dir, 'a.yaml');
  writeFileSync(cfg, `store: { type: sqlite, path: ${join(dir, 'a.db')} }\n`);
  const first = await mamoru(['store', 'migrate', '-c', cfg]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `sqlite store at ${join(dir, 'a.db')}: schema version ${latest}\n`);
  const applied = [...first.stderr.matchAll(/^applied (\S+)$/gm)].map((m) => m[1]);
  assert.deepEqual(applied, Object.keys(migrations).sort());
  const again = await mamoru(['store', 'migrate', '-c', cfg]);
  assert.equal(again.code, 0);
  assert.doesNotMatch(again.stderr, /^applied/m);
  assert.equal(again.stdout, first.stdout);
});

test('a store written by a newer mamoru is refused, and left as it was', async () => {
  const db = join(dir, 'b.db');
  const cfg = join(dir, 'b.yaml');
  writeFileSync(cfg, `store: { type: sqlite, path: ${db} }\n`);
  assert.equal((await mamoru(['store', 'migrate', '-c', cfg])).code, 0);
  const raw = new BetterSqlite3(db);
  raw.prepare('INSERT INTO kysely_migration (name, timestamp) VALUES (?, ?)').run('0999-from-the-future', new Date().toISOString());
  raw.close();
  const r = await mamoru(['store', 'migrate', '-c', cfg]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /newer/i);
  assert.match(r.stderr, /0999-from-the-future/);
  const check = new BetterSqlite3(db, { readonly: true });
  assert.equal((check.prepare("SELECT value FROM store_meta WHERE key = 'schema_version'").get() as { value: number }).value, latest, 'the refused store was changed');
  check.close();
});
