/**
 * /metrics's per-check series are written at scrape time from the overview's rows: a check's
 * state and duration after its result, nothing before its first result, label values escaped,
 * the counts by type and state always, and past the `auto` bound only those counts. Also: a row
 * updated in place from the daemon's record sits where a full rebuild of the index puts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics, PER_CHECK_AUTO_MAX } from '../../src/web/metrics.ts';
import { OverviewIndex, type CheckRowInput } from '../../src/web/overview-index.ts';

const T0 = Date.UTC(2026, 11, 7, 12);

function input(id: string, target: string, type = 'tcp'): CheckRowInput {
  return { id, target, name: id.slice(target.length + 1), type, maxAttempts: 3, durationMs: null, state: { state: 0, stateType: 'hard', attempt: 0, text: '', lastCheck: 0, lastChange: T0 } };
}

function wired(checks: CheckRowInput[], perCheck: 'auto' | 'all' | 'none' = 'auto'): { metrics: Metrics; overview: OverviewIndex } {
  const overview = new OverviewIndex();
  overview.loadChecks(checks, [...new Set(checks.map((c) => c.target))].map((name) => ({ name, address: '127.0.0.1', tags: [], parents: [] })));
  const metrics = new Metrics();
  metrics.checksFrom((emit) => overview.forEach(emit), perCheck);
  return { metrics, overview };
}

test('per-check series come from the checks as they are now; counts by type and state; escaped labels', async () => {
  const checks = [input('web/http', 'web', 'http'), input('web/smtp', 'web'), input('db/"odd\\name"', 'db'), input('db/never', 'db')];
  const { metrics, overview } = wired(checks);
  const result = (state: 0 | 1 | 2 | 3, durationMs: number) => ({ state, text: 'x', perfdata: [], startedAt: T0, durationMs });
  overview.updateState('web/http', { state: 0, stateType: 'hard', attempt: 0, text: 'HTTP OK', lastCheck: T0 + 1000, lastChange: T0 }, 12.5);
  metrics.observe({ type: 'http' }, result(0, 12.5));
  overview.updateState('web/smtp', { state: 2, stateType: 'soft', attempt: 1, text: 'connection refused', lastCheck: T0 + 1000, lastChange: T0 + 1000 }, 0.25);
  metrics.observe({ type: 'tcp' }, result(2, 0.25));
  overview.updateState('db/"odd\\name"', { state: 1, stateType: 'hard', attempt: 3, text: 'slow', lastCheck: T0 + 1000, lastChange: T0 + 1000 }, 1500);
  metrics.observe({ type: 'tcp' }, result(1, 1500));
  const text = await metrics.registry.metrics();
  assert.match(text, /^mamoru_check_state\{check="web\/http",target="web",type="http"\} 0$/m);
  assert.match(text, /^mamoru_check_state\{check="web\/smtp",target="web",type="tcp"\} 2$/m);
  assert.match(text, /^mamoru_check_duration_seconds\{check="web\/smtp",target="web",type="tcp"\} 0.00025$/m);
  assert.match(text, /^mamoru_check_state\{check="db\/\\"odd\\\\name\\"",target="db",type="tcp"\} 1$/m);
  assert.match(text, /^mamoru_check_duration_seconds\{check="db\/\\"odd\\\\name\\"",target="db",type="tcp"\} 1.5$/m);
  // No result yet: no series of its own, counted as pending.
  assert.doesNotMatch(text, /check="db\/never"/);
  assert.match(text, /^mamoru_checks\{type="tcp",state="pending"\} 1$/m);
  assert.match(text, /^mamoru_checks\{type="tcp",state="critical"\} 1$/m);
  assert.match(text, /^mamoru_checks\{type="http",state="ok"\} 1$/m);
  assert.match(text, /^mamoru_check_results_total\{type="tcp",state="critical"\} 1$/m);
  assert.match(text, /^mamoru_check_results_total\{type="http",state="ok"\} 1$/m);
  // Each metric is declared once, as Prometheus's parser requires.
  for (const name of ['mamoru_check_state', 'mamoru_check_duration_seconds', 'mamoru_check_results_total', 'mamoru_checks']) assert.equal(text.split('\n').filter((l) => l === `# TYPE ${name} ${name.endsWith('_total') ? 'counter' : 'gauge'}`).length, 1, name);
  // A recovery shows at the next scrape.
  overview.updateState('web/smtp', { state: 0, stateType: 'hard', attempt: 0, text: 'TCP OK', lastCheck: T0 + 2000, lastChange: T0 + 2000 }, 0.5);
  assert.match(await metrics.registry.metrics(), /^mamoru_check_state\{check="web\/smtp",target="web",type="tcp"\} 0$/m);
});

test('past the auto bound only the counts are written; `all` writes every check, `none` none', async () => {
  const n = PER_CHECK_AUTO_MAX + 1;
  const checks = Array.from({ length: n }, (_, i) => input(`t${i >> 4}/c${i & 15}`, `t${i >> 4}`));
  for (const [perCheck, series] of [['auto', 0], ['all', n], ['none', 0]] as const) {
    const { metrics, overview } = wired(checks, perCheck);
    for (const c of checks) overview.updateState(c.id, { state: 0, stateType: 'hard', attempt: 0, text: 'ok', lastCheck: T0 + 1, lastChange: T0 }, 1);
    const text = await metrics.registry.metrics();
    assert.equal(text.split('\n').filter((l) => l.startsWith('mamoru_check_state{')).length, series, perCheck);
    assert.match(text, new RegExp(`^mamoru_checks\\{type="tcp",state="ok"\\} ${n}$`, 'm'));
  }
  // At the bound itself, auto still writes each check.
  const { metrics, overview } = wired(checks.slice(0, PER_CHECK_AUTO_MAX));
  for (const c of checks.slice(0, PER_CHECK_AUTO_MAX)) overview.updateState(c.id, { state: 0, stateType: 'hard', attempt: 0, text: 'ok', lastCheck: T0 + 1, lastChange: T0 }, 1);
  assert.equal((await metrics.registry.metrics()).split('\n').filter((l) => l.startsWith('mamoru_check_state{')).length, PER_CHECK_AUTO_MAX);
});

test('a row changed in place is where a rebuilt index puts it, in every order and count', () => {
  let seed = 11;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const checks = Array.from({ length: 3000 }, (_, i) => input(`t${i % 97}/c${i}`, `t${i % 97}`));
  const live = new OverviewIndex();
  const targets = [...new Set(checks.map((c) => c.target))].map((name) => ({ name, address: '127.0.0.1', tags: [], parents: [] }));
  live.loadChecks(checks, targets);
  for (let k = 0; k < 20_000; k++) {
    const c = checks[rnd(checks.length)]!;
    const state = [0, 0, 1, 2, 3][rnd(5)]!;
    const s = { state, stateType: rnd(2) ? ('hard' as const) : ('soft' as const), attempt: state ? 1 + rnd(3) : 0, text: `text ${rnd(50)}`, lastCheck: T0 + k, lastChange: T0 + rnd(1000) };
    c.state = s;
    c.durationMs = rnd(1000) / 7;
    live.updateState(c.id, s, c.durationMs);
  }
  const rebuilt = new OverviewIndex();
  rebuilt.loadChecks(checks, targets);
  const see = () => true;
  for (const sort of ['problems', 'name', 'changed'] as const) {
    const a = live.page({ sort, limit: 5000, see }).rows.map((r) => ({ ...r, haystack: undefined }));
    const b = rebuilt.page({ sort, limit: 5000, see }).rows.map((r) => ({ ...r, haystack: undefined }));
    assert.deepEqual(a, b, sort);
  }
  assert.deepEqual(live.counts(see, true), rebuilt.counts(see, true));
  for (const t of targets) assert.deepEqual(live.targetCounts(t.name), rebuilt.targetCounts(t.name));
  // The free-text filter reads the text as it is now.
  const one = checks[5]!;
  assert.deepEqual(live.page({ sort: 'name', limit: 10, see, q: one.state.text.toUpperCase(), target: one.target }).rows.map((r) => r.id), rebuilt.page({ sort: 'name', limit: 10, see, q: one.state.text, target: one.target }).rows.map((r) => r.id));
});
