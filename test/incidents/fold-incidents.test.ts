/**
 * One outage, one incident (issue 13, item 1), from the engine's events through the real
 * IncidentManager on a real SQLite store to the words a contact reads: a vhost target without a
 * host check behind a dead server is a line in the server's incident, never an incident of its
 * own; the same Apache seen through two targets is one incident with one opening message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { silentLogger } from '../../src/core/log.ts';
import { IncidentManager, type IncidentNews } from '../../src/incidents/manager.ts';
import { compose } from '../../src/notify/compose.ts';
import { defaultServicePolicy } from '../../src/state/service-engine.ts';
import { StateEngine, type EngineCheck } from '../../src/state/engine.ts';
import { stores, type Store } from '../../src/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-fold-'));
after(() => rmSync(root, { recursive: true, force: true }));

const policy = { ...defaultServicePolicy, maxAttempts: 2, flap: null };
const checks: EngineCheck[] = [
  { id: 'acc-srv/ping', target: 'acc-srv', name: 'ping', probe: 'ping', isHostCheck: true, policy },
  { id: 'acc-srv/http', target: 'acc-srv', name: 'http', probe: 'http', isHostCheck: false, policy },
  { id: 'www-acc/http', target: 'www-acc', name: 'http', probe: 'http', isHostCheck: false, policy, primary: 'acc-srv/http' },
];

let n = 0;
async function harness(): Promise<{ store: Store; feed: (t: number, id: string, st: NagiosState) => Promise<void>; news: IncidentNews[]; incidents: IncidentManager }> {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(root, `fold-${++n}.db`) }), { log: silentLogger });
  const incidents = new IncidentManager({ store, coolDownMs: 300_000, log: silentLogger });
  const engine = new StateEngine();
  engine.configure(checks, { 'acc-srv': [], 'www-acc': ['acc-srv'] }, 0);
  const news: IncidentNews[] = [];
  const feed = async (t: number, id: string, st: NagiosState) => {
    const text = st === NagiosState.OK ? (id.endsWith('ping') ? 'PING OK - Packet loss = 0%' : 'HTTP OK: HTTP/1.1 200 OK') : id.endsWith('ping') ? 'PING CRITICAL - Packet loss = 100%' : 'connect to address 10.233.0.2 and port 80: Connection refused';
    const events = engine.onResult(id, { state: st, text, perfdata: [], startedAt: t, durationMs: 1 }, t).filter((e) => e.type !== 'wake' && e.type !== 'recheck');
    news.push(...(await incidents.handle(events, t)));
  };
  for (const c of checks) await feed(100, c.id, NagiosState.OK);
  return { store, feed, news, incidents };
}

const opens = (news: IncidentNews[]) => news.filter((x) => x.event === 'open');
const words = (inc: IncidentNews['incident'], language: 'en' | 'ja', event: 'open' | 'recovered' = 'open') => compose({ name: 'c', language, time_zone: 'Asia/Tokyo' }, {}, { event, incident: inc, now: 10_000 });

test('host down with a child target: one incident (the host), the child a member of it, no incident of its own', async () => {
  const h = await harness();
  const C = NagiosState.CRITICAL;
  await h.feed(1000, 'www-acc/http', C);
  await h.feed(2000, 'www-acc/http', C); // confirmed first, but held for its parent
  assert.equal(h.news.length, 0, 'nothing said before the parent is known');
  await h.feed(2100, 'acc-srv/ping', C);
  await h.feed(2200, 'acc-srv/ping', C);
  await h.feed(2300, 'acc-srv/http', C);
  await h.feed(2400, 'acc-srv/http', C);
  assert.deepEqual(opens(h.news).map((x) => x.incident.target), ['acc-srv']);
  const inc = h.incidents.current('acc-srv')!;
  assert.deepEqual(inc.members.map((m) => [m.key, m.kind, m.state]), [['host:acc-srv', 'host', 'DOWN'], ['target:www-acc', 'folded-target', 'UNREACHABLE']]);
  assert.equal(h.incidents.current('www-acc'), undefined, 'no incident for the child');
  const timeline = await h.store.incidentEvents(inc.id);
  assert.ok(timeline.some((e) => /www-acc cannot be reached behind acc-srv/.test(e.text)), 'visible in the timeline');
  const en = words(inc, 'en');
  assert.match(en.subject, /^\[PROBLEM\] acc-srv: The server acc-srv does not answer on the network/);
  assert.match(en.text, /www-acc cannot be reached because the server in front of it \(acc-srv\) is down\./);
  assert.match(words(inc, 'ja').text, /www-acc は手前のサーバー（acc-srv）が停止しているため到達できません。/);

  // The host comes back: the incident waits for the child's re-check, which closes it.
  await h.feed(9000, 'acc-srv/ping', NagiosState.OK);
  assert.equal(h.incidents.current('acc-srv')!.status, 'open', 'the child behind is not yet seen again');
  await h.feed(9100, 'acc-srv/http', NagiosState.OK);
  await h.feed(9200, 'www-acc/http', NagiosState.OK);
  const done = h.incidents.current('acc-srv')!;
  assert.equal(done.status, 'resolved');
  assert.match(words(done, 'en', 'recovered').text, /www-acc can be reached again\./);
  assert.equal(opens(h.news).length, 1, 'one opening, and nothing of the child on its own');
});

test('Apache down seen through two targets: one incident, one open, the twin a member; its recovery closes the member', async () => {
  const h = await harness();
  const C = NagiosState.CRITICAL;
  await h.feed(1000, 'www-acc/http', C);
  await h.feed(2000, 'www-acc/http', C);
  await h.feed(2100, 'acc-srv/ping', NagiosState.OK);
  await h.feed(2200, 'acc-srv/http', C);
  await h.feed(2700, 'acc-srv/http', C);
  await h.feed(2800, 'acc-srv/ping', NagiosState.OK);
  assert.deepEqual(opens(h.news).map((x) => x.incident.target), ['acc-srv']);
  assert.equal(h.incidents.current('www-acc'), undefined);
  const inc = h.incidents.current('acc-srv')!;
  assert.deepEqual(inc.members.map((m) => [m.key, m.kind, m.state]), [['acc-srv/http', 'service', 'CRITICAL'], ['www-acc/http', 'twin', 'CRITICAL']]);
  const en = words(inc, 'en');
  assert.match(en.subject, /^\[PROBLEM\] acc-srv: The web site \(HTTP\) on acc-srv refuses connections/);
  assert.equal(en.text.match(/www-acc \(the same web server\) is affected too\./g)?.length, 1, 'mentioned once');
  assert.match(words(inc, 'ja').text, /www-acc（同じウェブサーバー）にも影響が出ています。/);

  await h.feed(5000, 'acc-srv/http', NagiosState.OK);
  assert.equal(h.incidents.current('acc-srv')!.status, 'open', 'the twin still fails');
  await h.feed(5100, 'www-acc/http', NagiosState.OK);
  const done = h.incidents.current('acc-srv')!;
  assert.equal(done.status, 'resolved');
  assert.deepEqual(done.members.map((m) => [m.key, m.state]), [['acc-srv/http', 'OK'], ['www-acc/http', 'OK']]);
  assert.equal(opens(h.news).length, 1);
  assert.equal(h.news.filter((x) => x.event === 'recovered').length, 1);
});

test('twins where the primary is OK: the vhost is an incident of its own', async () => {
  const h = await harness();
  const C = NagiosState.CRITICAL;
  await h.feed(1000, 'www-acc/http', C);
  await h.feed(2000, 'www-acc/http', C);
  await h.feed(2100, 'acc-srv/ping', NagiosState.OK);
  await h.feed(2200, 'acc-srv/http', NagiosState.OK);
  assert.deepEqual(opens(h.news).map((x) => x.incident.target), ['www-acc']);
  assert.deepEqual(h.incidents.current('www-acc')!.members.map((m) => [m.key, m.kind]), [['www-acc/http', 'service']]);
});

test('a child that fails after the host was told down sends nothing: it is a line in the next message', async () => {
  const h = await harness();
  const C = NagiosState.CRITICAL;
  await h.feed(1000, 'acc-srv/ping', C);
  await h.feed(1100, 'acc-srv/ping', C);
  assert.deepEqual(h.news.map((x) => x.event), ['open']);
  await h.feed(5000, 'www-acc/http', C);
  await h.feed(5100, 'www-acc/http', C);
  assert.deepEqual(h.news.map((x) => x.event), ['open'], 'no update for a consequence of the known cause');
  assert.ok(h.incidents.current('acc-srv')!.members.some((m) => m.key === 'target:www-acc' && m.recoveredAt === undefined));
  await h.feed(9000, 'acc-srv/ping', NagiosState.OK);
  await h.feed(9100, 'www-acc/http', NagiosState.OK);
  assert.deepEqual(h.news.map((x) => x.event), ['open', 'update', 'recovered'], 'the host back (an update), then everything back');
});
