/**
 * Fills a fresh SQLite store, through the store's own API, with what a console of N checks has
 * after a while: `results` results over the last 24 h (one check, `t0000/c0`, every minute; the
 * rest spread over every check), their minute and hour rollups (store.maintain, as the daemon
 * does), `incidents` resolved incidents over 30 days (one in ten an attack with its bans and
 * `ban` records), and `bans` bans in force with enrichment. The daemon opens the file afterwards.
 */
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../../src/core/log.ts';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { stores } from '../../src/store/index.ts';
import type { StoredResult } from '../../src/store/types.ts';

export interface SeedCounts {
  /** Checks as manyChecks names them: targets of 10 checks, `t0000/c0` ... */
  checks: number;
  results: number;
  incidents: number;
  bans: number;
}

const DAY = 86_400_000;
const BATCH = 10_000;
const targetName = (i: number) => `t${String(i).padStart(4, '0')}`;
const addressOf = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;

function result(checkIdx: number, at: number, k: number): StoredResult {
  const target = targetName(Math.floor(checkIdx / 10));
  const ms = 0.4 + ((k * 7919) % 1000) / 1000;
  return { checkId: `${target}/c${checkIdx % 10}`, target, state: 0, text: `TCP OK - ${(ms / 1000).toFixed(3)} second response time on 127.0.0.1 port 8080`, perfdata: [{ label: 'time', value: ms / 1000, unit: 's', min: 0 }], startedAt: at, durationMs: ms };
}

/** Seeds the store at `path`; returns how long each part took (ms). */
export async function seedStore(path: string, n: SeedCounts, now: number, log: (s: string) => void = () => {}): Promise<Record<string, number>> {
  const took: Record<string, number> = {};
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path }), { log: silentLogger });
  try {
    let t = performance.now();
    const hot = 1440;
    let batch: StoredResult[] = [];
    const put = async (r: StoredResult) => {
      batch.push(r);
      if (batch.length === BATCH) {
        await store.appendResults(batch);
        batch = [];
      }
    };
    for (let m = 0; m < hot; m++) await put(result(0, now - DAY + m * 60_000 + 1_000, m));
    const rest = n.results - hot;
    for (let k = 0; k < rest; k++) await put(result(1 + (k % (n.checks - 1)), now - DAY + Math.floor((k / rest) * DAY), k));
    if (batch.length) await store.appendResults(batch);
    took.results = performance.now() - t;
    log(`  ${n.results.toLocaleString('en-US')} results written in ${(took.results / 1000).toFixed(1)} s`);

    t = performance.now();
    const m = await store.maintain(now);
    took.rollups = performance.now() - t;
    log(`  rolled up ${m.rolledUp.toLocaleString('en-US')} results in ${(took.rollups / 1000).toFixed(1)} s`);

    t = performance.now();
    const targets = n.checks / 10;
    for (let i = 0; i < n.incidents; i++) {
      const ti = (i * 7) % targets;
      const target = targetName(ti);
      const openedAt = now - 30 * DAY + Math.floor((i / n.incidents) * 30 * DAY);
      const attack = i % 10 === 0;
      const base: Omit<IncidentRecord, 'id'> = attack
        ? {
            target, kind: 'attack', status: 'resolved', severity: 'ok', title: `${target}: attack blocked (sshd)`, openedAt, resolvedAt: openedAt, updatedAt: openedAt, members: [],
            attack: { bans: [0, 1, 2].map((b) => ({ address: addressOf(i * 3 + b), jail: 'sshd', tried: 'ssh password', failures: 6, windowMs: 600_000, at: openedAt + b * 1000, until: openedAt + 3_600_000, country: 'JP', countryName: 'Japan', owner: 'BENCH-NET', network: '198.18.0.0/15' })), total: 3 },
          }
        : { target, status: 'resolved', severity: 'critical', title: `${target}: c9 CRITICAL - TCP CRITICAL - connect to address 127.0.0.1 and port 9: Connection refused`, openedAt, resolvedAt: openedAt + 300_000, updatedAt: openedAt + 300_000, members: [{ key: `${target}/c9`, kind: 'service', probe: 'tcp', label: 'c9', state: 'OK', text: 'TCP OK', since: openedAt, recoveredAt: openedAt + 300_000 }] };
      const inc = await store.createIncident(base);
      await store.appendIncidentEvent({ incidentId: inc.id, at: openedAt, kind: attack ? 'ban' : 'opened', text: base.title, ...(attack ? { data: { address: addressOf(i * 3), line: `sshd[4242]: Failed password for root from ${addressOf(i * 3)} port 50022 ssh2`, port: 22 } } : {}) } as never);
    }
    took.incidents = performance.now() - t;
    log(`  ${n.incidents.toLocaleString('en-US')} incidents in ${(took.incidents / 1000).toFixed(1)} s`);

    t = performance.now();
    for (let b = 0; b < n.bans; b++) {
      await store.saveBan({ address: addressOf(100_000 + b), jail: b % 2 ? 'sshd' : 'postfix-sasl', reason: `6 failures (ssh password) in 10m`, createdAt: now - (b % 3600) * 1000, until: now + 3_600_000 + b * 1000, banCount: 1 + (b % 3), enrichment: { country: 'JP', countryName: 'Japan', owner: 'BENCH-NET', network: '198.18.0.0/15' } });
    }
    took.bans = performance.now() - t;
    log(`  ${n.bans.toLocaleString('en-US')} bans in ${(took.bans / 1000).toFixed(1)} s`);
  } finally {
    await store.close();
  }
  return took;
}
