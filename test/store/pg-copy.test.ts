/**
 * `mamoru store copy`: an SQLite installation moved into an empty PostgreSQL database reads back
 * the same through every Store method (ids kept, so incidents keep their numbers), goes on
 * numbering after the copied ids, and a target that already holds data is refused with nothing
 * of the copy kept. The command itself prints its progress per table.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { registerStore } from '../../src/cli/store.ts';
import { UsageError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/core/log.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { stores, type Store } from '../../src/store/index.ts';
import { copyStore, StoreCopyError, type CopyProgress } from '../../src/store/pg-copy.ts';
import { result, T0 } from './contract.ts';
import { createDatabase, dropDatabase, SERVER, withClient } from './pg-harness.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-copy-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

const openSqlite = (path: string) => stores.sqlite.create(stores.sqlite.schema.parse({ path }), { log: silentLogger });
const openPg = (url: string) => stores.postgres.create(stores.postgres.schema.parse({ url }), { log: silentLogger });
const CHECKS = ['web1/http', 'web1/ping', 'db1/mysql'];

/** An installation with something in every table. */
async function populate(s: Store): Promise<void> {
  await s.appendResults(Array.from({ length: 2_500 }, (_, i) => result({ checkId: CHECKS[i % 3]!, target: CHECKS[i % 3]!.split('/')[0]!, startedAt: T0 + i * 7_000, durationMs: (i % 50) + 0.25, state: (i % 7 === 0 ? NagiosState.CRITICAL : NagiosState.OK), perfdata: [{ label: 'time', value: i / 1000, unit: 's' }], ...(i % 11 === 0 ? { longOutput: `line ${i}\n"quoted" 東京` } : {}) })));
  // Folds and moves the watermark; nothing is old enough yet to be deleted.
  await s.maintain(T0);
  await s.upsertCheckStates([{ checkId: 'db1/mysql', target: 'db1', state: NagiosState.CRITICAL, stateType: 'hard', attempt: 3, lastResult: "Can't connect", lastChange: T0, lastCheck: T0 + 60_000 }]);
  await s.saveConfigRevision('targets: []\n', T0);
  await s.saveConfigRevision('targets:\n  - name: 東京\n', T0 + 1);
  const outage = await s.createIncident({ target: 'db1', status: 'open', severity: 'critical', title: 'db1: MYSQL CRITICAL', openedAt: T0, resolvedAt: null, updatedAt: T0, members: [] });
  const attack = await s.createIncident({ target: 'db1', status: 'resolved', severity: 'warning', title: 'db1: attack blocked', openedAt: T0 + 5, resolvedAt: T0 + 5, updatedAt: T0 + 5, members: [], kind: 'attack', attack: { bans: [], total: 0 }, links: [{ incident: outage.id, relation: 'explains', at: T0 + 5, why: 'banned on 3306' }] });
  await s.appendIncidentEvent({ incidentId: outage.id, at: T0, kind: 'opened', text: 'MYSQL CRITICAL' });
  await s.appendIncidentEvent({ incidentId: attack.id, at: T0 + 5, kind: 'ban', text: '10.0.0.9 banned', data: { port: 3306 } });
  await s.saveBan({ address: '10.0.0.9', port: 3306, proto: 'tcp', jail: 'mysql', reason: '5 failures', createdAt: T0, until: T0 + 600_000, banCount: 1 });
  await s.saveBanIntent({ address: '10.0.0.10', jail: 'ssh', reason: '3 failures', createdAt: T0 + 1, banCount: 1 });
  await s.recordGuardFailures([{ id: 'f1', jail: 'ssh', key: '10.0.0.11', address: '10.0.0.11', filter: 'sshd', at: T0 }]);
  const user = (await s.createUser({ name: 'taro', role: 'admin', scope: null, passwordHash: 'scrypt$x', createdAt: T0, passwordChangedAt: T0, lang: 'ja' }))!;
  await s.createSession({ idHash: 'h1', userId: user.id, csrf: 'c', createdAt: T0, lastSeenAt: T0, address: '192.0.2.1' });
  await s.createToken({ name: 'ci', userId: user.id, role: 'operator', scope: { targets: ['db1'], tags: [] }, hash: 'th', createdAt: T0, expiresAt: null, revokedAt: null, lastUsedAt: null });
  for (let i = 0; i < 3; i++) await s.appendAudit({ at: T0 + i, actor: 'taro', address: null, action: 'login', subject: 'taro', detail: `try ${i}` });
  const news = await s.addOutboxNews({ incidentId: outage.id, event: 'open', at: T0, news: { changes: ['x'] } });
  await s.startOutboxDelivery({ newsIds: [news.id], contact: 'ops', channel: 0, key: 'k1', at: T0 });
  await s.saveApproval({ id: 'a1', action: 'restart', target: 'db1', service: 'mariadb', text: 'restart mariadb', requestedAt: T0, expiresAt: T0 + 900_000, status: 'pending' });
}

