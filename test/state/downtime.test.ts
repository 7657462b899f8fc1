/** Scheduled downtime windows: one-off and weekly in a UTC offset. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activeDowntime, nextDowntimeBoundary, type Downtime } from '../../src/state/downtime.ts';

const H = 3_600_000;
// 2026-01-19 is a Monday.
const mon = Date.UTC(2026, 0, 19);

test('downtime windows, table-driven', () => {
  const once: Downtime = { kind: 'once', start: mon + 10 * H, end: mon + 12 * H };
  // Sundays 02:00 JST for 3 h = Saturday 17:00-20:00 UTC.
  const weeklyJst: Downtime = { kind: 'weekly', days: [0], time: '02:00', durationMs: 3 * H, utcOffsetMinutes: 540 };
  const weeklyUtc: Downtime = { kind: 'weekly', days: [1, 3], time: '23:00', durationMs: 2 * H };
  const cases: Array<[string, Downtime, number, boolean]> = [
    ['one-off, before', once, mon + 9 * H, false],
    ['one-off, at start', once, mon + 10 * H, true],
    ['one-off, inside', once, mon + 11 * H, true],
    ['one-off, end is exclusive', once, mon + 12 * H, false],
    ['weekly JST, Saturday 17:30 UTC', weeklyJst, mon - 2 * 24 * H + 17.5 * H, true],
    ['weekly JST, Sunday 02:30 UTC (not JST)', weeklyJst, mon - 24 * H + 2.5 * H, false],
    ['weekly JST, next week', weeklyJst, mon + 5 * 24 * H + 18 * H, true],
    ['weekly UTC, Monday 23:30', weeklyUtc, mon + 23.5 * H, true],
    ['weekly UTC, runs past midnight into Tuesday', weeklyUtc, mon + 24.5 * H, true],
    ['weekly UTC, Tuesday 23:30 is not a day', weeklyUtc, mon + 24 * H + 23.5 * H, false],
  ];
  for (const [name, d, now, inside] of cases) assert.equal(activeDowntime([d], now) !== undefined, inside, name);
});

test('the next boundary is the next start or end', () => {
  const once: Downtime = { kind: 'once', start: mon + 10 * H, end: mon + 12 * H };
  assert.equal(nextDowntimeBoundary([once], mon), mon + 10 * H);
  assert.equal(nextDowntimeBoundary([once], mon + 11 * H), mon + 12 * H);
  assert.equal(nextDowntimeBoundary([once], mon + 13 * H), undefined);
});

test('a bad weekly time is an error', () => {
  assert.throws(() => activeDowntime([{ kind: 'weekly', days: [1], time: '25:00', durationMs: H }], mon), /25:00.*HH:MM/);
});
