/**
 * The Store contract (style.md 7): one suite every implementation must pass, run by each
 * implementation's test file with a harness that opens that store on a fresh database. Time is
 * always passed in (`maintain(now)`, a FakeClock for batching): nothing here sleeps.
 */
import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { FakeClock } from '../../src/core/clock.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { StaleEpochError, StoreClosedError } from '../../src/store/errors.ts';
import type { Store, StoreContext, StoredResult } from '../../src/store/types.ts';
import { runMaintainContract } from './contract-maintain.ts';
import { runPersistenceContract } from './contract-persistence.ts';
import { runBansContract, runIncidentsContract } from './contract-incidents.ts';
import { runAuthContract } from './contract-auth.ts';
import { runOutboxContract } from './contract-outbox.ts';

export interface StoreHarness {
  /** Opens the store on this harness's database; a second call reopens the same one when persistent. */
  open(config?: Record<string, unknown>, ctx?: Partial<StoreContext>): Promise<Store>;
  /** False for in-memory databases: every open() starts empty, so reopen tests are skipped. */
  persistent: boolean;
  /** Removes the database; called after every test. */
  cleanup(): Promise<void>;
}

export type HarnessFactory = () => Promise<StoreHarness>;

/** A whole hour (UTC), so minute and hour buckets are easy to reason about. */
export const T0 = Date.UTC(2026, 0, 19, 20, 0, 0);

export function result(over: Partial<StoredResult> & { startedAt: number }): StoredResult {
  return { checkId: 'web1/http', target: 'web1', state: NagiosState.OK, text: 'HTTP OK: HTTP/1.1 200 OK - 612 bytes in 0.002 second response time', perfdata: [], durationMs: 2.5, ...over };
}

/**
 * Runs `fn` with a fresh harness; closes every store it opened and removes the database after,
 * even when the test fails.
 */
export async function withStores(factory: HarnessFactory, fn: (open: StoreHarness['open'], h: StoreHarness) => Promise<void>): Promise<void> {
  const h = await factory();
  const opened: Store[] = [];
  const open: StoreHarness['open'] = async (config, ctx) => {
    const s = await h.open(config, ctx);
    opened.push(s);
    return s;
  };
  try {
    await fn(open, h);
  } finally {
    for (const s of opened) await s.close().catch(() => {});
    await h.cleanup();
  }
}

/** For a test whose last part reopens the store: true (and a note) when that part cannot run. */
export function cannotReopen(t: TestContext, h: StoreHarness): boolean {
  if (h.persistent) return false;
  t.diagnostic('in-memory store: the part after reopening was not run');
  return true;
}