/** Everything a store gives back, through its own methods. */
async function snapshot(s: Store) {
  const incidents = await s.incidents({ limit: 1000 });
  const revisions = await s.configRevisions();
  return {
    results: await Promise.all(CHECKS.map((c) => s.latestResults(c, 5_000))),
    minute: await Promise.all(CHECKS.map((c) => s.rollups(c, 'minute', { from: 0, to: T0 * 2 }))),
    hour: await Promise.all(CHECKS.map((c) => s.rollups(c, 'hour', { from: 0, to: T0 * 2 }))),
    states: await s.checkStates(),
    revisions,
    texts: await Promise.all(revisions.map((r) => s.configRevision(r.id))),
    incidents,
    events: await Promise.all(incidents.map((i) => s.incidentEvents(i.id))),
    bans: await s.bans(),
    failures: await s.guardFailures(0),
    notes: await s.pendingBanNotes(),
    users: await s.users(),
    session: await s.session('h1'),
    tokens: await s.tokens(),
    audit: await s.audit({ limit: 100 }),
    outbox: await s.pendingOutbox(),
    approvals: await s.approvals(),
  };
}

/** A populated SQLite file and an empty PostgreSQL database, both removed after `fn`. */
async function withPair(fn: (from: string, to: string) => Promise<void>): Promise<void> {
  const from = join(root, `copy-${++n}`, 'mamoru.db');
  const name = await createDatabase();
  try {
    const src = await openSqlite(from);
    try {
      await populate(src);
    } finally {
      await src.close();
    }
    await fn(from, `${SERVER}/${name}`);
  } finally {
    await dropDatabase(name);
  }
}

describe('store copy: sqlite to postgres', () => {
  test('every table arrives: the copy reads back the same through the Store, and numbering goes on after it', () =>
    withPair(async (from, to) => {
      const seen: CopyProgress[] = [];
      const report = await copyStore({ from, to, batchRows: 300, progress: (p) => seen.push(p) });
      assert.equal(report.tables.results, 2_500);
      assert.equal(report.tables.incidents, 2);
      assert.deepEqual(seen.filter((p) => p.table === 'results').map((p) => p.copied), [300, 600, 900, 1200, 1500, 1800, 2100, 2400, 2500], 'progress per batch');
      assert.ok(seen.filter((p) => p.table === 'results').every((p) => p.total === 2_500));

      const src = await openSqlite(from);
      const dst = await openPg(to);
      try {
        const want = await snapshot(src);
        assert.deepEqual(await snapshot(dst), want);
        assert.equal(want.results[0]!.length, 834, 'the snapshot is not empty');
        assert.equal(want.minute[0]!.length > 100, true);

        const next = await dst.createIncident({ target: 'web1', status: 'open', severity: 'critical', title: 'after the move', openedAt: T0 + 10, resolvedAt: null, updatedAt: T0 + 10, members: [] });
        assert.equal(next.id, Math.max(...want.incidents.map((i) => i.id)) + 1, 'ids go on after the copied ones');
        assert.equal((await dst.maintain(T0)).rolledUp, 0, 'the copied results are not folded again');
        const late = result({ checkId: 'web1/http', target: 'web1', startedAt: T0, durationMs: 1 });
        await dst.appendResults([late]);
        const [bucket] = await dst.rollups('web1/http', 'minute', { from: T0, to: T0 + 60_000 });
        assert.equal(bucket!.count, want.minute[0]![0]!.count + 1, 'a new result joins its copied bucket');
      } finally {
        await src.close();
        await dst.close();
      }
    }));

  test('a target that already holds data is refused, and nothing of the copy is kept', () =>
    withPair(async (from, to) => {
      const dst = await openPg(to);
      await dst.createUser({ name: 'someone', role: 'viewer', scope: null, passwordHash: 'h', createdAt: T0, passwordChangedAt: T0 });
      await dst.close();
      await assert.rejects(copyStore({ from, to }), (e: unknown) => {
        assert.ok(e instanceof StoreCopyError, String(e));
        assert.match(e.message, /already holds rows in users: copy into an empty database/);
        return true;
      });
      // users comes last: every table before it was written in the transaction, then rolled back.
      await withClient(to, async (c) => {
        const counts = await c.query('select (select count(*) from results) as results, (select count(*) from approvals) as approvals, (select count(*) from users) as users');
        assert.deepEqual(counts.rows[0], { results: '0', approvals: '0', users: '1' });
      });
    }));

  test('mamoru store copy: progress per table on stderr, the total on stdout; a missing file is named', () =>
    withPair(async (from, to) => {
      const out: string[] = [];
      const err: string[] = [];
      const program = new Command('mamoru').exitOverride();
      registerStore(program);
      const write = { out: process.stdout.write, err: process.stderr.write };
      process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
      process.stderr.write = ((s: string) => (err.push(String(s)), true)) as typeof process.stderr.write;
      try {
        await program.parseAsync(['node', 'mamoru', 'store', 'copy', '--from', `sqlite:${from}`, '--to', to, '--batch', '1000']);
      } finally {
        process.stdout.write = write.out;
        process.stderr.write = write.err;
      }
      assert.match(out.join(''), /^copied \d+ rows in 18 tables \(schema version \d+\)\n$/);
      const lines = err.join('').split('\n');
      assert.ok(['results: 1000/2500', 'results: 2000/2500', 'results: 2500/2500', 'incidents: 2/2', 'guard_ban_notes: 1/1'].every((l) => lines.includes(l)), lines.join('\n'));

      const again = new Command('mamoru').exitOverride();
      registerStore(again);
      await assert.rejects(again.parseAsync(['node', 'mamoru', 'store', 'copy', '--from', join(root, 'nothing-here.db'), '--to', to, '--quiet']), (e: unknown) => {
        assert.ok(e instanceof UsageError, String(e));
        assert.match(e.message, /nothing-here\.db does not exist/);
        return true;
      });
    }));
});
