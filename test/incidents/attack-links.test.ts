/**
 * How an attack incident finds the outage it explains, on the real IncidentManager and a real
 * SQLite file (the daemon test, attack-daemon.test.ts, covers the messages): in whichever order
 * the ban and the outage come, through a runbook that named the address when the ban's port says
 * nothing, and across a restart (an attack incident is never taken for the target's outage).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { IncidentManager, type IncidentNews } from '../../src/incidents/manager.ts';
import type { AttackPolicy } from '../../src/incidents/attacks.ts';
import type { EngineEvent } from '../../src/state/engine.ts';
import { stores, type Store } from '../../src/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-attack-links-'));
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = Date.UTC(2026, 0, 19, 12);
const ports: Record<string, number> = { 'acc-srv/pop3': 110, 'acc-srv/http': 80 };
let n = 0;

async function open(path = join(root, `m-${++n}.db`), policy: AttackPolicy = 'linked'): Promise<{ store: Store; m: IncidentManager; path: string }> {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path }), { log: silentLogger });
  return { store, path, m: new IncidentManager({ store, coolDownMs: 300_000, log: silentLogger, checkPort: (id) => ports[id], attacks: () => policy }) };
}

const pop3Slow: EngineEvent = { type: 'problem', target: 'acc-srv', subject: { kind: 'service', checkId: 'acc-srv/pop3', name: 'pop3', probe: 'pop3' }, state: 'WARNING', text: 'POP WARNING - 4.012 second response time on port 110', level: 0 };
const ban = (m: IncidentManager, address: string, at: number, port?: number) =>
  m.noteBan('acc-srv', `banned ${address}${port ? ` on port ${port}` : ''}`, { address, jail: 'pop3', tried: 'pop3', failures: 5, windowMs: 600_000, port, until: at + 600_000 }, at);
const events = (news: IncidentNews[]) => news.map((x) => `${x.incident.kind ?? 'outage'} ${x.event}`);

test('the ban comes first, the slow POP3 after: linked when the outage opens; a ban on another port explains nothing', async () => {
  const { store, m } = await open();
  try {
    const other = await ban(m, '198.51.100.9', T0, 22);
    const first = await ban(m, '10.233.0.3', T0 + 1_000, 110);
    assert.equal(first.incidentId, other.incidentId, 'one attack: further bans join it');
    assert.deepEqual(first.news, [], 'nothing to tell yet: it explains nothing');
    const news = await m.handle([pop3Slow], T0 + 5_000);
    assert.deepEqual(events(news), ['outage open', 'outage update', 'attack open']);
    const outage = news[0]!.incident;
    const attack = (await store.incident(first.incidentId))!;
    assert.deepEqual(attack.links?.map((l) => [l.incident, l.relation, l.why]), [[outage.id, 'explains', '10.233.0.3 banned on port 110']]);
    assert.deepEqual((await store.incident(outage.id))!.links?.map((l) => [l.incident, l.relation]), [[attack.id, 'explained-by']]);
    assert.deepEqual(
      (await store.incidentEvents(outage.id)).filter((e) => e.kind === 'linked').map((e) => e.text),
      [`explained by attack incident #${attack.id}: 10.233.0.3 banned on port 110`],
    );
    assert.deepEqual((await store.incidentEvents(attack.id)).filter((e) => e.kind === 'linked').map((e) => e.text), [`explains incident #${outage.id}: pop3 WARNING: POP WARNING - 4.012 second response time on port 110`]);
    assert.deepEqual(events(await m.handle([{ ...pop3Slow, state: 'CRITICAL', text: 'POP CRITICAL - Socket timeout' }], T0 + 9_000)), ['outage update'], 'linked once');
  } finally {
    await store.close();
  }
});

test('a ban on every port is linked only when the runbook named that address', async () => {
  const { store, m } = await open();
  try {
    const [opened] = await m.handle([pop3Slow], T0);
    const all = await ban(m, '10.233.0.3', T0 + 1_000);
    assert.deepEqual(all.news, [], 'no port: nothing says it explains POP3');
    assert.deepEqual(events(await m.noteAttackers(opened!.incident.id, ['192.0.2.77'], 'pop3-slow', T0 + 2_000)), [], 'another address was named');
    const news = await m.noteAttackers(opened!.incident.id, ['10.233.0.3'], 'pop3-slow', T0 + 3_000);
    assert.deepEqual(events(news), ['outage update', 'attack open']);
    assert.equal((await store.incident(all.incidentId))!.links![0]!.why, '10.233.0.3 banned on every port, named by pop3-slow');
  } finally {
    await store.close();
  }
});

test('a runbook that finishes after the outage recovered still links it: the attack is told, the recovered outage gets no update', async () => {
  const { store, m } = await open();
  try {
    const [opened] = await m.handle([pop3Slow], T0);
    const b = await ban(m, '10.233.0.3', T0 + 1_000, 995); // banned on another port than the one checked
    await m.handle([{ type: 'recovery', target: 'acc-srv', subject: pop3Slow.subject, state: 'OK', text: 'POP OK - 0.010 second response time', level: 0 }], T0 + 4_000);
    assert.equal(m.current('acc-srv')!.status, 'resolved');
    const news = await m.noteAttackers(opened!.incident.id, ['10.233.0.3'], 'pop3-slow', T0 + 6_000);
    assert.deepEqual(events(news), ['attack open']);
    assert.deepEqual((await store.incident(opened!.incident.id))!.links?.map((l) => [l.incident, l.relation]), [[b.incidentId, 'explained-by']]);
    assert.equal((await store.incident(b.incidentId))!.links![0]!.check?.label, 'pop3');
  } finally {
    await store.close();
  }
});

test('after a restart an attack incident still explains a new outage, and is never reopened as one', async () => {
  const first = await open();
  const b = await ban(first.m, '10.233.0.3', T0, 110);
  await first.store.close();
  const { store, m } = await open(first.path);
  try {
    await m.load(T0 + 10_000);
    assert.equal(m.current('acc-srv'), undefined, 'the attack is not the target outage');
    const news = await m.handle([pop3Slow], T0 + 20_000);
    assert.deepEqual(events(news), ['outage open', 'outage update', 'attack open']);
    assert.notEqual(news[0]!.incident.id, b.incidentId, 'a new outage incident, not the attack reopened');
    assert.equal((await store.incident(b.incidentId))!.kind, 'attack');
  } finally {
    await store.close();
  }
});

test('attacks: all tells a new attack at once; none never, yet the outage still hears its cause was blocked', async () => {
  const all = await open(undefined, 'all');
  try {
    assert.deepEqual(events((await ban(all.m, '10.233.0.3', T0, 110)).news), ['attack open']);
    assert.deepEqual(events(await all.m.handle([pop3Slow], T0 + 1_000)), ['outage open', 'outage update', 'attack update'], 'told already: the link is an update');
  } finally {
    await all.store.close();
  }
  const none = await open(undefined, 'none');
  try {
    await none.m.handle([pop3Slow], T0);
    assert.deepEqual(events((await ban(none.m, '10.233.0.3', T0 + 1_000, 110)).news), ['outage update']);
  } finally {
    await none.store.close();
  }
});

test('a ban another mamoru made (the guard on the server, one store) is adopted when a runbook names its address', async () => {
  const path = join(root, `shared-${++n}.db`);
  const guard = await open(path);
  const central = await open(path);
  try {
    // The guard's side bans and stores it; the central side only watches and runs the runbook.
    await guard.store.saveBan({ address: '10.233.0.3', port: 110, proto: 'tcp', jail: 'dovecot', reason: '5 failures in 10m (dovecot)', createdAt: T0, until: T0 + 600_000, banCount: 1 });
    const [opened] = await central.m.handle([pop3Slow], T0 + 2_000);
    const news = await central.m.noteAttackers(opened!.incident.id, ['10.233.0.3'], 'pop3-slow', T0 + 3_000);
    assert.deepEqual(events(news), ['outage update', 'attack open'], 'linked and told on the side that tells');
    const attack = news[1]!.incident;
    assert.equal(attack.kind, 'attack');
    assert.deepEqual(attack.attack?.bans.map((b) => [b.address, b.port, b.tried, b.until]), [['10.233.0.3', 110, 'pop3', T0 + 600_000]]);
    assert.deepEqual((await central.store.incident(opened!.incident.id))!.links?.map((l) => [l.incident, l.relation]), [[attack.id, 'explained-by']]);
    // Named again: the same attack, not a second one.
    assert.deepEqual(events(await central.m.noteAttackers(opened!.incident.id, ['10.233.0.3'], 'pop3-slow', T0 + 4_000)), []);
    // An address the store has no ban for is not made up.
    assert.deepEqual(events(await central.m.noteAttackers(opened!.incident.id, ['192.0.2.1'], 'pop3-slow', T0 + 5_000)), []);
  } finally {
    await central.store.close();
    await guard.store.close();
  }
});

test("the guard's own attack incident in the shared store is taken up, not made twice", async () => {
  const path = join(root, `shared-${++n}.db`);
  const guard = await open(path);
  const central = await open(path);
  try {
    const banned = await ban(guard.m, '10.233.0.3', T0, 110);
    await guard.store.saveBan({ address: '10.233.0.3', port: 110, proto: 'tcp', jail: 'pop3', reason: '5 failures', createdAt: T0, until: T0 + 600_000, banCount: 1 });
    // The central side's outage is on another port (IMAP slow): only the runbook's naming links it.
    const [opened] = await central.m.handle([{ ...pop3Slow, subject: { kind: 'service', checkId: 'acc-srv/imap', name: 'imap', probe: 'imap' } }], T0 + 2_000);
    const news = await central.m.noteAttackers(opened!.incident.id, ['10.233.0.3'], 'pop3-slow', T0 + 3_000);
    assert.deepEqual(events(news), ['outage update', 'attack open']);
    assert.equal(news[1]!.incident.id, banned.incidentId, 'the same attack incident');
    assert.equal((await central.store.incidents({ limit: 50 })).filter((i) => i.kind === 'attack').length, 1);
  } finally {
    await central.store.close();
    await guard.store.close();
  }
});
