/**
 * The check page's history (console-check-data.tsx) against a real SQLite store: a day's plot is
 * the minute rollups plus the results newer than the last of them, and keeping the rollups read a
 * few seconds (the check page's cost) never loses a newer result, whether the page hands over
 * the results it read or not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { stores } from '../../src/store/index.ts';
import type { Store, StoredResult } from '../../src/store/types.ts';
import { history } from '../../src/web/console-check-data.tsx';
import type { WebDeps } from '../../src/web/deps.ts';

let dir: string;
let store: Store;
let deps: WebDeps;
const ID = 't1/c0';
const MIN = 60_000;
const now = Math.floor(Date.now() / MIN) * MIN;
const result = (at: number, ms: number, state: NagiosState = NagiosState.OK): StoredResult => ({ checkId: ID, target: 't1', state, text: 'TCP OK', perfdata: [], startedAt: at, durationMs: ms });

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-check-history-'));
  store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dir, 'mamoru.db') }), { log: silentLogger });
  deps = { rollups: (id, res, range) => store.rollups(id, res, range), results: (id, { limit }) => store.latestResults(id, limit) } as WebDeps;
  // An hour of results a minute apart, 3 h ago, rolled up as the daemon's maintain() does.
  await store.appendResults(Array.from({ length: 60 }, (_, i) => result(now - 3 * 60 * MIN + i * MIN + 1000, 10 + i)));
  await store.maintain(now);
});

after(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a day\'s plot is the rollups, then every result newer than the last of them, also while the rollups are kept', async () => {
  const first = await history(deps, ID, '24h', now);
  assert.ok(first.length >= 60, `the rolled-up hour is there (${first.length} points)`);
  const lastRolled = first[first.length - 1]!.t;
  // Two results after the rollup, then the page again within the keeping time.
  await store.appendResults([result(now - 10 * MIN, 500, NagiosState.CRITICAL), result(now - 5 * MIN, 7)]);
  const again = await history(deps, ID, '24h', now + 1000);
  assert.deepEqual(again.slice(-2).map((p) => [p.t, p.state, p.avg]), [[now - 10 * MIN, 2, 500], [now - 5 * MIN, 0, 7]]);
  assert.equal(again.length, first.length + 2);
  assert.ok(again.every((p, i) => i === 0 || p.t > again[i - 1]!.t), 'points in time order, none twice');
  // The same with the page's own 20 newest results handed over (no read of 500 raw results).
  const recent = await store.latestResults(ID, 20);
  const handed = await history(deps, ID, '24h', now + 2000, { results: recent, limit: 20 });
  assert.deepEqual(handed.map((p) => p.t), again.map((p) => p.t));
  assert.ok(handed.slice(0, -2).every((p) => p.t <= lastRolled));
});

test('handed results that do not reach back to the last rollup are not trusted: the raw results are read', async () => {
  // 30 results in the last 30 minutes: the newest 20 leave a gap after the rollup.
  await store.appendResults(Array.from({ length: 30 }, (_, i) => result(now - 30 * MIN + i * MIN + 500, 3)));
  const recent = await store.latestResults(ID, 20);
  const points = await history(deps, ID, '24h', now + 3000, { results: recent, limit: 20 });
  const raw = points.filter((p) => p.t > now - 31 * MIN && p.avg === 3);
  assert.equal(raw.length, 30, 'every result after the rollup, not only the 20 handed over');
});
