/**
 * The scheduler's timing on a fake clock: spread, interval without drift, no catch-up burst,
 * bounded jitter, the quick re-check when a check turns bad, the retry interval while soft, and
 * reloads that keep the schedule.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planChecks } from '../../src/config/checks.ts';
import { parseConfig } from '../../src/config/load.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import type { ProbeOutcome } from '../../src/core/result.ts';
import { phaseSlot } from '../../src/scheduler/spread.ts';
import { critical, gaps, ids, lab, ok, seeded } from './lab.ts';

test('spreads the first runs of 100 checks evenly over their 60 s interval instead of starting them all at once', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.scheduler.setChecks(ids('web', 100).map((id) => l.check(id)));
  l.scheduler.start();
  await l.clock.advance(0);
  assert.ok(l.total() < 5, `${l.total()} checks ran at once on start`);
  await l.clock.advance(59_999);
  assert.equal(l.starts.size, 100, 'every check ran within its first interval');
  for (const [id, s] of l.starts) assert.equal(s.length, 1, `${id} ran once`);
  const buckets = [0, 0, 0, 0, 0, 0];
  for (const at of l.allStarts()) buckets[Math.floor(at / 10_000)]!++;
  for (const n of buckets) assert.ok(n >= 8 && n <= 28, `runs per 10 s: ${buckets.join(' ')}`);
});

test('runs each check every interval counted from its schedule, not from when the run ended', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.behave = async () => (await l.wait(7_000), ok); // each run takes 7 s
  l.scheduler.setChecks(ids('db', 3).map((id) => l.check(id)));
  l.scheduler.start();
  await l.clock.advance(600_000);
  for (const [id, s] of l.starts) {
    assert.ok(s.length >= 10, `${id} ran ${s.length} times in 10 minutes`);
    assert.deepEqual(gaps(s), s.slice(1).map(() => 60_000), `${id} starts: ${s.join(', ')}`);
  }
});

test('a run longer than the interval skips to the next slot ahead instead of catching up in a burst', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.behave = async () => (await l.wait(150_000), ok);
  l.scheduler.setChecks([l.check('slow', { timeoutMs: 200_000 })]);
  l.scheduler.start();
  await l.clock.advance(60_000 + 400_000);
  const s = l.starts.get('slow')!;
  assert.deepEqual(gaps(s).slice(0, 2), [180_000, 180_000], `starts: ${s.join(', ')}`);
  assert.equal(l.live.max, 1, 'runs of one check never overlap');
  assert.ok(l.scheduler.stats().skippedSlots >= 4);
});

test('jitter moves each run by at most the jitter fraction of its interval, and the schedule does not drift', async (t) => {
  const l = lab({ jitter: 0.1, random: seeded(42) });
  t.after(() => l.scheduler.stop());
  l.scheduler.setChecks([l.check('api')]);
  l.scheduler.start();
  await l.clock.advance(30 * 60_000);
  const s = l.starts.get('api')!;
  assert.ok(s.length >= 29);
  for (const g of gaps(s)) assert.ok(g > 54_000 && g < 66_000, `gap ${g} ms`);
  assert.ok(new Set(gaps(s)).size > 5, 'runs are actually jittered');
  s.forEach((at, k) => assert.ok(Math.abs(at - s[0]! - k * 60_000) < 6_000, `run ${k} at ${at} drifted`));
});

test('after start, each check first runs on its own phase with no jitter added, so a restarted monitor resumes at once', async (t) => {
  // random() near 1 would add almost the whole jitter (6 s of a 60 s interval) to every run.
  const l = lab({ jitter: 0.1, random: () => 0.999 });
  t.after(() => l.scheduler.stop());
  const list = ids('svc', 200);
  l.scheduler.setChecks(list.map((id) => l.check(id)));
  const t0 = l.clock.now();
  l.scheduler.start();
  await l.clock.advance(60_000);
  for (const id of list) {
    const first = l.starts.get(id)![0]!;
    assert.equal(first, phaseSlot(id, 60_000, t0) - t0, `${id} first ran at its phase`);
  }
  await l.clock.advance(2 * 60_000);
  const second = list.map((id) => l.starts.get(id)![1]! - l.starts.get(id)![0]!);
  assert.ok(second.every((g) => g > 65_000), 'the second run carries the jitter');
});

test('a failing check is retried at the retry interval until its state is hard, then at the normal interval; an OK resets it', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  const C = critical;
  const scripts: Record<string, ProbeOutcome[]> = {
    down: [C, C, C, C, C, C],
    recovers: [C, ok, C, C, C, C],
  };
  l.behave = (id) => scripts[id]!.shift() ?? ok;
  l.scheduler.setChecks([l.check('down'), l.check('recovers')]);
  l.scheduler.start();
  await l.clock.advance(8 * 60_000);
  // maxAttempts 3: failures 1 and 2 are soft (retry in 10 s), the third is hard (back to 60 s).
  assert.deepEqual(gaps(l.starts.get('down')!).slice(0, 5), [10_000, 10_000, 60_000, 60_000, 60_000]);
  assert.deepEqual(gaps(l.starts.get('recovers')!).slice(0, 5), [10_000, 60_000, 10_000, 10_000, 60_000]);
  const failures = (id: string) => l.results.filter((r) => r.id === id).map((r) => r.failures);
  assert.deepEqual(failures('down').slice(0, 6), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(failures('recovers').slice(0, 6), [1, 0, 1, 2, 3, 4]);
  assert.equal(l.results.find((r) => r.id === 'down')!.state, NagiosState.CRITICAL);
});

test('a reload keeps unchanged checks on their schedule with their failure count, and spreads the new ones', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.behave = (id) => (id === 'flaky' ? critical : ok);
  const old = ids('svc', 100);
  l.scheduler.setChecks([...old, 'flaky'].map((id) => l.check(id, { maxAttempts: 100 })));
  l.scheduler.start();
  await l.clock.advance(90_000);
  const before = new Map([...old, 'flaky'].map((id) => [id, l.scheduler.checkInfo(id)]));
  const flakyFailures = before.get('flaky')!.consecutiveFailures;
  assert.ok(flakyFailures >= 3);

  const added = ids('new', 60);
  l.scheduler.setChecks([...old, 'flaky', ...added].map((id) => l.check(id, { maxAttempts: 100 }))); // fresh objects, as a reload makes
  for (const [id, info] of before) assert.deepEqual(l.scheduler.checkInfo(id), info, `${id} kept its schedule`);
  const total = l.total();
  await l.clock.advance(0);
  assert.equal(l.total(), total, 'nothing runs at the moment of the reload');
  await l.clock.advance(59_999);
  for (const id of [...old, ...added]) {
    const runsSince = l.starts.get(id)!.filter((at) => at >= 90_000).length;
    assert.equal(runsSince, 1, `${id} ran once in the interval after the reload`);
  }
  assert.ok(l.starts.get('flaky')!.filter((at) => at >= 90_000).length >= 5, 'flaky is still on its retry interval');
});

test('a reload that shortens an interval moves the next run within the new interval', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.scheduler.setChecks([l.check('disk', { intervalMs: 3_600_000 })]);
  l.scheduler.start();
  const first = l.scheduler.checkInfo('disk')!.nextRunAt!;
  l.scheduler.setChecks([l.check('disk', { intervalMs: 60_000 })]);
  const next = l.scheduler.checkInfo('disk')!.nextRunAt!;
  assert.ok(next - l.clock.now() < 60_000 && next <= first);
  await l.clock.advance(120_000);
  assert.ok(l.starts.get('disk')!.length >= 2);
});

test('removed checks stop running, and the result of one removed while running is dropped', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  let aborted = 0;
  l.behave = async (id, ctx) => {
    if (id === 'slow') await l.wait(90_000);
    if (ctx.signal.aborted) aborted++;
    return ok;
  };
  const all = ids('chk', 10);
  l.scheduler.setChecks([...all.map((id) => l.check(id)), l.check('slow', { intervalMs: 3_600_000, timeoutMs: 120_000 })]);
  l.scheduler.start();
  assert.equal(l.scheduler.runNow('slow'), true);
  await l.clock.advance(60_000);
  assert.equal(l.scheduler.checkInfo('slow')!.status, 'running');
  const kept = all.slice(0, 5);
  l.scheduler.setChecks(kept.map((id) => l.check(id)));
  const resultsBefore = l.results.length;
  await l.clock.advance(300_000);
  for (const id of all.slice(5)) assert.equal(l.starts.get(id)!.length, 1, `${id} stopped`);
  for (const id of kept) assert.ok(l.starts.get(id)!.length >= 5, `${id} kept running`);
  assert.ok(!l.results.slice(resultsBefore).some((r) => r.id === 'slow' || all.slice(5).includes(r.id)));
  assert.equal(aborted, 0, 'the removed run was left to finish, not cut off');
  assert.equal(l.scheduler.stats().dropped, 1);
  assert.equal(l.scheduler.stats().configured, 5);
});

test('a check that turns from OK to CRITICAL is checked again half a second later, then on its retry interval, and is hard at its max_attempts-th failure', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  const C = critical;
  const scripts: Record<string, ProbeOutcome[]> = { three: [ok, C, C, C, C], two: [ok, C, C, C], one: [ok, C, C] };
  l.behave = (id) => scripts[id]!.shift() ?? C;
  l.scheduler.setChecks([
    l.check('three', { recheckDelayMs: 500 }),
    l.check('two', { intervalMs: 20_000, retryIntervalMs: 5_000, maxAttempts: 2, recheckDelayMs: 500 }), // the field setup of issue 13
    l.check('one', { maxAttempts: 1, recheckDelayMs: 500 }),
  ]);
  l.scheduler.start();
  await l.clock.advance(5 * 60_000);
  const failures = (id: string) => l.results.filter((r) => r.id === id).map((r) => r.failures);
  // three: OK, fault seen (1), quick look 0.5 s later (2), one retry interval (3 = hard), then the interval.
  assert.deepEqual(gaps(l.starts.get('three')!).slice(0, 4), [60_000, 500, 10_000, 60_000]);
  assert.deepEqual(failures('three').slice(0, 5), [0, 1, 2, 3, 4]);
  // two: hard at the quick look, 0.5 s after the fault was first seen instead of 5 s.
  assert.deepEqual(gaps(l.starts.get('two')!).slice(0, 3), [20_000, 500, 20_000]);
  assert.deepEqual(failures('two').slice(0, 3), [0, 1, 2]);
  // one: its first failure is already hard; nothing to confirm.
  assert.deepEqual(gaps(l.starts.get('one')!).slice(0, 2), [60_000, 60_000]);
});

test('a flapping check gets one quick re-check per turn from OK to a problem, never a tight loop', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  let n = 0;
  l.behave = (id) => (id === 'flap' ? (n++ % 2 === 0 ? critical : ok) : critical);
  l.scheduler.setChecks([l.check('flap', { recheckDelayMs: 500 }), l.check('down', { maxAttempts: 100, recheckDelayMs: 500 })]);
  l.scheduler.start();
  await l.clock.advance(10 * 60_000);
  const flap = gaps(l.starts.get('flap')!);
  assert.ok(flap.length >= 9, `flap ran ${flap.length + 1} times`);
  flap.forEach((g, k) => assert.equal(g, k % 2 === 0 ? 500 : 60_000, `flap gaps: ${flap.join(', ')}`));
  // down fails from its first run: one quick look, then its retry interval, not the quick delay again.
  const down = gaps(l.starts.get('down')!);
  assert.equal(down[0], 500);
  assert.ok(down.slice(1).every((g) => g === 10_000), `down gaps: ${down.join(', ')}`);
});

test('the quick re-check delay comes from the config: 500 ms unless a check or the defaults say otherwise', () => {
  const config = parseConfig(
    `defaults: { recheck_delay: 2s }
targets:
  - name: web1
    address: 127.0.0.1
    checks:
      - { type: tcp, port: 80 }
      - { type: tcp, name: quick, port: 81, recheck_delay: 250ms }
`,
    'quick.yaml',
  );
  assert.deepEqual(planChecks(config).map((c) => [c.id, c.recheckDelayMs]), [['web1/tcp', 2_000], ['web1/quick', 250]]);
  assert.equal(planChecks(parseConfig('targets: [{ name: a, address: 127.0.0.1, checks: [{ type: ping }] }]\n', 'default.yaml'))[0]!.recheckDelayMs, 500);
});

test('failures carried over from saved states (the daemon passes them by id, not in copied checks) put a new check on its retry interval', async (t) => {
  const l = lab();
  t.after(() => l.scheduler.stop());
  l.behave = () => critical;
  const carried = new Map([['soft', 1]]);
  l.scheduler.setChecks([l.check('soft'), l.check('fresh')], (id) => carried.get(id) ?? 0);
  assert.equal(l.scheduler.checkInfo('soft')!.consecutiveFailures, 1);
  assert.equal(l.scheduler.checkInfo('fresh')!.consecutiveFailures, 0);
  l.scheduler.start();
  await l.clock.advance(3 * 60_000);
  // soft: failures 2 and 3 come a retry interval apart (10 s), then hard: the normal interval.
  assert.deepEqual(gaps(l.starts.get('soft')!).slice(0, 2), [10_000, 60_000]);
  assert.deepEqual(l.results.filter((r) => r.id === 'soft').map((r) => r.failures).slice(0, 3), [2, 3, 4]);
  // fresh turns bad from OK: one quick look (lab default has none), then retries: its count starts at 1.
  assert.equal(l.results.find((r) => r.id === 'fresh')!.failures, 1);
  // A known id keeps its own count on a reload whatever the function says.
  l.scheduler.setChecks([l.check('soft'), l.check('fresh')], () => 0);
  assert.ok(l.scheduler.checkInfo('soft')!.consecutiveFailures >= 4);
});
