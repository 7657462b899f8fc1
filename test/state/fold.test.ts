/**
 * One outage, one incident, in the pure engine: a target without a host check of its own is
 * reached through its parents (its problems wait for them, fold into the root cause's incident
 * when they are down, and are re-checked before anything is said when they come back), and the
 * same service seen through two targets (twins) is told once, in its primary's incident.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { defaultServicePolicy } from '../../src/state/service-engine.ts';
import { HOLD_MAX_MS, StateEngine, type EngineCheck, type EngineEvent } from '../../src/state/engine.ts';

const policy = { ...defaultServicePolicy, maxAttempts: 2, flap: null };
/** acc-srv: a server with a ping and Apache; www-acc: a vhost on that Apache, no host check, behind acc-srv. */
const checks: EngineCheck[] = [
  { id: 'acc-srv/ping', target: 'acc-srv', name: 'ping', probe: 'ping', isHostCheck: true, policy },
  { id: 'acc-srv/http', target: 'acc-srv', name: 'http', probe: 'http', isHostCheck: false, policy },
  { id: 'www-acc/http', target: 'www-acc', name: 'http', probe: 'http', isHostCheck: false, policy, primary: 'acc-srv/http' },
  { id: 'shop/http', target: 'shop', name: 'http', probe: 'http', isHostCheck: false, policy },
];
const parents = { 'acc-srv': [], 'www-acc': ['acc-srv'], shop: ['acc-srv'] };

const show = (e: EngineEvent): string => {
  switch (e.type) {
    case 'problem':
    case 'recovery':
      return `${e.type}:${e.subject.kind === 'host' ? e.target : e.subject.checkId}`;
    case 'folded':
      return `folded:${e.target}>${e.into.join('+')}`;
    case 'folded-service':
      return `${e.how}:${e.subject.checkId}>${e.into.join('+')}`;
    case 'unfolded':
      return `unfolded:${e.key}`;
    case 'suppressed':
      return `suppressed:${e.subject.kind === 'host' ? e.target : e.subject.checkId}(${e.reason})`;
    case 'recheck':
      return `recheck:${[...e.checkIds].sort().join('+')}`;
    default:
      return e.type;
  }
};

type Step = [number, string, NagiosState];

function fresh(): StateEngine {
  const e = new StateEngine();
  e.configure(checks, parents, 0);
  return e;
}

/** Feeds `[time, check, state]` results; returns what each produced (wakes left out). */
function run(steps: Step[], engine = fresh()): string[] {
  return steps.map(
    ([t, id, st]) =>
      engine
        .onResult(id, { state: st, text: st === 0 ? 'HTTP OK' : 'CRITICAL - Connection refused', perfdata: [], startedAt: t, durationMs: 1 }, t)
        .filter((e) => e.type !== 'wake')
        .map(show)
        .join(',') || '-',
  );
}

const CRIT = NagiosState.CRITICAL;
const OK = NagiosState.OK;
/** Everything fine at t=100 (so later checks are stale, not unknown). */
const allOk: Step[] = [[100, 'acc-srv/ping', OK], [100, 'acc-srv/http', OK], [100, 'www-acc/http', OK], [100, 'shop/http', OK]];

test('a child target with no host check behind a DOWN parent: no problem of its own, folded into the parent', () => {
  const log = run([
    ...allOk,
    [1000, 'shop/http', CRIT],
    [2000, 'shop/http', CRIT], // confirmed: held, the parent is looked at first
    [2100, 'acc-srv/ping', CRIT],
    [2200, 'acc-srv/ping', CRIT], // the parent is DOWN
    [3000, 'shop/http', CRIT],
  ]);
  assert.deepEqual(log.slice(4), ['-', 'recheck:acc-srv/ping', '-', 'problem:acc-srv,behind:shop/http>acc-srv', '-']);
  assert.ok(!log.some((l) => l.includes('problem:shop')), 'the child never has a problem of its own');
});

test('a child that fails after its parent is already DOWN joins the parent at once', () => {
  const log = run([...allOk, [1000, 'acc-srv/ping', CRIT], [1100, 'acc-srv/ping', CRIT], [2000, 'shop/http', CRIT], [2100, 'shop/http', CRIT]]);
  assert.deepEqual(log.slice(4), ['-', 'problem:acc-srv', '-', 'behind:shop/http>acc-srv']);
});

test('the parent is UP but the child fails: the child is told only once the parent is confirmed', () => {
  const engine = fresh();
  run(allOk, engine);
  assert.deepEqual(run([[1000, 'shop/http', CRIT], [2000, 'shop/http', CRIT]], engine), ['-', 'recheck:acc-srv/ping']);
  assert.deepEqual(run([[2100, 'shop/http', CRIT]], engine), ['-'], 'not before the parent spoke');
  assert.deepEqual(run([[2200, 'acc-srv/ping', OK]], engine), ['problem:shop/http']);
});

test('a parent that never answers does not hold the child past HOLD_MAX_MS', () => {
  const engine = fresh();
  run([...allOk, [1000, 'shop/http', CRIT], [2000, 'shop/http', CRIT]], engine);
  assert.deepEqual(run([[2000 + HOLD_MAX_MS - 1, 'shop/http', CRIT]], engine), ['-']);
  assert.deepEqual(run([[2000 + HOLD_MAX_MS, 'shop/http', CRIT]], engine), ['problem:shop/http']);
});

