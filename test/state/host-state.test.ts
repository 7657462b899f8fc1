/** Hosts UP / DOWN / UNREACHABLE with parents: only the cause is announced; children are re-checked after it recovers. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialHostsState, transitionHosts, type HostEffect, type HostsPolicy, type HostsState } from '../../src/state/host-state.ts';
import type { NagiosState } from '../../src/core/nagios.ts';

// router <- switch <- web1, web2; db has no parent.
const policy: HostsPolicy = {
  router: { parents: [], maxAttempts: 1 },
  switch: { parents: ['router'], maxAttempts: 1 },
  web1: { parents: ['switch'], maxAttempts: 1 },
  web2: { parents: ['switch'], maxAttempts: 1 },
  db: { parents: [], maxAttempts: 1 },
};
const show = (e: HostEffect): string | null =>
  e.type === 'host-status' ? null : e.type === 'recheck' ? `recheck:${e.host}` : e.type === 'notify' ? `${e.kind}:${e.host}` : `suppressed:${e.host}(${e.reason}${e.foldedInto.length ? `>${e.foldedInto.join('+')}` : ''})`;

function run(steps: Array<[string, NagiosState]>) {
  let s: HostsState = initialHostsState(policy, 0);
  const log = steps.map(([host, st], i) => {
    const out = transitionHosts(s, { host, result: { state: st, text: '', perfdata: [], startedAt: 0, durationMs: 1 } }, policy, (i + 1) * 1000);
    s = out.state;
    return out.effects.map(show).filter((x) => x !== null).join(',') || '-';
  });
  return { log, s };
}

test('host states from own checks and parents, table-driven', () => {
  const cases: Array<[string, Array<[string, NagiosState]>, string[], Record<string, string>]> = [
    ['a host with no parent that fails is DOWN', [['db', 2]], ['host-problem:db'], { db: 'DOWN' }],
    ['children failing behind a down parent are UNREACHABLE, folded into it', [['router', 2], ['switch', 2], ['web1', 2]],
      ['host-problem:router', 'suppressed:switch(unreachable>router)', 'suppressed:web1(unreachable>router)'], { router: 'DOWN', switch: 'UNREACHABLE', web1: 'UNREACHABLE', web2: 'UP' }],
    ['a child failing behind an UP parent is DOWN', [['web1', 2]], ['host-problem:web1'], { web1: 'DOWN', switch: 'UP' }],
  ];
  for (const [name, steps, log, statuses] of cases) {
    const out = run(steps);
    assert.deepEqual(out.log, log, name);
    for (const [h, st] of Object.entries(statuses)) assert.equal(out.s[h]!.status, st, `${name}: ${h}`);
  }
});

test('parent recovery: children are re-checked before anything is said about them', () => {
  const cases: Array<[string, NagiosState, string]> = [
    ['child fine on recheck: silent', 0, '-'],
    ['child really down on recheck: one problem then', 2, 'host-problem:switch'],
  ];
  for (const [name, childAfter, expected] of cases) {
    const { log } = run([['router', 2], ['switch', 2], ['router', 0], ['switch', childAfter]]);
    assert.deepEqual(log.slice(2), ['recheck:switch,host-recovery:router,suppressed:switch(awaiting-recheck)', expected], name);
  }
});
