/**
 * Zones without the bus: which poller runs which check (rendezvous hashing) and when a check
 * seen from several zones is a problem (quorum). Pure functions, so every case is exact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import type { CheckResult } from '../../src/core/result.ts';
import { ownedBy, ownerOf } from '../../src/daemon/share.ts';
import { majority, ZoneVotes } from '../../src/daemon/zones.ts';
import { parseConfig } from '../../src/config/load.ts';
import { buses } from '../../src/bus/index.ts';
import { silentLogger } from '../../src/core/log.ts';
import { BrainBus } from '../../src/daemon/brain-bus.ts';

const ids = Array.from({ length: 3000 }, (_, i) => ({ id: `web${i % 300}/check${i}` }));

test('each check has exactly one owner among the live pollers, spread evenly', () => {
  const members = ['tokyo-1', 'tokyo-2', 'tokyo-3'];
  const shares = members.map((m) => ownedBy(m, ids, members));
  assert.equal(shares.reduce((n, s) => n + s.length, 0), ids.length);
  assert.equal(new Set(shares.flat().map((c) => c.id)).size, ids.length);
  for (const s of shares) assert.ok(s.length > 800 && s.length < 1200, `share of ${s.length} of 3000`);
});

test('a poller leaving moves only its own checks; coming back moves exactly those back', () => {
  const three = ['a', 'b', 'c'];
  const two = ['a', 'c'];
  const before = new Map(ids.map((c) => [c.id, ownerOf(c.id, three)]));
  const after = new Map(ids.map((c) => [c.id, ownerOf(c.id, two)]));
  for (const c of ids) {
    if (before.get(c.id) !== 'b') assert.equal(after.get(c.id), before.get(c.id), `${c.id} moved though its owner stayed`);
    else assert.notEqual(after.get(c.id), 'b');
  }
  const back = new Map(ids.map((c) => [c.id, ownerOf(c.id, three)]));
  assert.deepEqual(back, before);
});

test('a poller not yet listed by the bus still counts itself', () => {
  const mine = ownedBy('new', ids, ['old']);
  assert.ok(mine.length > 1000 && mine.length < 2000);
});

const r = (state: NagiosState, text: string, startedAt = 0): CheckResult => ({ state, text, perfdata: [], startedAt, durationMs: 1 });
const opts = (zones: string[], live: string[], quorum?: number) => ({ zones, quorum, liveZones: new Set(live), staleMs: 180_000 });

test('a majority of zones: 1 of 1, 2 of 2, 2 of 3, 3 of 4', () => {
  assert.deepEqual([1, 2, 3, 4].map(majority), [1, 2, 2, 3]);
});

test('failing from one zone of three is not a problem: the OK result stands and the check is partial', () => {
  const v = new ZoneVotes();
  const zones = ['tokyo', 'osaka', 'sapporo'];
  v.decide('web/http', { zone: 'tokyo', poller: 't1', result: r(NagiosState.OK, 'HTTP OK'), at: 1000 }, opts(zones, zones));
  v.decide('web/http', { zone: 'sapporo', poller: 's1', result: r(NagiosState.OK, 'HTTP OK sapporo'), at: 1100 }, opts(zones, zones));
  const d = v.decide('web/http', { zone: 'osaka', poller: 'o1', result: r(NagiosState.CRITICAL, 'Connection refused'), at: 1200 }, opts(zones, zones));
  assert.equal(d.result.state, NagiosState.OK);
  assert.equal(d.result.text, 'HTTP OK sapporo');
  assert.deepEqual(d.failing, ['osaka']);
  assert.equal(d.partial, true);
  assert.equal(d.quorum, 2);
});

test('failing from two zones of three is a problem, with the worst of their results', () => {
  const v = new ZoneVotes();
  const zones = ['tokyo', 'osaka', 'sapporo'];
  v.decide('web/http', { zone: 'tokyo', poller: 't1', result: r(NagiosState.WARNING, 'HTTP WARNING slow'), at: 1000 }, opts(zones, zones));
  v.decide('web/http', { zone: 'sapporo', poller: 's1', result: r(NagiosState.OK, 'HTTP OK'), at: 1100 }, opts(zones, zones));
  const d = v.decide('web/http', { zone: 'osaka', poller: 'o1', result: r(NagiosState.CRITICAL, 'Connection refused'), at: 1200 }, opts(zones, zones));
  assert.equal(d.result.state, NagiosState.CRITICAL);
  assert.equal(d.result.text, 'Connection refused');
  assert.equal(d.partial, false);
});

test('the quorum is counted over the zones that can still see: a zone with no live poller does not vote', () => {
  const v = new ZoneVotes();
  const zones = ['tokyo', 'osaka', 'sapporo'];
  v.decide('web/http', { zone: 'tokyo', poller: 't1', result: r(NagiosState.OK, 'HTTP OK'), at: 1000 }, opts(zones, zones));
  // tokyo's poller is gone; osaka and sapporo both fail: 2 of 2 live zones.
  v.decide('web/http', { zone: 'sapporo', poller: 's1', result: r(NagiosState.CRITICAL, 'refused'), at: 2000 }, opts(zones, ['osaka', 'sapporo']));
  const d = v.decide('web/http', { zone: 'osaka', poller: 'o1', result: r(NagiosState.CRITICAL, 'refused'), at: 2100 }, opts(zones, ['osaka', 'sapporo']));
  assert.equal(d.result.state, NagiosState.CRITICAL);
  assert.deepEqual(d.voting.sort(), ['osaka', 'sapporo']);
});

test('a stale zone result does not vote, and a set quorum is kept when enough zones vote', () => {
  const v = new ZoneVotes();
  const zones = ['a', 'b', 'c'];
  v.decide('x', { zone: 'a', poller: 'a1', result: r(NagiosState.CRITICAL, 'down'), at: 0 }, opts(zones, zones, 1));
  const later = v.decide('x', { zone: 'b', poller: 'b1', result: r(NagiosState.OK, 'up'), at: 500_000 }, opts(zones, zones, 1));
  assert.equal(later.result.state, NagiosState.OK, 'a result older than staleMs still voted');
  const one = v.decide('x', { zone: 'c', poller: 'c1', result: r(NagiosState.CRITICAL, 'down from c'), at: 500_100 }, opts(zones, zones, 1));
  assert.equal(one.result.state, NagiosState.CRITICAL, 'quorum: 1 means any zone failing is a problem');
});

test('config: zones need the nats bus, are listed once, and a quorum cannot exceed them', () => {
  const bad = (text: string) => {
    try {
      parseConfig(text, 'zones.yaml');
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };
  assert.match(bad('targets: [{ name: w, address: 192.0.2.1, zones: [tokyo], checks: [{ type: ping }] }]\n'), /zones are checked by pollers on the bus: set bus: \{ type: nats/);
  assert.match(bad('bus: { type: nats }\ntargets: [{ name: w, address: 192.0.2.1, zones: [tokyo, tokyo], checks: [{ type: ping }] }]\n'), /zone "tokyo" is listed twice/);
  assert.match(bad('bus: { type: nats }\ntargets: [{ name: w, address: 192.0.2.1, zones: [tokyo], quorum: 2, checks: [{ type: ping }] }]\n'), /quorum 2 is more than the 1 zone/);
  assert.match(bad('bus: { type: nats }\ntargets: [{ name: w, address: 192.0.2.1, zones: ["to kyo"], checks: [{ type: ping }] }]\n'), /expected a zone name/);
  assert.equal(bad('bus: { type: nats, prefix: m1 }\ntargets: [{ name: w, address: 192.0.2.1, zones: [tokyo, osaka], quorum: 2, checks: [{ type: ping }] }]\n'), 'accepted');
});

test("config: the bus's and the store's password secrets must be defined", () => {
  const problems = (text: string) => {
    try {
      parseConfig(text, 'secrets.yaml');
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.match(problems('bus: { type: nats, password_secret: natz }\n'), /bus\.password_secret: unknown secret "natz"/);
  assert.match(problems('store: { type: postgres, url: "postgres://m@127.0.0.1/m", password_secret: pg }\n'), /store\.password_secret: unknown secret "pg"/);
  assert.equal(problems('secrets: { natz: { env: NATS_PW } }\nbus: { type: nats, password_secret: natz }\n'), 'accepted');
});

test('the brain asks the other zones to re-check at once when a zone starts seeing a check fail, once per start', async () => {
  const bus = await buses.local.create(buses.local.schema.parse({}), { log: silentLogger });
  const asked: Record<string, string[][]> = { tokyo: [], osaka: [], sapporo: [] };
  for (const zone of Object.keys(asked)) await bus.onRecheck(zone, (ids) => asked[zone]!.push(ids));
  const taken: CheckResult[] = [];
  const brain = new BrainBus(bus, { check: (id) => (id === 'web/http' ? { zones: ['tokyo', 'osaka', 'sapporo'], intervalMs: 60_000 } : undefined), onResult: (_id, res) => taken.push(res), flush: async () => {}, log: silentLogger, now: () => Date.now() });
  await brain.start();
  let at = 1_000;
  const send = (zone: string, state: NagiosState) => bus.publishResults([{ id: `web/http@${++at}@${zone}`, checkId: 'web/http', zone, poller: `${zone}-1`, result: r(state, state === NagiosState.OK ? 'HTTP OK' : 'Connection refused', at) }]);
  const settle = () => new Promise((res) => setTimeout(res, 100));
  try {
    await send('tokyo', NagiosState.OK);
    await settle();
    assert.deepEqual(asked, { tokyo: [], osaka: [], sapporo: [] }, 'asked while everything was OK');
    await send('tokyo', NagiosState.CRITICAL);
    await settle();
    assert.deepEqual(asked, { tokyo: [], osaka: [['web/http']], sapporo: [['web/http']] });
    await send('tokyo', NagiosState.CRITICAL);
    await settle();
    assert.equal(asked.osaka!.length, 1, 'asked again for a failure that had already been asked about');
    assert.equal(taken.at(-1)!.state, NagiosState.CRITICAL, 'one zone of one that voted is the quorum');
    assert.equal(brain.recheckEverywhere('web/http'), true);
    assert.equal(brain.recheckEverywhere('not/zoned'), false);
    await settle();
    assert.deepEqual([asked.tokyo!.length, asked.osaka!.length, asked.sapporo!.length], [1, 2, 2]);
  } finally {
    await brain.stop();
    await bus.close();
  }
});
