/**
 * Fencing a brain that lost the lead (issue 20): the leader claims its lease's epoch in the store;
 * an old leader that wakes up after a pause finds a higher epoch there and neither sends a message
 * (it stays owed in the outbox, and the brain that leads sends it) nor runs an action. Real SQLite
 * store, a real webhook receiver, a real action through the local executor.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { actions } from '../../src/actions/index.ts';
import { createGuard, policySchema, runGuarded } from '../../src/actions/policy.ts';
import { serviceSchema } from '../../src/actions/service-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { silentLogger } from '../../src/core/log.ts';
import { fenceInStore } from '../../src/daemon/leader.ts';
import { contactSchema } from '../../src/notify/contacts.ts';
import { Dispatcher, type DispatcherOptions, type News } from '../../src/notify/dispatch.ts';
import { stores, StaleEpochError } from '../../src/store/index.ts';
import { localExecutor } from '../inspect/helpers.ts';
import { until } from '../helpers/wait.ts';
import { recordingServer } from '../notify/peers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-fence-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const openStore = () => stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dir, `f${++n}.db`) }), { log: silentLogger });

test('two leads on one store: the older fence throws once the newer one claimed its epoch', async () => {
  const store = await openStore();
  try {
    const stale: string[] = [];
    const old = await fenceInStore(store, 3, (why) => stale.push(why));
    await old();
    const current = await fenceInStore(store, 5, () => assert.fail('the newer lead was fenced'));
    await current();
    await assert.rejects(old(), (e: Error) => e instanceof StaleEpochError && /epoch 3.*epoch 5.*another brain leads/.test(e.message));
    assert.equal(stale.length, 1, 'the old lead was told it lost the lead');
    // The old leader cannot claim its way back either.
    await assert.rejects(fenceInStore(store, 4, () => {}), StaleEpochError);
  } finally {
    await store.close();
  }
});

const T0 = Date.now();
const incident: IncidentRecord = {
  id: 1,
  target: 'web1',
  status: 'open',
  severity: 'critical',
  title: 'web1: http CRITICAL',
  openedAt: T0,
  resolvedAt: null,
  updatedAt: T0,
  members: [{ key: 'web1/http', kind: 'service', probe: 'tcp', label: 'http', state: 'CRITICAL', text: 'connect to address 127.0.0.1 and port 8080: Connection refused', since: T0 }],
};
const news: News = { incident, event: 'open', changes: [], level: 0 };

test('a fenced brain sends nothing: the message stays owed and the brain that leads sends it, once', async () => {
  const store = await openStore();
  const hook = await recordingServer();
  try {
    const contacts = [contactSchema.parse({ name: 'ops', language: 'en', channels: [{ type: 'webhook', url: hook.url }] })];
    const opts = { contacts, templates: {}, settleMs: 100, delivery: { attempts: 1 }, secret: () => '', log: silentLogger, clock: systemClock, target: () => undefined, record: async () => {}, outbox: store } as unknown as DispatcherOptions;
    const oldFence = await fenceInStore(store, 3, () => {});
    await fenceInStore(store, 4, () => {}); // another brain took the lead meanwhile
    const old = new Dispatcher({ ...opts, fence: oldFence });
    old.enqueue(news);
    await until('the old brain to try', async () => (await store.pendingOutbox()).news.length > 0);
    await new Promise((r) => setTimeout(r, 600));
    await old.stop();
    assert.equal(hook.requests.length, 0, 'the fenced brain sent a message');
    assert.equal((await store.pendingOutbox()).news.length, 1, 'the news is no longer owed');
    // The brain that leads starts its dispatcher on the same store: what is owed goes out.
    const leader = new Dispatcher(opts);
    await leader.resume();
    await until('the leader to send it', () => hook.requests.length > 0);
    await new Promise((r) => setTimeout(r, 300));
    await leader.stop();
    assert.equal(hook.requests.length, 1);
    assert.match(JSON.parse(hook.requests[0]!.body).event, /open/);
  } finally {
    await hook.close();
    await store.close();
  }
});

test('a fenced brain runs no action: refused with the reason, in both languages', async () => {
  const marker = join(dir, 'started');
  const service = serviceSchema.parse({ name: 'marker', manager: 'command', start: ['touch', marker], processes: ['no-such-process-x'] });
  const guard = { ...createGuard(policySchema.parse({ mode: 'auto' }), systemClock), fence: async () => Promise.reject(new StaleEpochError(3, 4)) };
  const run = await runGuarded(guard, actions['start-service'], { executor: localExecutor(), address: '127.0.0.1', target: 'web1', service, clock: systemClock }, {});
  assert.equal(run.outcome.status, 'refused');
  assert.match(run.outcome.text, /start-service on web1 not run: this brain's lead \(epoch 3\) is older than the store's \(epoch 4\)/);
  assert.match(run.outcome.say.en, /another mamoru leads now/);
  assert.match(run.outcome.say.ja, /別の mamoru が主系/);
  assert.equal(existsSync(marker), false, 'the action ran');
});
