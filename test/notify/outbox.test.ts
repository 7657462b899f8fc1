/**
 * The dispatcher's outbox in one process, on a real SQLite store and real webhook receivers:
 * news is kept before its settle starts, a delivery is noted `sending` then `delivered` with the
 * key the receiver saw; after a "restart" (a new Dispatcher on the same store) a pair already
 * told is not told again, a message that was being sent goes again with its own key and nothing
 * else, owed news goes through the settle, and a stop during a send leaves it owed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { silentLogger } from '../../src/core/log.ts';
import { contactSchema } from '../../src/notify/contacts.ts';
import { Dispatcher, type News } from '../../src/notify/dispatch.ts';
import { idempotencyKey } from '../../src/notify/outbox.ts';
import { stores } from '../../src/store/index.ts';
import type { Store } from '../../src/store/types.ts';
import { until } from '../helpers/wait.ts';
import { recordingServer, type RecordingServer, type Reply } from './peers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-outbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const openStore = (path = join(dir, `o${++n}.db`)) => stores.sqlite.create(stores.sqlite.schema.parse({ path }), { log: silentLogger });

const T0 = Date.now();
const incident = (id: number, status: 'open' | 'resolved' = 'open'): IncidentRecord => ({
  id,
  target: 'web1',
  status,
  severity: status === 'open' ? 'critical' : 'ok',
  title: 'web1: http CRITICAL',
  openedAt: T0,
  resolvedAt: status === 'open' ? null : T0 + 1_000,
  updatedAt: T0,
  members: [{ key: 'web1/http', kind: 'service', probe: 'tcp', label: 'http', state: status === 'open' ? 'CRITICAL' : 'OK', text: 'connect to address 127.0.0.1 and port 8080: Connection refused', since: T0, ...(status === 'open' ? {} : { recoveredAt: T0 + 1_000 }) }],
});
const news = (id: number, event: News['event'] = 'open'): News => ({ incident: incident(id, event === 'recovered' ? 'resolved' : 'open'), event, changes: [], level: 0 });

function dispatcher(store: Store, peers: RecordingServer[], settleMs = 200): Dispatcher {
  const contacts = peers.map((p, i) => contactSchema.parse({ name: i === 0 ? 'ops' : 'client', language: 'en', channels: [{ type: 'webhook', url: p.url }] }));
  return new Dispatcher({ contacts, templates: {}, settleMs, delivery: { attempts: 1 }, secret: () => '', log: silentLogger, clock: systemClock, target: () => undefined, record: async () => {}, outbox: store } as never);
}
const bodies = (p: RecordingServer) => p.requests.map((r) => JSON.parse(r.body) as { incident_id: string; event: string; idempotency_key: string });

test('news is kept before its settle starts; the delivery is noted sending, then delivered, with the key the receiver saw', async () => {
  const store = await openStore();
  const ops = await recordingServer();
  try {
    const d = dispatcher(store, [ops], 400);
    d.enqueue(news(1));
    const kept = await until('the news in the outbox', async () => (await store.pendingOutbox()).news[0]);
    assert.equal(ops.requests.length, 0, 'kept before anything is sent');
    assert.deepEqual([kept.incidentId, kept.event], [1, 'open']);
    await until('the message', () => ops.requests.length > 0);
    const key = idempotencyKey([kept.id], 'ops', 0);
    assert.equal(bodies(ops)[0]!.idempotency_key, key);
    await until('the news done', async () => (await store.pendingOutbox()).news.length === 0);
    await d.stop();
    assert.equal(ops.requests.length, 1);
  } finally {
    await store.close();
    await ops.close();
  }
});

test('after a restart: a pair already told is not told again, a message being sent goes again with its key only, owed news through the settle', async () => {
  const path = join(dir, 'restart.db');
  const before = await openStore(path);
  // What a killed daemon left: incident 1 told to ops, not yet to client; incident 2 being sent to client.
  const a = await before.addOutboxNews({ incidentId: 1, event: 'open', at: T0, news: news(1) });
  const b = await before.addOutboxNews({ incidentId: 2, event: 'recovered', at: T0, news: news(2, 'recovered') });
  await before.startOutboxDelivery({ newsIds: [a.id], contact: 'ops', channel: 0, key: idempotencyKey([a.id], 'ops', 0), at: T0 });
  await before.finishOutboxDelivery(idempotencyKey([a.id], 'ops', 0), 'delivered', T0);
  const sending = idempotencyKey([b.id], 'client', 0);
  await before.startOutboxDelivery({ newsIds: [b.id], contact: 'client', channel: 0, key: sending, at: T0 });
  await before.close();

  const store = await openStore(path);
  const ops = await recordingServer();
  const client = await recordingServer();
  try {
    const d = dispatcher(store, [ops, client]);
    await d.resume();
    await until('nothing owed', async () => (await store.pendingOutbox()).news.length === 0);
    await d.stop();
    assert.deepEqual(bodies(ops).map((x) => [x.incident_id, x.event]), [['2', 'recovered']], 'ops: only what it was not told');
    const got = bodies(client).map((x) => [x.incident_id, x.event, x.idempotency_key]).sort();
    assert.deepEqual(got, [['1', 'open', idempotencyKey([a.id], 'client', 0)], ['2', 'recovered', sending]], 'client: the owed message, and the repeat with its key');
  } finally {
    await store.close();
    await ops.close();
    await client.close();
  }
});

test('a stop during a send leaves the message owed; the next start sends it again with the same key', async () => {
  const path = join(dir, 'stop.db');
  let store = await openStore(path);
  let reply: Reply = 'hang';
  const ops = await recordingServer(() => reply);
  try {
    let d = dispatcher(store, [ops]);
    d.enqueue(news(5));
    await until('the first attempt', () => ops.requests.length > 0);
    await d.stop(100);
    const owed = await store.pendingOutbox();
    assert.equal(owed.news.length, 1, 'not done');
    assert.deepEqual(owed.deliveries.map((x) => x.status), ['sending'], 'it may have arrived: still sending');
    await store.close();

    reply = { status: 200 };
    store = await openStore(path);
    d = dispatcher(store, [ops]);
    await d.resume();
    await until('nothing owed', async () => (await store.pendingOutbox()).news.length === 0);
    await d.stop();
    const keys = bodies(ops).map((x) => x.idempotency_key);
    assert.equal(keys.length, 2);
    assert.equal(keys[0], keys[1], 'the repeat carries the same key');
  } finally {
    await store.close();
    await ops.close();
  }
});
