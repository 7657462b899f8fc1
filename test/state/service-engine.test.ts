/** The service notification engine, table-driven with plain-number time: what is sent, when, and why not. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialServiceState, transition, type ServiceEffect, type ServiceInput, type ServicePolicy, type ServiceState } from '../../src/state/service-engine.ts';
import type { NagiosState } from '../../src/core/nagios.ts';

const M = 60_000;
const base: ServicePolicy = { maxAttempts: 1, reminderIntervalMs: 0, escalations: [], flap: null, downtimes: [] };
const res = (state: NagiosState): ServiceInput => ({ kind: 'result', result: { state, text: `s${state}`, perfdata: [], startedAt: 0, durationMs: 1 } });
const tick: ServiceInput = { kind: 'tick' };

/** Short names for what users see: `problem:2`, `recovery`, `reminder:2`, `escalate:1`, `suppressed:host-down`, `recheck`. */
function show(e: ServiceEffect): string | null {
  if (e.type === 'wake') return null;
  if (e.type === 'recheck') return 'recheck';
  if (e.type === 'escalate') return `escalate:${e.level}`;
  if (e.type === 'suppressed') return `suppressed:${e.reason}`;
  if (e.kind === 'recovery') return 'recovery';
  if (e.kind === 'problem') return `problem:${e.state}${e.escalationLevel ? `@${e.escalationLevel}` : ''}`;
  if (e.kind === 'reminder') return `reminder:${e.state}`;
  return e.kind;
}

/** Runs [minute, input] steps; returns each step's visible effects joined, '-' for none. */
function run(policy: ServicePolicy, steps: Array<[number, ServiceInput]>): { log: string[]; state: ServiceState } {
  let s = initialServiceState(0);
  const log = steps.map(([min, input]) => {
    const out = transition(s, input, policy, min * M);
    s = out.state;
    return out.effects.map(show).filter((x) => x !== null).join(',') || '-';
  });
  return { log, state: s };
}

test('soft problems are not notified; hard ones are, once; recovery follows', () => {
  assert.deepEqual(run({ ...base, maxAttempts: 3 }, [[1, res(2)], [2, res(2)], [3, res(2)], [4, res(2)], [5, res(0)]]).log, ['-', '-', 'problem:2', '-', 'recovery']);
  assert.deepEqual(run({ ...base, maxAttempts: 3 }, [[1, res(2)], [2, res(0)]]).log, ['-', '-']);
});

test('host down: service problems are folded into the host incident; on host recovery the service is re-checked first', () => {
  const cases: Array<[string, NagiosState, string]> = [
    ['still failing after recheck: one problem, after the recheck', 2, 'problem:2'],
    ['fine after recheck: nothing stale is sent', 0, '-'],
  ];
  for (const [name, after, expected] of cases) {
    const { log } = run(base, [[1, { kind: 'host', status: 'DOWN' }], [2, res(2)], [3, { kind: 'host', status: 'UP' }], [4, res(after)]]);
    assert.deepEqual(log, ['-', 'suppressed:host-down', 'recheck', expected], name);
  }
  // A host that is only UNREACHABLE suppresses the same way.
  assert.deepEqual(run(base, [[1, { kind: 'host', status: 'UNREACHABLE' }], [2, res(2)]]).log, ['-', 'suppressed:host-down']);
});

test('flapping holds notifications; a recovery hidden by flapping comes out when flapping stops', () => {
  const policy: ServicePolicy = { ...base, flap: { window: 11, highThreshold: 50, lowThreshold: 25 } };
  const steps: Array<[number, ServiceInput]> = [];
  let t = 1;
  steps.push([t++, res(2)]); // problem notified
  for (let i = 0; i < 8; i++) steps.push([t++, res(i % 2 ? 2 : 0)]);
  for (let i = 0; i < 12; i++) steps.push([t++, res(0)]);
  const { log, state } = run(policy, steps);
  const flat = log.join(' ');
  assert.equal(log[0], 'problem:2');
  const startAt = log.findIndex((l) => l.includes('flapping-start'));
  const stopAt = log.findIndex((l) => l.includes('flapping-stop'));
  assert.ok(startAt > 0 && stopAt > startAt, flat);
  assert.equal(log.filter((l) => l.includes('flapping-start')).length, 1, flat);
  // The last thing people heard before flapping was the problem; while flapping, nothing.
  assert.ok(log[startAt - 1]!.startsWith('problem'), flat);
  assert.ok(log.slice(startAt, stopAt).every((l) => !/problem|recovery/.test(l)), flat);
  // Flapping stops in OK: the recovery is not swallowed, and it is the only thing sent after.
  assert.equal(log[stopAt], 'flapping-stop,recovery', flat);
  assert.ok(log.slice(stopAt + 1).every((l) => l === '-'), flat);
  assert.equal(state.notified, 0);
});

test('downtime: suppressed inside; still down at its end sends the problem then; recovered inside sends nothing', () => {
  const policy: ServicePolicy = { ...base, downtimes: [{ kind: 'once', start: 10 * M, end: 20 * M }] };
  assert.deepEqual(run(policy, [[11, res(2)], [15, res(2)], [20, tick]]).log, ['downtime-start,suppressed:downtime', '-', 'downtime-end,problem:2']);
  assert.deepEqual(run(policy, [[11, res(2)], [15, res(0)], [20, tick]]).log, ['downtime-start,suppressed:downtime', '-', 'downtime-end']);
  // The engine asks to be woken at the end of the window.
  const out = transition(initialServiceState(0), res(2), policy, 11 * M);
  assert.ok(out.effects.some((e) => e.type === 'wake' && e.at === 20 * M));
});

test('acknowledgement is sticky through WARNING/CRITICAL and cleared by OK', () => {
  const { log, state } = run(base, [
    [1, res(1)],
    [2, { kind: 'ack', by: 'op', comment: 'on it' }],
    [3, res(2)],
    [4, res(1)],
    [5, res(0)],
    [6, res(2)],
  ]);
  assert.deepEqual(log, ['problem:1', 'acknowledgement', 'suppressed:acknowledged', 'suppressed:acknowledged', 'recovery', 'problem:2']);
  assert.equal(state.ack, null);
});

test('reminders at the set interval while unacknowledged; an ack stops them', () => {
  const policy = { ...base, reminderIntervalMs: 30 * M };
  assert.deepEqual(run(policy, [[0, res(2)], [20, tick], [30, tick], [45, res(2)], [60, tick], [61, { kind: 'ack', by: 'op', comment: '' }], [120, tick]]).log, [
    'problem:2', '-', 'reminder:2', '-', 'reminder:2', 'acknowledgement', '-',
  ]);
});

test('escalation after a set time unacknowledged, level by level; an ack in time prevents it', () => {
  const policy = { ...base, escalations: [{ afterMs: 15 * M, level: 1 }, { afterMs: 60 * M, level: 2 }] };
  assert.deepEqual(run(policy, [[0, res(2)], [14, tick], [15, tick], [59, tick], [60, tick], [61, res(0)]]).log, [
    'problem:2', '-', 'escalate:1,problem:2@1', '-', 'escalate:2,problem:2@2', 'recovery',
  ]);
  assert.deepEqual(run(policy, [[0, res(2)], [10, { kind: 'ack', by: 'op', comment: '' }], [15, tick], [60, tick]]).log, ['problem:2', 'acknowledgement', '-', '-']);
  // A late tick jumps to the highest level due, once.
  assert.deepEqual(run(policy, [[0, res(2)], [90, tick]]).log, ['problem:2', 'escalate:2,problem:2@2']);
});