test('the parent recovers: the folded child is re-checked before anything is said, then told or closed', () => {
  const down: Step[] = [...allOk, [1000, 'acc-srv/ping', CRIT], [1100, 'acc-srv/ping', CRIT], [2000, 'shop/http', CRIT], [2100, 'shop/http', CRIT]];
  // Still failing after the parent came back: its member closes, its own problem waits for the parent's check, then is told.
  const still = fresh();
  run(down, still);
  assert.deepEqual(run([[9000, 'acc-srv/ping', OK]], still), ['recheck:acc-srv/http,recovery:acc-srv,recheck:www-acc/http,recheck:shop/http'], 'only a re-check, no stale news');
  assert.deepEqual(run([[9100, 'shop/http', CRIT]], still), ['unfolded:target:shop,recheck:acc-srv/ping']);
  assert.deepEqual(run([[9200, 'acc-srv/ping', OK]], still), ['problem:shop/http']);
  // Working again: the member closes, nothing else.
  const back = fresh();
  run(down, back);
  run([[9000, 'acc-srv/ping', OK]], back);
  assert.deepEqual(run([[9100, 'shop/http', OK]], back), ['unfolded:target:shop']);
  assert.deepEqual(run([[9200, 'shop/http', OK]], back), ['-'], 'closed once');
});

test('twins: the vhost and the server on the same Apache are one incident; the twin recovery closes its member', () => {
  // The vhost fails first: held for its parent and its primary, both re-checked at once.
  const engine = fresh();
  const log = run(
    [
      ...allOk,
      [1000, 'www-acc/http', CRIT],
      [2000, 'www-acc/http', CRIT],
      [2100, 'acc-srv/ping', OK],
      [2200, 'acc-srv/http', CRIT], // soft: still waiting
      [2700, 'acc-srv/http', CRIT], // confirmed: waits for the ping as any problem does
      [2800, 'acc-srv/ping', OK],
    ],
    engine,
  );
  assert.deepEqual(log.slice(4), ['-', 'recheck:acc-srv/http+acc-srv/ping', '-', '-', 'recheck:acc-srv/ping', 'problem:acc-srv/http,twin:www-acc/http>acc-srv']);
  assert.deepEqual(run([[5000, 'acc-srv/http', OK], [5100, 'www-acc/http', OK]], engine), ['recovery:acc-srv/http,recheck:www-acc/http', 'unfolded:www-acc/http'], 'the primary back: its twin is looked at at once');

  // The primary told first: the twin joins it as soon as its own parent is confirmed.
  const later = fresh();
  run([...allOk, [1000, 'acc-srv/http', CRIT], [1100, 'acc-srv/http', CRIT], [1200, 'acc-srv/ping', OK]], later);
  assert.deepEqual(run([[3000, 'www-acc/http', CRIT], [3100, 'www-acc/http', CRIT], [3200, 'acc-srv/ping', OK]], later), ['-', 'recheck:acc-srv/ping', 'twin:www-acc/http>acc-srv']);
});

test('twins where the primary is OK: the twin is its own incident, after the primary was looked at', () => {
  const log = run([...allOk, [1000, 'www-acc/http', CRIT], [2000, 'www-acc/http', CRIT], [2100, 'acc-srv/ping', OK], [2200, 'acc-srv/http', OK]]);
  assert.deepEqual(log.slice(4), ['-', 'recheck:acc-srv/http+acc-srv/ping', '-', 'problem:www-acc/http']);
});

test('after a restart, a folded target and a twin are closed when they come back', () => {
  const states = new Map([
    ['acc-srv/http', { state: CRIT, stateType: 'hard' as const, attempt: 2, lastChange: 0, lastCheck: 500, text: 'CRITICAL' }],
    ['www-acc/http', { state: CRIT, stateType: 'hard' as const, attempt: 2, lastChange: 0, lastCheck: 500, text: 'CRITICAL' }],
    ['shop/http', { state: CRIT, stateType: 'hard' as const, attempt: 2, lastChange: 0, lastCheck: 500, text: 'CRITICAL' }],
  ]);
  const engine = fresh();
  engine.restore(states, new Set(['acc-srv/http', 'www-acc/http', 'target:shop']));
  assert.deepEqual(run([[1000, 'shop/http', OK], [1100, 'www-acc/http', OK]], engine), ['unfolded:target:shop', 'recovery:www-acc/http']);
});

test('a result that started before the parent came back is stale: it asks for the re-check again and says nothing', () => {
  const engine = fresh();
  run([...allOk, [1000, 'acc-srv/ping', CRIT], [1100, 'acc-srv/ping', CRIT], [2000, 'shop/http', CRIT], [2100, 'shop/http', CRIT], [9000, 'acc-srv/ping', OK]], engine);
  const inFlight = engine.onResult('shop/http', { state: CRIT, text: 'HTTP CRITICAL - Socket timeout after 1 seconds', perfdata: [], startedAt: 8500, durationMs: 1000 }, 9500);
  assert.deepEqual(inFlight.map(show), ['recheck:shop/http']);
  assert.deepEqual(run([[9600, 'shop/http', OK]], engine), ['unfolded:target:shop']);
});
