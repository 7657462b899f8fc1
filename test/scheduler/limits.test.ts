/**
 * The scheduler's limits and endings: global and per-host concurrency, a hung probe freed at its
 * timeout, runNow, a crashing executor, bad check lists, and a clean stop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { systemClock } from '../../src/core/clock.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import type { CheckResult } from '../../src/core/result.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import { defineProbe } from '../../src/probes/types.ts';
import { Scheduler, type ScheduledCheck } from '../../src/scheduler/scheduler.ts';
import { ids, lab, ok } from './lab.ts';

test('never runs more checks at once than the global limit, and still runs every check', async (t) => {
  const l = lab({ concurrency: 4, perHostConcurrency: 100 });
  t.after(() => l.scheduler.stop());
  l.behave = async () => (await l.wait(5_000), ok);
  let queuedSeen = 0;
  l.scheduler.setChecks(ids('c', 40).map((id) => l.check(id)));
  l.scheduler.start();
  for (let s = 0; s < 120; s++) {
    await l.clock.advance(1_000);
    queuedSeen = Math.max(queuedSeen, l.scheduler.stats().queued);
  }
  assert.equal(l.live.max, 4, 'the limit was reached and never passed');
  assert.ok(queuedSeen > 0, 'due checks waited for a slot');
  for (const id of ids('c', 40)) assert.ok(l.starts.get(id)!.length >= 1, `${id} ran`);
});

test('a host at its limit makes only its own checks wait, not those of other hosts queued behind them', async (t) => {
  const l = lab({ concurrency: 10, perHostConcurrency: 2 });
  t.after(() => l.scheduler.stop());
  const release: Array<() => void> = [];
  l.behave = () => new Promise((resolve) => release.push(() => resolve(ok)));
  const a = ids('a', 5);
  const b = ids('b', 2);
  l.scheduler.setChecks([...a.map((id) => l.check(id, { address: '127.0.0.2' })), ...b.map((id) => l.check(id, { address: '127.0.0.3' }))]);
  l.scheduler.start();
  for (const id of [...a, ...b]) assert.equal(l.scheduler.runNow(id), true);
  await l.clock.advance(0);
  assert.deepEqual([...l.starts.keys()].sort(), ['a-0', 'a-1', 'b-0', 'b-1'], 'b runs although three a checks are queued ahead of it');
  assert.deepEqual({ running: l.scheduler.stats().running, queued: l.scheduler.stats().queued }, { running: 4, queued: 3 });
  while (release.length) {
    release.shift()!();
    await l.clock.advance(0);
  }
  assert.deepEqual([...l.starts.keys()], ['a-0', 'a-1', 'b-0', 'b-1', 'a-2', 'a-3', 'a-4'], 'a host runs its checks in due order');
  assert.equal(l.live.maxPerHost.get('127.0.0.2'), 2);
  assert.equal(l.results.length, 7);
});

test('a hung probe that ignores its signal gives its slot back at its timeout', { timeout: 5_000 }, async (t) => {
  // Real clock: runCheck enforces the timeout with its own timers. 100 ms keeps it quick.
  const probe = defineProbe({
    type: 'fake',
    summary: 'hangs for "hung", answers otherwise',
    schema: z.strictObject({}),
    run: (target) => (target.name === 'hung' ? new Promise(() => {}) : Promise.resolve(ok)),
  });
  const check = (name: string): ScheduledCheck => ({ id: name, target: { ...targetFromAddress('127.0.0.1'), name }, probe, options: {}, intervalMs: 3_600_000, retryIntervalMs: 60_000, maxAttempts: 3, timeoutMs: 100 });
  const results: Array<[string, CheckResult]> = [];
  let nextDone!: () => void;
  const done = new Promise<void>((resolve) => (nextDone = resolve));
  const scheduler = new Scheduler({
    clock: systemClock,
    concurrency: 1,
    onResult: (c, r) => {
      results.push([c.id, r]);
      if (c.id === 'next') nextDone();
    },
  });
  t.after(() => scheduler.stop());
  scheduler.setChecks([check('hung'), check('next')]);
  scheduler.start();
  scheduler.runNow('hung');
  scheduler.runNow('next');
  assert.equal(scheduler.stats().queued, 1, 'next waits for the only slot');
  await done;
  assert.deepEqual(results.map(([id]) => id), ['hung', 'next']);
  assert.equal(results[0]![1].state, NagiosState.CRITICAL);
  assert.match(results[0]![1].text, /timed out after 0\.1 seconds/);
  assert.equal(results[1]![1].state, NagiosState.OK);
  assert.equal(scheduler.stats().running, 0);
});

test('runNow runs a check at once and its next run is one interval later', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.scheduler.setChecks([l.check('web', { intervalMs: 3_600_000 })]);
  l.scheduler.start();
  await l.clock.advance(1_000);
  assert.equal(l.starts.get('web'), undefined);
  assert.equal(l.scheduler.runNow('web'), true);
  assert.equal(l.scheduler.runNow('missing'), false);
  await l.clock.advance(0);
  assert.deepEqual(l.starts.get('web'), [1_000]);
  assert.equal(l.scheduler.checkInfo('web')!.nextRunAt, l.clock.now() + 3_600_000);
});

test('an executor that throws becomes an UNKNOWN result and the check keeps its schedule', async (t) => {
  const l = lab({
    execute: async (check) => {
      throw new Error(`no route to ${check.target.address}`);
    },
  });
  t.after(() => l.scheduler.stop());
  l.scheduler.setChecks([l.check('x', { maxAttempts: 1 })]);
  l.scheduler.start();
  await l.clock.advance(180_000);
  assert.ok(l.results.length >= 2);
  assert.equal(l.results[0]!.state, NagiosState.UNKNOWN);
  assert.equal(l.results[0]!.text, 'FAKE UNKNOWN - check failed: no route to 127.0.0.1');
});

test('a check list with a duplicate id or a zero interval is refused and the running list is kept', (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.scheduler.setChecks([l.check('a')]);
  assert.throws(() => l.scheduler.setChecks([l.check('b'), l.check('b')]), { name: 'RangeError', message: /check id "b" appears twice/ });
  assert.throws(() => l.scheduler.setChecks([l.check('c', { intervalMs: 0 })]), { name: 'RangeError', message: /check "c": intervalMs must be a positive number/ });
  assert.equal(l.scheduler.stats().configured, 1);
  assert.ok(l.scheduler.checkInfo('a'));
});

test('stop aborts running probes through their signals, resolves when they ended, and nothing runs after', { timeout: 5_000 }, async (t) => {
  const l = lab({ perHostConcurrency: 10 });
  t.after(() => l.scheduler.stop());
  let sawAbort = 0;
  l.behave = (_id, ctx) =>
    new Promise((resolve) =>
      ctx.signal.addEventListener('abort', () => {
        sawAbort++;
        resolve({ state: NagiosState.UNKNOWN, text: 'FAKE UNKNOWN - aborted', perfdata: [] });
      }),
    );
  const all = ids('s', 20);
  l.scheduler.setChecks(all.map((id) => l.check(id, { timeoutMs: 30_000 }))); // longer than the test may take: only stop can end them
  l.scheduler.start();
  for (const id of all.slice(0, 5)) l.scheduler.runNow(id);
  await l.clock.advance(0);
  assert.equal(l.scheduler.stats().running, 5);
  await l.scheduler.stop();
  assert.equal(l.clock.pending, 0, 'no timer left behind');
  assert.equal(sawAbort, 5);
  assert.equal(l.scheduler.stats().running, 0);
  assert.equal(l.results.length, 0, 'cancelled runs are not reported as results');
  const started = l.total();
  await l.clock.advance(600_000);
  assert.equal(l.total(), started, 'no run after stop');
  assert.equal(l.scheduler.runNow('s-9'), false);
});
