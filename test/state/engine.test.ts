/**
 * The whole engine, table-driven with explicit times: problems wait for the hosts they depend on
 * (the host's own check and the parents are re-checked first), a dead parent folds the hosts
 * behind it, a service under a down host is never told on its own, and a restart does not tell
 * people again what they already know.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { defaultServicePolicy } from '../../src/state/service-engine.ts';
import { StateEngine, type EngineCheck, type EngineEvent } from '../../src/state/engine.ts';

const policy = { ...defaultServicePolicy, maxAttempts: 2, flap: null };
const checks: EngineCheck[] = [
  { id: 'gw/ping', target: 'gw', name: 'ping', probe: 'ping', isHostCheck: true, policy },
  { id: 'web1/ping', target: 'web1', name: 'ping', probe: 'ping', isHostCheck: true, policy },
  { id: 'web1/http', target: 'web1', name: 'http', probe: 'http', isHostCheck: false, policy },
  { id: 'db/mysql', target: 'db', name: 'mysql', probe: 'mysql', isHostCheck: false, policy },
];
const parents = { gw: [], web1: ['gw'], db: [] };

const show = (e: EngineEvent): string => {
  switch (e.type) {
    case 'problem':
    case 'recovery':
      return `${e.type}:${e.subject.kind === 'host' ? e.target : e.subject.checkId}`;
    case 'folded':
      return `folded:${e.target}>${e.into.join('+')}`;
    case 'suppressed':
      return `suppressed:${e.subject.kind === 'host' ? e.target : e.subject.checkId}(${e.reason})`;
    case 'recheck':
      return `recheck:${e.checkIds.join('+')}`;
    default:
      return e.type;
  }
};

/** Feeds `[time, check, state]` results; returns what each produced (wakes left out). */
function run(steps: Array<[number, string, NagiosState]>, engine = fresh()): { log: string[]; engine: StateEngine } {
  const log = steps.map(([t, id, st]) =>
    engine
      .onResult(id, { state: st, text: st === 0 ? 'OK' : 'CRITICAL - Connection refused', perfdata: [], startedAt: t, durationMs: 1 }, t)
      .filter((e) => e.type !== 'wake')
      .map(show)
      .join(',') || '-',
  );
  return { log, engine };
}

function fresh(): StateEngine {
  const e = new StateEngine();
  e.configure(checks, parents, 0);
  return e;
}

test('problems wait for the hosts they depend on, then are told, folded or dropped', () => {
  const cases: Array<[string, Array<[number, string, NagiosState]>, string[]]> = [
    [
      'a service problem on a host whose check has not spoken since: the host is checked first, then the problem is told',
      [[1000, 'web1/http', 2], [2000, 'web1/http', 2], [2100, 'gw/ping', 0], [2200, 'web1/ping', 0]],
      ['-', 'recheck:web1/ping', '-', 'problem:web1/http'],
    ],
    [
      'the host turns out down: the service is suppressed (folded into the host), the host waits for its parent',
      [[1000, 'web1/http', 2], [2000, 'web1/http', 2], [2100, 'web1/ping', 2], [2200, 'web1/ping', 2], [2300, 'gw/ping', 0]],
      ['-', 'recheck:web1/ping', '-', 'suppressed:web1/http(host-down),recheck:gw/ping', 'problem:web1'],
    ],
    [
      'the parent is down too: only the parent is told, the child host folded into it',
      [[1000, 'web1/ping', 2], [2000, 'web1/ping', 2], [2100, 'gw/ping', 2], [2200, 'gw/ping', 2]],
      ['-', 'recheck:gw/ping', '-', 'problem:gw,folded:web1>gw'],
    ],
    ['a service on a target with no host check is told at once', [[1000, 'db/mysql', 2], [2000, 'db/mysql', 2]], ['-', 'problem:db/mysql']],
  ];
  for (const [name, steps, log] of cases) assert.deepEqual(run(steps).log, log, name);
});

test('a service held back under a down host is told after the host recovers if it is still failing', () => {
  const { engine, log } = run([
    [1000, 'web1/http', 2],
    [2000, 'web1/http', 2],
    [2100, 'web1/ping', 2],
    [2200, 'web1/ping', 2],
    [2300, 'gw/ping', 0],
    [9000, 'web1/ping', 0],
  ]);
  assert.deepEqual(log.slice(-2), ['problem:web1', 'recheck:web1/http,recovery:web1']);
  // The re-check the engine asked for: still refused. Now it is the service's own problem.
  const after = run([[9100, 'web1/http', 2], [9200, 'web1/ping', 0]], engine).log;
  assert.deepEqual(after, ['recheck:web1/ping', 'problem:web1/http']);
});

test('after a restart, problems people were told of are not told again; others are', () => {
  const states = new Map([
    ['db/mysql', { state: NagiosState.CRITICAL, stateType: 'hard' as const, attempt: 2, lastChange: 0, lastCheck: 500, text: 'CRITICAL' }],
  ]);
  const told = fresh();
  told.restore(states, new Set(['db/mysql']));
  assert.deepEqual(run([[1000, 'db/mysql', 2]], told).log, ['-']);
  assert.deepEqual(run([[2000, 'db/mysql', 0]], told).log, ['recovery:db/mysql']);

  const untold = fresh();
  untold.restore(states, new Set());
  assert.deepEqual(run([[1000, 'db/mysql', 2]], untold).log, ['problem:db/mysql']);
});
