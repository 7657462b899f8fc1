/**
 * The overview's own work at N checks without a daemon around it (`node --import tsx
 * bench/web/overview-index.ts 100000`): loading the index, a result's update, and the first page
 * as the route builds it (one page from the index, counts, rendered to HTML), for an unscoped
 * reader and for a viewer of one tag. The daemon's start at 100,000 checks takes minutes on a
 * loaded machine (not the web room's part), which is why this is measured on its own too.
 */
import { performance } from 'node:perf_hooks';
import { inScope } from '../../src/auth/types.ts';
import { OverviewIndex, type CheckRowInput } from '../../src/web/overview-index.ts';
import { OverviewPage } from '../../src/web/overview-page.tsx';
import type { TargetView } from '../../src/web/types.ts';

const n = Number(process.argv[2] ?? 100_000);
const now = Date.now();
const targets: TargetView[] = [];
// The daemon's own records (what Daemon.apply hands the index), not views with ISO times.
const checks: CheckRowInput[] = [];
for (let i = 0; i < n / 10; i++) {
  const name = `t${String(i).padStart(5, '0')}`;
  targets.push({ name, address: '127.0.0.1', tags: [`group-${i % 10}`], parents: i >= 100 ? [`t${String(i - 100).padStart(5, '0')}`] : [] });
  for (let j = 0; j < 10; j++) {
    const state = j === 9 && i % 50 === 0 ? 2 : 0;
    const text = state ? 'TCP CRITICAL - connect to address 127.0.0.1 and port 9: Connection refused' : 'TCP OK - 0.001 second response time on 127.0.0.1 port 8080';
    checks.push({ id: `${name}/c${j}`, target: name, name: `c${j}`, type: 'tcp', maxAttempts: 3, durationMs: 1.2, state: { state, stateType: 'hard', attempt: state ? 3 : 0, text, lastCheck: now - i, lastChange: now - 3600_000 - i } });
  }
}
const index = new OverviewIndex();
let t = performance.now();
index.loadChecks(checks, targets);
console.log(`${n} checks: index loaded in ${(performance.now() - t).toFixed(0)} ms`);

t = performance.now();
for (let k = 0; k < 10_000; k++) {
  const v = checks[(k * 7919) % n]!;
  index.updateState(v.id, { ...v.state, state: k % 2 ? 2 : 0, lastCheck: now + k, lastChange: now + k }, v.durationMs);
}
console.log(`10,000 updates (half of them state changes): ${((performance.now() - t) / 10).toFixed(3)} µs each`);

const reader = { name: 'bench', role: 'admin' as const, lang: 'en' as const, zone: 'Asia/Tokyo' };
const scope = { targets: [], tags: ['group-3'] };
for (const [who, see, all] of [['everything', () => true, true], ['a viewer of group-3', (t: string) => inScope(scope, { name: t, tags: targets[Number(t.slice(1))]!.tags }), false]] as const) {
  for (const q of [{ sort: 'problems' as const }, { sort: 'name' as const, state: 'critical' as const }, { sort: 'name' as const, q: 't09999' }]) {
    const times: number[] = [];
    for (let k = 0; k < 31; k++) {
      t = performance.now();
      const page = index.page({ ...q, limit: 100, see });
      const html = String(OverviewPage({ reader, d: { filters: { ...q, view: 'list' }, counts: index.counts(see, all), rows: page.rows, next: page.next, incidents: [], recent: [], tags: [], types: index.types() } }));
      if (k > 0) times.push(performance.now() - t);
      if (html.length < 1000) throw new Error('empty page');
    }
    times.sort((a, b) => a - b);
    console.log(`first page for ${who}, ${JSON.stringify(q)}: median ${times[15]!.toFixed(1)} ms, p95 ${times[29]!.toFixed(1)} ms`);
  }
}
