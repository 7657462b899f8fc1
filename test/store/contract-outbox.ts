/**
 * Store contract, outbox part: news owed to contacts (kept until done, JSON as written, bounded),
 * one delivery row per news, contact and channel (`sending` before the send, then delivered or
 * given up, a message's rows found by its key), what a restart reads back, pruning; and the
 * approvals kept across a restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OUTBOX_MAX_BYTES, type StoredApproval } from '../../src/store/types.ts';
import { T0, cannotReopen, withStores, type HarnessFactory } from './contract.ts';

export function runOutboxContract(factory: HarnessFactory): void {
  test('outbox: news kept as written until done, deliveries sending then delivered or failed, read back after a reopen', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const payload = { incident: { id: 7, target: 'web1', members: [{ key: 'web1/http', label: 'http', state: 'CRITICAL', text: '接続が拒否されました "quoted"\nline two' }] }, changes: ['a', { en: 'x', ja: 'エックス' }], level: 0 };
      const a = await store.addOutboxNews({ incidentId: 7, event: 'open', at: T0, news: payload });
      const b = await store.addOutboxNews({ incidentId: 7, event: 'update', at: T0 + 500, news: { changes: [] } });
      const c = await store.addOutboxNews({ incidentId: 8, event: 'recovered', at: T0 + 900, news: null });
      assert.ok(b.id > a.id && c.id > b.id, 'ids increase');
      assert.deepEqual(a.news, payload);
      assert.equal(a.doneAt, null);

      await store.startOutboxDelivery({ newsIds: [a.id, b.id], contact: 'ops', channel: 0, key: 'k-ops-0', at: T0 + 1_000 });
      await store.startOutboxDelivery({ newsIds: [a.id, b.id], contact: 'ops', channel: 1, key: 'k-ops-1', at: T0 + 1_000 });
      await store.startOutboxDelivery({ newsIds: [a.id, b.id], contact: 'client', channel: 0, key: 'k-client', at: T0 + 1_000 });
      // A repeat of the same message keeps its rows; another key for a pair already there changes nothing.
      await store.startOutboxDelivery({ newsIds: [a.id], contact: 'ops', channel: 0, key: 'k-other', at: T0 + 2_000 });
      assert.equal(await store.finishOutboxDelivery('k-ops-0', 'delivered', T0 + 1_200), 2);
      assert.equal(await store.finishOutboxDelivery('k-ops-0', 'failed', T0 + 1_300), 0, 'a final row stays final');
      assert.equal(await store.finishOutboxDelivery('k-client', 'failed', T0 + 1_400, 'SMTP 127.0.0.1: 550 no such user (gave up after 1 attempts)'), 2);
      assert.equal(await store.finishOutboxDelivery('k-unknown', 'delivered', T0), 0);

      const p = await store.pendingOutbox();
      assert.deepEqual(p.news.map((n) => [n.id, n.incidentId, n.event, n.at]), [[a.id, 7, 'open', T0], [b.id, 7, 'update', T0 + 500], [c.id, 8, 'recovered', T0 + 900]]);
      const rows = p.deliveries.map((d) => [d.newsId, d.contact, d.channel, d.key, d.status, d.doneAt]);
      assert.deepEqual(rows, [
        [a.id, 'client', 0, 'k-client', 'failed', T0 + 1_400],
        [a.id, 'ops', 0, 'k-ops-0', 'delivered', T0 + 1_200],
        [a.id, 'ops', 1, 'k-ops-1', 'sending', null],
        [b.id, 'client', 0, 'k-client', 'failed', T0 + 1_400],
        [b.id, 'ops', 0, 'k-ops-0', 'delivered', T0 + 1_200],
        [b.id, 'ops', 1, 'k-ops-1', 'sending', null],
      ]);
      assert.match(p.deliveries[0]!.error!, /550 no such user/);
      assert.equal(p.deliveries[2]!.at, T0 + 1_000);
      assert.deepEqual((await store.pendingOutbox(1)).news.map((n) => n.id), [a.id], 'limit, oldest first');

      await store.finishOutboxNews([a.id, c.id], T0 + 5_000);
      await store.finishOutboxNews([a.id], T0 + 9_000);
      const left = await store.pendingOutbox();
      assert.deepEqual(left.news.map((n) => n.id), [b.id]);
      assert.deepEqual(left.deliveries.map((d) => d.newsId), [b.id, b.id, b.id], "only the open news' rows");

      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      const after = await again.pendingOutbox();
      assert.deepEqual(after, left, 'the same after a reopen');
      assert.equal(await again.pruneOutbox(T0 + 5_000), 0, 'done at 5 s is not before 5 s');
      assert.equal(await again.pruneOutbox(T0 + 5_001), 2);
      await again.finishOutboxNews([b.id], T0 + 6_000);
      assert.equal(await again.pruneOutbox(T0 + 10_000), 1);
      assert.deepEqual(await again.pendingOutbox(), { news: [], deliveries: [] });
    }));

  test('outbox: news past the size bound is refused with the reason, and nothing is written', () =>
    withStores(factory, async (open) => {
      const store = await open();
      const big = { changes: ['x'.repeat(OUTBOX_MAX_BYTES)] };
      await assert.rejects(store.addOutboxNews({ incidentId: 1, event: 'update', at: T0, news: big }), (e: Error) => e instanceof RangeError && /more than the \d+ kept/.test(e.message));
      assert.deepEqual((await store.pendingOutbox()).news, []);
      await store.startOutboxDelivery({ newsIds: [], contact: 'ops', channel: 0, key: 'k', at: T0 });
      await store.finishOutboxNews([], T0);
    }));

  test('approvals: saved, replaced by id as they are decided, listed by status oldest first, kept across a reopen', (t) =>
    withStores(factory, async (open, h) => {
      const store = await open();
      const ask = (id: string, at: number): StoredApproval => ({ id, action: 'raise-worker-limit', target: 'web1', service: 'apache2', text: 'raise MaxRequestWorkers from 150 to 300 in /etc/apache2/mods-available/mpm_event.conf', requestedAt: at, expiresAt: at + 900_000, status: 'pending' });
      await store.saveApproval(ask('b2', T0 + 10));
      await store.saveApproval(ask('a1', T0));
      await store.saveApproval(ask('c3', T0 + 20));
      await store.saveApproval({ ...ask('b2', T0 + 10), status: 'approved', by: 'taro', decidedAt: T0 + 60_000 });
      assert.deepEqual((await store.approvals({ status: 'pending' })).map((a) => a.id), ['a1', 'c3']);
      const all = await store.approvals();
      assert.deepEqual(all.map((a) => a.id), ['a1', 'b2', 'c3']);
      assert.deepEqual(all[1], { ...ask('b2', T0 + 10), status: 'approved', by: 'taro', decidedAt: T0 + 60_000 });
      assert.deepEqual(all[0], ask('a1', T0), 'no decider, no decision time');
      if (cannotReopen(t, h)) return;
      await store.close();
      const again = await open();
      assert.deepEqual(await again.approvals(), all);
    }));
}
