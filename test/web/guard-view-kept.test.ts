/**
 * The guard view the daemon keeps between requests (daemon-web-console.ts): built once while
 * nothing is written, built again when the live hub's count of incident and ban writes moves, and
 * when a ban in it ends, with no write at all. Real SQLite store, real bans.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/log.ts';
import { consoleDeps } from '../../src/daemon-web-console.ts';
import { stores } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { LiveHub, tapStore } from '../../src/web/live.ts';

let dir: string;
let raw: Store;
const hub = new LiveHub();
const config = parseConfig('targets: []\n', 'test.yaml');

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-guard-view-'));
  raw = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dir, 'mamoru.db') }), { log: silentLogger });
});

after(async () => {
  await raw?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ban = (address: string, until: number) => ({ address, jail: 'sshd', reason: '6 failures (ssh password) in 10m', createdAt: Date.now(), until, banCount: 1 });

test('the view is kept while nothing is written, and built again once a ban is written through the daemon\'s store', async () => {
  const store = tapStore(raw, (e) => hub.publish(e));
  const deps = consoleDeps({ config: () => config, secret: () => '', store, log: silentLogger, revision: () => hub.revision });
  await store.saveBan(ban('203.0.113.1', Date.now() + 3_600_000));
  const first = await deps.guardView();
  assert.deepEqual(first.bans.map((b) => b.address), ['203.0.113.1']);
  // Written behind the daemon's back (no news): the kept view does not read the store again.
  await raw.saveBan(ban('203.0.113.2', Date.now() + 3_600_000));
  assert.deepEqual((await deps.guardView()).bans.map((b) => b.address), ['203.0.113.1']);
  // Written through the daemon's store: news, so the next view reads the store.
  await store.saveBan(ban('203.0.113.3', Date.now() + 3_600_000));
  assert.deepEqual((await deps.guardView()).bans.map((b) => b.address).sort(), ['203.0.113.1', '203.0.113.2', '203.0.113.3']);
  await store.removeBans('203.0.113.2');
  assert.ok(!(await deps.guardView()).bans.some((b) => b.address === '203.0.113.2' && b.active), 'an unban is seen at once');
});

test('a ban that ends shows as ended without any write', async () => {
  const deps = consoleDeps({ config: () => config, secret: () => '', store: raw, log: silentLogger, revision: () => hub.revision });
  await raw.saveBan(ban('203.0.113.9', Date.now() + 400));
  const before = (await deps.guardView()).bans.find((b) => b.address === '203.0.113.9');
  assert.equal(before?.active, true);
  await new Promise((r) => setTimeout(r, 600));
  const later = (await deps.guardView()).bans.find((b) => b.address === '203.0.113.9');
  assert.equal(later?.active, false, 'the kept view ended when the ban did');
});

test('requests that arrive while the view is being built share that build', async () => {
  const deps = consoleDeps({ config: () => config, secret: () => '', store: raw, log: silentLogger, revision: () => hub.revision });
  hub.publish({ type: 'ban', target: null, data: {} });
  const [a, b] = await Promise.all([deps.guardView(), deps.guardView()]);
  assert.equal(a, b);
});
