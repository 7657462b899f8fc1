/** Flap detection: weighted change percentage and hysteresis, table-driven. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changePercent, initialFlapState, recordFlap, type FlapPolicy } from '../../src/state/flapping.ts';
import type { NagiosState } from '../../src/core/nagios.ts';

const policy: FlapPolicy = { window: 21, highThreshold: 50, lowThreshold: 25 };

function feed(states: NagiosState[]) {
  let f = initialFlapState();
  const marks: string[] = [];
  for (const s of states) {
    const out = recordFlap(f, s, policy);
    f = out.state;
    marks.push(out.started ? 'start' : out.stopped ? 'stop' : f.flapping ? 'F' : '.');
  }
  return { f, marks: marks.join(' ') };
}

test('change percentage: none, all, and recent changes weigh more than old ones', () => {
  const cases: Array<[NagiosState[], (p: number) => boolean, string]> = [
    [Array(21).fill(0), (p) => p === 0, 'steady'],
    [Array.from({ length: 21 }, (_, i) => (i % 2 ? 2 : 0) as NagiosState), (p) => Math.abs(p - 100) < 1e-9, 'alternating'],
  ];
  for (const [h, ok, name] of cases) assert.ok(ok(changePercent(h, 21)), name);
  const oldChange = [0, 2, ...Array(19).fill(2)] as NagiosState[];
  const newChange = [...Array(20).fill(0), 2] as NagiosState[];
  assert.ok(changePercent(newChange, 21) > changePercent(oldChange, 21));
});

test('flapping starts above the high threshold and stops only below the low one', () => {
  const alternating = Array.from({ length: 16 }, (_, i) => (i % 2 ? 2 : 0) as NagiosState);
  const { f, marks } = feed([...alternating, ...Array(30).fill(0)]);
  const list = marks.split(' ');
  const start = list.indexOf('start');
  const stop = list.indexOf('stop');
  assert.ok(start > 0 && stop > start, marks);
  assert.equal(list.filter((m) => m === 'start').length, 1);
  assert.equal(f.flapping, false);
  // Between the thresholds it keeps flapping (hysteresis): the percentage fell below 50 before it stopped.
  const between = list.slice(start + 1, stop).filter((m) => m === 'F').length;
  assert.ok(between > 0, marks);
});

test('a steady check never flaps; a single change does not start flapping', () => {
  assert.ok(!feed([...Array(10).fill(0), 2, ...Array(10).fill(2)]).marks.includes('start'));
});
