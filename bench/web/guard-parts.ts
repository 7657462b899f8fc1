/**
 * Where the guard page's time goes (`node --import tsx bench/web/guard-parts.ts [incidents]
 * [bans]`), without a daemon: a store seeded like bench/web/pages.ts (no results), then the
 * median of 30 runs of each part the /guard route does: the view the daemon builds
 * (daemon-web-console.ts guardView: the newest 60 attack incidents by the kind index, their
 * timelines, every stored ban, sorted), the page cut from it (guardSlice: 100 bans, counts over
 * all) and rendered to HTML (console-guard.tsx).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../src/config/load.ts';
import { silentLogger } from '../../src/core/log.ts';
import { consoleDeps } from '../../src/daemon-web-console.ts';
import { stores } from '../../src/store/index.ts';
import { GUARD_PAGE, GuardPage, guardSlice } from '../../src/web/console-guard.tsx';
import { seedStore } from './seed.ts';

const incidents = Number(process.argv[2] ?? 20_000);
const bans = Number(process.argv[3] ?? 2_000);
const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-guard-'));
try {
  mkdirSync(join(dir, 'data'));
  const path = join(dir, 'data', 'mamoru.db');
  await seedStore(path, { checks: 10_000, results: 2_000, incidents, bans }, Date.now());
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path }), { log: silentLogger });
  const config = parseConfig('targets: []\n', 'bench.yaml');
  const deps = consoleDeps({ config: () => config, secret: () => '', store, log: silentLogger });
  const c = { req: { query: () => undefined } } as never;
  const r = { name: 'bench', role: 'admin' as const, lang: 'en' as const, zone: 'UTC', csrf: 'x'.repeat(43) } as never;
  const time = async (what: string, fn: () => unknown) => {
    const xs: number[] = [];
    for (let i = 0; i < 33; i++) {
      const t = performance.now();
      await fn();
      if (i >= 3) xs.push(performance.now() - t);
    }
    xs.sort((a, b) => a - b);
    console.log(`${what}: median ${xs[15]!.toFixed(1)} ms, p95 ${xs[28]!.toFixed(1)} ms`);
  };
  const view = await deps.guardView();
  console.log(`${incidents} incidents, ${bans} bans: the view holds ${view.bans.length} bans; load average ${(await import('node:os')).loadavg()[0]!.toFixed(2)}`);
  await time('store.incidents({ limit: 1000 }) (guardView reads it to find attacks)', () => store.incidents({ limit: 1000 }));
  await time('store.incidentPage({ kind: attack, limit: 60 }) (the index of migration 0009)', () => store.incidentPage({ kind: 'attack', limit: 60 }));
  await time('store.bans()', () => store.bans());
  await time('guardView() whole', () => deps.guardView());
  await time('guardSlice (first page of 100, counts over all)', () => guardSlice(view.bans, undefined, GUARD_PAGE, 'en'));
  const slice = guardSlice(view.bans, undefined, GUARD_PAGE, 'en');
  await time(`GuardPage rendered (${Math.round(String(GuardPage({ c, r, slice, allow: view.allow, manage: true })).length / 1024)} KiB)`, () => String(GuardPage({ c, r, slice, allow: view.allow, manage: true })));
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
