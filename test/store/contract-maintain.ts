/**
 * The Store contract, part two: rollups per minute and hour, counting each result exactly once
 * however often maintain() runs and however late a result arrives, and retention.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NagiosState } from '../../src/core/nagios.ts';
import type { PerfDatum } from '../../src/core/perfdata.ts';
import type { Rollup } from '../../src/store/types.ts';
import { result, T0, withStores, type HarnessFactory } from './contract.ts';

const MIN = 60_000;
const HOUR = 3_600_000;
const time = (value: number | null): PerfDatum[] => [{ label: 'time', value, unit: 's' }];

function rollup(over: Partial<Rollup> & Pick<Rollup, 'bucketStart' | 'count' | 'durationMs'>): Rollup {
  return { checkId: 'web1/http', target: 'web1', ok: 0, warning: 0, critical: 0, unknown: 0, perf: null, ...over };
}

export function runMaintainContract(factory: HarnessFactory): void {
  test('maintain() rolls results up per check per minute and per hour', () =>
    withStores(factory, async (open) => {
      const store = await open();
      await store.appendResults([
        // 20:00
        result({ startedAt: T0 + 5_000, durationMs: 10, perfdata: time(1) }),
        result({ startedAt: T0 + 25_000, durationMs: 30, perfdata: time(3) }),
        result({ startedAt: T0 + 50_000, durationMs: 20, perfdata: time(2), state: NagiosState.WARNING }),
        result({ checkId: 'db1/mysql', target: 'db1', startedAt: T0 + 10_000, durationMs: 999, state: NagiosState.CRITICAL }),
        // 20:01: no usable perfdata (none, and `U`)
        result({ startedAt: T0 + 65_000, durationMs: 100, state: NagiosState.CRITICAL }),
        result({ startedAt: T0 + 70_000, durationMs: 50, perfdata: time(null), state: NagiosState.UNKNOWN }),
        // 20:59 and 21:00
        result({ startedAt: T0 + 59 * MIN + 30_000, durationMs: 5, perfdata: time(10) }),
        result({ startedAt: T0 + HOUR + 10_000, durationMs: 7, perfdata: time(4) }),
      ]);
      const report = await store.maintain(T0 + 2 * HOUR);
      assert.equal(report.rolledUp, 8);

      assert.deepEqual(await store.rollups('web1/http', 'minute', { from: T0, to: T0 + 2 * HOUR }), [
        rollup({ bucketStart: T0, count: 3, ok: 2, warning: 1, durationMs: { min: 10, avg: 20, max: 30 }, perf: { count: 3, min: 1, avg: 2, max: 3 } }),
        rollup({ bucketStart: T0 + MIN, count: 2, critical: 1, unknown: 1, durationMs: { min: 50, avg: 75, max: 100 } }),
        rollup({ bucketStart: T0 + 59 * MIN, count: 1, ok: 1, durationMs: { min: 5, avg: 5, max: 5 }, perf: { count: 1, min: 10, avg: 10, max: 10 } }),
        rollup({ bucketStart: T0 + HOUR, count: 1, ok: 1, durationMs: { min: 7, avg: 7, max: 7 }, perf: { count: 1, min: 4, avg: 4, max: 4 } }),
      ]);
      assert.deepEqual(await store.rollups('web1/http', 'hour', { from: T0, to: T0 + 2 * HOUR }), [
        rollup({ bucketStart: T0, count: 6, ok: 3, warning: 1, critical: 1, unknown: 1, durationMs: { min: 5, avg: 215 / 6, max: 100 }, perf: { count: 4, min: 1, avg: 4, max: 10 } }),
        rollup({ bucketStart: T0 + HOUR, count: 1, ok: 1, durationMs: { min: 7, avg: 7, max: 7 }, perf: { count: 1, min: 4, avg: 4, max: 4 } }),
      ]);
      assert.deepEqual(await store.rollups('db1/mysql', 'minute', { from: T0, to: T0 + HOUR }), [
        rollup({ checkId: 'db1/mysql', target: 'db1', bucketStart: T0, count: 1, critical: 1, durationMs: { min: 999, avg: 999, max: 999 } }),
      ]);
      assert.deepEqual(
        (await store.rollups('web1/http', 'minute', { from: T0 + MIN, to: T0 + 59 * MIN })).map((r) => r.bucketStart),
        [T0 + MIN],
        'the range is [from, to)',
      );
    }));

  test('maintain() counts each result once: running it again changes nothing, late results merge', () =>
    withStores(factory, async (open) => {
      const store = await open();
      await store.appendResults([
        result({ startedAt: T0 + 1_000, durationMs: 10, perfdata: time(5) }),
        result({ startedAt: T0 + 2_000, durationMs: 20, perfdata: time(6) }),
      ]);
      // Run while 20:00 is still going on: the open minute is rolled up as far as it got.
      await store.maintain(T0 + 30_000);
      const before = await store.rollups('web1/http', 'minute', { from: T0, to: T0 + HOUR });
      assert.equal(before[0]?.count, 2);
      const second = await store.maintain(T0 + 30_000);
      assert.equal(second.rolledUp, 0);
      assert.deepEqual(await store.rollups('web1/http', 'minute', { from: T0, to: T0 + HOUR }), before);

      // A slow check started at 20:00:40 reports after the minute closed and after maintain ran.
      await store.appendResults([
        result({ startedAt: T0 + 40_000, durationMs: 45_000, perfdata: time(1), state: NagiosState.CRITICAL }),
        result({ startedAt: T0 + 90_000, durationMs: 3, perfdata: time(7) }),
      ]);
      assert.equal((await store.maintain(T0 + 5 * MIN)).rolledUp, 2);
      await store.maintain(T0 + 5 * MIN);
      assert.deepEqual(await store.rollups('web1/http', 'minute', { from: T0, to: T0 + HOUR }), [
        rollup({ bucketStart: T0, count: 3, ok: 2, critical: 1, durationMs: { min: 10, avg: 45_030 / 3, max: 45_000 }, perf: { count: 3, min: 1, avg: 4, max: 6 } }),
        rollup({ bucketStart: T0 + MIN, count: 1, ok: 1, durationMs: { min: 3, avg: 3, max: 3 }, perf: { count: 1, min: 7, avg: 7, max: 7 } }),
      ]);
      const [hour] = await store.rollups('web1/http', 'hour', { from: T0, to: T0 + HOUR });
      assert.equal(hour?.count, 4);
      assert.deepEqual(hour?.perf, { count: 4, min: 1, avg: 19 / 4, max: 7 });
    }));

  test('maintain() deletes raw results, minute and hour rollups past their retention', () =>
    withStores(factory, async (open) => {
      const store = await open({ retention_raw: '1h', retention_minute: '2h', retention_hour: '1d' });
      await store.appendResults([
        result({ startedAt: T0 + 1_000 }),
        result({ startedAt: T0 + HOUR + 2 * MIN + 10_000 }),
        // Just older and just younger than the raw retention (1h before `now`).
        result({ startedAt: T0 + 2 * HOUR + 2 * MIN + 20_000 }),
        result({ startedAt: T0 + 2 * HOUR + 2 * MIN + 40_000 }),
        result({ startedAt: T0 + 3 * HOUR + 1_000 }),
      ]);
      // Not on a minute boundary: the 21:02 bucket straddles the minute retention cutoff (21:02:30).
      const now = T0 + 3 * HOUR + 2 * MIN + 30_000;

      const first = await store.maintain(now);
      assert.deepEqual(first, { rolledUp: 5, deletedRaw: 3, deletedMinute: 1, deletedHour: 0 });
      assert.deepEqual(
        (await store.latestResults('web1/http')).map((r) => r.startedAt),
        [T0 + 3 * HOUR + 1_000, T0 + 2 * HOUR + 2 * MIN + 40_000],
        'raw results older than 1h are gone',
      );
      assert.deepEqual(
        (await store.rollups('web1/http', 'minute', { from: 0, to: now })).map((r) => r.bucketStart),
        [T0 + HOUR + 2 * MIN, T0 + 2 * HOUR + 2 * MIN, T0 + 3 * HOUR],
        'minute buckets that ended more than 2h ago are gone; one that ends within 2h stays',
      );
      assert.deepEqual(
        (await store.rollups('web1/http', 'hour', { from: 0, to: now })).map((r) => [r.bucketStart, r.count]),
        [
          [T0, 1],
          [T0 + HOUR, 1],
          [T0 + 2 * HOUR, 2],
          [T0 + 3 * HOUR, 1],
        ],
        'hour rollups still count the deleted raw results',
      );

      // A day after 21:00, the 20:00-21:00 bucket has ended more than 1d ago; 21:00-22:00 has not.
      const later = await store.maintain(T0 + 25 * HOUR);
      assert.equal(later.deletedHour, 1);
      assert.deepEqual(
        (await store.rollups('web1/http', 'hour', { from: 0, to: T0 + 25 * HOUR })).map((r) => r.bucketStart),
        [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR],
      );
    }));
}