export function runStoreContract(name: string, factory: HarnessFactory, opts: { persistent: boolean }): void {
  describe(`Store contract: ${name}`, () => {
    test('results written come back field for field, newest first, per check', () =>
      withStores(factory, async (open) => {
        const store = await open();
        const first = result({
          startedAt: T0 + 1_000,
          durationMs: 12.345,
          state: NagiosState.WARNING,
          text: 'HTTP WARNING: HTTP/1.1 200 OK - 612 bytes in 1.203 second response time',
          perfdata: [
            { label: 'time', value: 1.203, unit: 's', warn: { start: 0, end: 1, inside: false }, crit: { start: 10, end: Infinity, inside: false }, min: 0 },
            { label: 'free space', value: null, unit: '' },
          ],
          longOutput: 'line two\nline three',
        });
        const second = result({ startedAt: T0 + 61_000 });
        const other = result({ checkId: 'db1/mysql', target: 'db1', startedAt: T0 + 2_000, state: NagiosState.CRITICAL, text: "Can't connect to MySQL server" });
        await store.appendResults([first, other, second]);

        assert.deepEqual(await store.latestResults('web1/http'), [second, first]);
        assert.deepEqual(await store.latestResults('web1/http', 1), [second]);
        assert.deepEqual(await store.latestResults('db1/mysql'), [other]);
        assert.deepEqual(await store.latestResults('nobody/nothing'), []);
      }));

    test('a large batch is written whole, and a batch with a bad row is not written at all', () =>
      withStores(factory, async (open) => {
        const store = await open();
        const batch = Array.from({ length: 1234 }, (_, i) => result({ startedAt: T0 + i * 10, durationMs: i }));
        await store.appendResults(batch);
        const back = await store.latestResults('web1/http', 5000);
        assert.equal(back.length, 1234);
        assert.equal(back[0]!.durationMs, 1233);
        assert.equal(back[1233]!.durationMs, 0);

        const bad = Array.from({ length: 250 }, (_, i) => result({ startedAt: T0 + 100_000 + i }));
        bad[200] = { ...bad[200]!, text: null as unknown as string };
        await assert.rejects(store.appendResults(bad));
        assert.equal((await store.latestResults('web1/http', 5000)).length, 1234, 'no row of the failed batch is kept');
      }));

    test('write() batches: a full batch goes at once, a partial one after flush_interval', () =>
      withStores(factory, async (open) => {
        const clock = new FakeClock(T0);
        const store = await open({ flush_rows: 3, flush_interval: '10s' }, { clock });
        store.write(result({ startedAt: T0 }));
        store.write(result({ startedAt: T0 + 1 }));
        assert.equal(store.pending, 2);
        assert.equal((await store.latestResults('web1/http')).length, 0, 'nothing written before the batch is full');
        store.write(result({ startedAt: T0 + 2 }));
        assert.equal(store.pending, 0, 'the third row sends the batch');
        assert.equal((await store.latestResults('web1/http')).length, 3);

        store.write(result({ startedAt: T0 + 3 }));
        await clock.advance(9_999);
        assert.equal(store.pending, 1, 'still waiting for the interval');
        await clock.advance(1);
        assert.equal(store.pending, 0);
        assert.equal((await store.latestResults('web1/http')).length, 4);

        store.write(result({ startedAt: T0 + 4 }));
        await store.flush();
        assert.equal((await store.latestResults('web1/http')).length, 5, 'flush() writes at once');

        // A malformed result is refused at once instead of failing (and blocking) a whole batch.
        assert.throws(() => store.write(result({ startedAt: T0 + 5, text: undefined as unknown as string })), /text must be a string/);
        assert.throws(() => store.write(result({ startedAt: T0 + 6, state: 7 as NagiosState })), /state must be 0, 1, 2 or 3/);
        store.write(result({ startedAt: T0 + 7 }));
        assert.equal(store.pending, 1);
        await store.flush();
        assert.equal((await store.latestResults('web1/http')).length, 6);
      }));

    test('close() writes what write() queued; writing after close is an error', (t) =>
      withStores(factory, async (open, h) => {
        const clock = new FakeClock(T0);
        const store = await open({ flush_rows: 1000, flush_interval: '1h' }, { clock });
        store.write(result({ startedAt: T0 }));
        store.write(result({ startedAt: T0 + 1 }));
        await store.close();
        await store.close();
        assert.throws(() => store.write(result({ startedAt: T0 + 2 })), StoreClosedError);
        await assert.rejects(store.appendResults([result({ startedAt: T0 + 3 })]), StoreClosedError);
        if (cannotReopen(t, h)) return;
        const again = await open();
        assert.deepEqual(
          (await again.latestResults('web1/http')).map((r) => r.startedAt),
          [T0 + 1, T0],
        );
      }));

    test("the leader's epoch only grows: a lower claim (a paused old leader) is refused, whichever store it reaches", (t) =>
      withStores(factory, async (open, h) => {
        const store = await open();
        assert.equal(await store.currentEpoch(), 0);
        assert.equal(await store.claimEpoch(5), 5);
        assert.equal(await store.claimEpoch(5), 5, 'the same leader claims again');
        assert.equal(await store.claimEpoch(9), 9);
        await assert.rejects(store.claimEpoch(7), (e: Error) => e instanceof StaleEpochError && e.mine === 7 && e.current === 9);
        assert.equal(await store.currentEpoch(), 9, 'a refused claim changed the epoch');
        await assert.rejects(store.claimEpoch(0), RangeError);
        if (cannotReopen(t, h)) return;
        await store.close();
        assert.equal(await (await open()).currentEpoch(), 9);
      }));

    test('check states: upsert replaces by check id, all come back ordered by check id', (t) =>
      withStores(factory, async (open, h) => {
        const store = await open();
        const web = { checkId: 'web1/http', target: 'web1', state: NagiosState.OK, stateType: 'hard' as const, attempt: 1, lastResult: 'HTTP OK', lastChange: T0 - 86_400_000, lastCheck: T0 };
        const db = { checkId: 'db1/mysql', target: 'db1', state: NagiosState.CRITICAL, stateType: 'soft' as const, attempt: 2, lastResult: "Can't connect to MySQL server", lastChange: T0 - 60_000, lastCheck: T0 };
        const disk = { checkId: 'db1/disk', target: 'db1', state: NagiosState.WARNING, stateType: 'hard' as const, attempt: 3, lastResult: 'DISK WARNING - free space: / 900 MB (9%)', lastChange: T0 - 3_600_000, lastCheck: T0 - 30_000 };
        await store.upsertCheckStates([web, db, disk]);
        const dbHard = { ...db, stateType: 'hard' as const, attempt: 3, lastCheck: T0 + 60_000 };
        await store.upsertCheckStates([dbHard]);
        assert.deepEqual(await store.checkStates(), [disk, dbHard, web]);

        if (cannotReopen(t, h)) return;
        await store.close();
        const again = await open();
        assert.deepEqual(await again.checkStates(), [disk, dbHard, web], 'a restart restores every state');
      }));

    test('config revisions: stored when the text changes, not when it repeats the latest', (t) =>
      withStores(factory, async (open, h) => {
        const store = await open();
        const a = 'targets:\n  - name: web1\n';
        const b = 'targets:\n  - name: web1\n  - name: 東京\n';
        const r1 = await store.saveConfigRevision(a, T0);
        assert.equal(r1.created, true);
        assert.equal(r1.revision.sha256, createHash('sha256').update(a, 'utf8').digest('hex'));
        assert.equal(r1.revision.loadedAt, T0);
        const again = await store.saveConfigRevision(a, T0 + 1_000);
        assert.deepEqual(again, { revision: r1.revision, created: false });
        const r2 = await store.saveConfigRevision(b, T0 + 2_000);
        assert.equal(r2.created, true);
        assert.equal(r2.revision.bytes, Buffer.byteLength(b));
        assert.notEqual(r2.revision.bytes, b.length, 'bytes counts UTF-8 bytes, not characters');
        const r3 = await store.saveConfigRevision(a, T0 + 3_000);
        assert.equal(r3.created, true, 'going back to an older text is a change too');
        assert.equal(r3.revision.sha256, r1.revision.sha256);

        const list = await store.configRevisions();
        assert.deepEqual(list, [r3.revision, r2.revision, r1.revision]);
        assert.ok(r1.revision.id < r2.revision.id && r2.revision.id < r3.revision.id);
        assert.deepEqual(await store.configRevisions(1), [r3.revision]);
        assert.deepEqual(await store.configRevision(r2.revision.id), { ...r2.revision, text: b });
        assert.equal(await store.configRevision(r3.revision.id + 100), undefined);

        if (cannotReopen(t, h)) return;
        await store.close();
        const reopened = await open();
        assert.deepEqual(await reopened.configRevisions(), list);
        assert.equal((await reopened.saveConfigRevision(a, T0 + 4_000)).created, false, 'the latest survives a restart');
      }));

    runMaintainContract(factory);
    runPersistenceContract(factory, opts.persistent);
    runIncidentsContract(factory);
    runBansContract(factory);
    runAuthContract(factory);
    runOutboxContract(factory);
  });
}
