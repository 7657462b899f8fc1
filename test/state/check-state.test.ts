/** Soft and hard states, table-driven: the sequence of results and what each one makes of the state. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, nextState, type CheckState } from '../../src/state/check-state.ts';
import type { CheckResult } from '../../src/core/result.ts';
import type { NagiosState } from '../../src/core/nagios.ts';

const r = (state: NagiosState): CheckResult => ({ state, text: `state ${state}`, perfdata: [], startedAt: 0, durationMs: 1 });

function run(maxAttempts: number, states: NagiosState[]) {
  let s: CheckState = initialState(0);
  return states.map((st, i) => {
    const out = nextState(s, r(st), maxAttempts, (i + 1) * 1000);
    s = out.state;
    return `${['OK', 'WARNING', 'CRITICAL', 'UNKNOWN'][s.state]}/${s.stateType}/${s.attempt}${out.transition ? ` (${out.transition.type} change)` : ''}`;
  });
}

test('a problem is soft until max attempts, then hard; recovery from hard is a hard change', () => {
  assert.deepEqual(run(3, [0, 2, 2, 2, 2, 0, 0]), [
    'OK/hard/0',
    'CRITICAL/soft/1 (soft change)',
    'CRITICAL/soft/2',
    'CRITICAL/hard/3 (hard change)',
    'CRITICAL/hard/3',
    'OK/hard/0 (hard change)',
    'OK/hard/0',
  ]);
});

test('a soft problem that recovers is a soft recovery (no one is told)', () => {
  assert.deepEqual(run(3, [2, 0]), ['CRITICAL/soft/1 (soft change)', 'OK/hard/0 (soft change)']);
});

test('max_attempts 1 makes the first failure hard; a hard WARNING turning CRITICAL is a hard change', () => {
  assert.deepEqual(run(1, [1, 2, 2]), ['WARNING/hard/1 (hard change)', 'CRITICAL/hard/1 (hard change)', 'CRITICAL/hard/1']);
});

test('state changes within a soft problem count attempts on', () => {
  assert.deepEqual(run(3, [1, 2, 1]), ['WARNING/soft/1 (soft change)', 'CRITICAL/soft/2 (soft change)', 'WARNING/hard/3 (hard change)']);
});

test('last change moves only on a change', () => {
  let s = initialState(0);
  s = nextState(s, r(2), 3, 1000).state;
  s = nextState(s, r(2), 3, 2000).state;
  assert.equal(s.lastChange, 1000);
  assert.equal(s.lastCheck, 2000);
});
