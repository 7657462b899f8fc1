/**
 * A brute force does not flood an incident (issue 12): the real IncidentManager on a real SQLite
 * file, 1,000 bans from 1,000 addresses within two minutes on a fake clock. The bans go to an
 * attack incident of their own (issue 13), never into the outage: the first recorded one by one,
 * the rest as one record a minute with counts that add up, and the contacts get a bounded number
 * of attack messages that say how many addresses were blocked (en and ja).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import type { IncidentEvent } from '../../src/core/incident.ts';
import { silentLogger } from '../../src/core/log.ts';
import { BanDigest, BanFlushTimer, describeBans } from '../../src/incidents/ban-digest.ts';
import { IncidentManager, type IncidentNews } from '../../src/incidents/manager.ts';
import { compose } from '../../src/notify/compose.ts';
import { stores, type Store } from '../../src/store/index.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-ban-digest-'));
after(() => rmSync(root, { recursive: true, force: true }));

let n = 0;
async function harness(): Promise<{ store: Store; clock: FakeClock; incidents: IncidentManager; flush: BanFlushTimer; news: IncidentNews[] }> {
  const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: join(root, `mamoru-${++n}.db`) }), { log: silentLogger });
  const clock = new FakeClock();
  // The pop3 check of mail1 is on port 110, where the bans are.
  const incidents = new IncidentManager({ store, coolDownMs: 300_000, log: silentLogger, checkPort: (id) => (id === 'mail1/pop3' ? 110 : undefined) });
  const news: IncidentNews[] = [];
  const flush = new BanFlushTimer({ incidents, clock, tell: (x) => news.push(x), log: silentLogger });
  return { store, clock, incidents, flush, news };
}

/** 1,000 distinct addresses (the benchmarking range, 198.18.0.0/15). */
const address = (i: number) => `198.18.${i >> 8}.${i & 255}`;
const jailOf = (i: number) => (i % 5 === 0 ? 'smtp' : 'pop3');

/** One ban as daemon-guard.ts reports it: noteBan, its news passed on, the flush timer armed, the country after. */
async function ban(h: Awaited<ReturnType<typeof harness>>, target: string, i: number): Promise<void> {
  const text = `banned ${address(i)} on port 110 until 2026-01-19T21:00:00.000Z: ${jailOf(i)}: 3 failures in 1m (dovecot)`;
  const r = await h.incidents.noteBan(target, text, { address: address(i), jail: jailOf(i), tried: 'pop3', failures: 3, windowMs: 60_000, port: 110, until: Date.UTC(2026, 0, 19, 21), banCount: 1 }, h.clock.now());
  h.news.push(...r.news);
  h.flush.arm();
  if (!r.individual) h.incidents.noteBanCountry(r.incidentId, i % 2 ? 'CN' : 'RU');
}

const aggregates = (events: IncidentEvent[]) => events.filter((e) => e.kind === 'ban' && e.data?.aggregate === true);
const singles = (events: IncidentEvent[]) => events.filter((e) => e.kind === 'ban' && e.data?.aggregate === undefined);
const sum = (r: unknown) => Object.values(r as Record<string, number>).reduce((a, b) => a + b, 0);

test('1,000 bans in two minutes while POP3 fails: one attack incident linked to it, 3 rows one by one, then one a minute; few messages', async () => {
  const h = await harness();
  try {
    const [opened] = await h.incidents.handle([{ type: 'problem', target: 'mail1', subject: { kind: 'service', checkId: 'mail1/pop3', name: 'pop3', probe: 'pop3' }, state: 'CRITICAL', text: 'CRITICAL - Socket timeout after 10 seconds', level: 0 }], h.clock.now());
    const outage = opened!.incident;
    for (let i = 0; i < 1000; i++) {
      await h.clock.advance(120); // 1,000 bans over 120 s
      await ban(h, 'mail1', i);
    }
    await h.clock.advance(60_000); // the last window closes on its timer
    const attack = (await h.store.incidents({ limit: 10 })).find((x) => x.kind === 'attack')!;
    assert.ok(attack, 'an attack incident of its own');
    assert.equal((await h.store.incidents({ limit: 10 })).length, 2, 'the outage and one attack, not one incident per ban');
    assert.deepEqual((await h.store.incidentEvents(outage.id)).filter((e) => e.kind === 'ban'), [], 'no ban in the outage');
    assert.deepEqual((await h.store.incident(outage.id))!.links?.map((l) => [l.incident, l.relation]), [[attack.id, 'explained-by']]);
    assert.deepEqual(attack.links?.map((l) => [l.incident, l.relation]), [[outage.id, 'explains']]);
    assert.equal(attack.attack!.total, 1000, 'every ban counted in the attack');
    const events = await h.store.incidentEvents(attack.id);

    assert.equal(singles(events).length, 3, 'the first three bans are recorded one by one');
    assert.deepEqual(singles(events).map((e) => e.data?.address), [address(0), address(1), address(2)]);
    const agg = aggregates(events);
    assert.equal(agg.length, 2, 'then one record a minute');
    assert.ok(events.length <= 1 + 3 + 2, `timeline rows: ${events.length}`);
    assert.equal(3 + agg.reduce((a, e) => a + (e.data!.bans as number), 0), 1000, 'every ban is counted once');
    for (const e of agg) {
      const d = e.data!;
      assert.equal(d.addresses, d.bans, 'every address was distinct');
      assert.equal(sum(d.byJail), d.bans);
      assert.ok(sum(d.byCountry) > 0 && sum(d.byCountry) <= (d.bans as number));
      assert.equal((d.first as string[]).length, 5);
      assert.match(e.text, new RegExp(`^banned ${d.addresses} more addresses \\(${d.bans} bans in \\d+ s; jails: pop3 \\d+, smtp \\d+; countries: (CN|RU) \\d+, (CN|RU) \\d+; first: `));
    }
    assert.deepEqual(agg[0]!.data!.first, [3, 4, 5, 6, 7].map(address), 'the first counted addresses are named');
    assert.ok(agg[0]!.text.includes(`first: ${[3, 4, 5, 6, 7].map(address).join(', ')}, …`));

    const toAttack = h.news.filter((x) => x.incident.id === attack.id);
    assert.deepEqual(toAttack.map((x) => x.event), ['open', 'update', 'update', 'update', 'update'], 'told once, then one update per individual ban and one per window');
    assert.deepEqual(h.news.filter((x) => x.incident.id === outage.id).map((x) => x.event), ['update'], 'the outage hears once that its cause was blocked');
    assert.equal(h.incidents.nextBanFlush(), undefined);
    assert.equal(h.clock.pending, 0, 'no timer left waiting');

    // What the contacts receive: the attack's own message, composed as the dispatcher does.
    for (const language of ['en', 'ja'] as const) {
      const m = compose({ name: language === 'ja' ? '山田商事' : 'ops', language, time_zone: 'Asia/Tokyo' }, {}, { event: 'update', incident: toAttack.at(-1)!.incident, address: '192.0.2.25', now: h.clock.now() });
      assert.equal(m.subject, language === 'en' ? `[ATTACK BLOCKED] mail1: ${address(0)} and 999 more brute-forcing POP3, blocked on port 110` : `【攻撃を遮断】mail1: ${address(0)} ほか 999 件による POP3 への総当たり攻撃をポート 110 で遮断`);
      assert.ok(m.text.includes(language === 'en' ? 'and 997 more addresses' : 'ほか 997 件の送信元'), m.text);
      assert.ok(m.text.includes(language === 'en' ? 'This attack explains incident #' : 'この攻撃がインシデント #'), m.text);
      assert.ok(m.text.includes('2026-01-20 06:00:00 JST'), 'the end of the bans in the contact\'s zone');
      assert.equal(m.event, 'update');
    }
  } finally {
    await h.store.close();
  }
});

test('at stop, the window still open is written at once into the attack incident; nothing stays counted', async () => {
  const h = await harness();
  try {
    const [opened] = await h.incidents.handle([{ type: 'problem', target: 'mail1', subject: { kind: 'host' }, state: 'DOWN', text: 'PING CRITICAL - Packet loss = 100%', level: 0 }], h.clock.now());
    for (let i = 0; i < 40; i++) {
      await h.clock.advance(100);
      await ban(h, 'mail1', i);
    }
    assert.equal(aggregates(await h.store.incidentEvents(opened!.incident.id + 1)).length, 0, 'the window is not due yet');
    await h.flush.stop();
    const agg = aggregates(await h.store.incidentEvents(opened!.incident.id));
    assert.equal(agg.length, 0, 'no ban joins the outage (a host down is not explained by a POP3 ban)');
    const attack = (await h.store.incidents({ limit: 10 })).find((x) => x.kind === 'attack')!;
    const counted = aggregates(await h.store.incidentEvents(attack.id));
    assert.equal(counted.length, 1);
    assert.equal(counted[0]!.data!.bans, 37);
    assert.deepEqual(h.news, [], 'no ban update to the outage, no attack message (it explains nothing)');
    assert.equal(h.incidents.nextBanFlush(), undefined);
    assert.equal(h.clock.pending, 0);
  } finally {
    await h.store.close();
  }
});

test('a blocked attack with no outage: one incident for the whole brute force, a bounded timeline, no message', async () => {
  const h = await harness();
  try {
    for (let i = 0; i < 1000; i++) {
      await h.clock.advance(120);
      await ban(h, 'mail1', i);
    }
    await h.clock.advance(60_000);
    const all = await h.store.incidents({ limit: 10 });
    assert.equal(all.length, 1, 'not one incident per ban');
    assert.equal(all[0]!.status, 'resolved');
    assert.equal(all[0]!.kind, 'attack');
    const events = await h.store.incidentEvents(all[0]!.id);
    assert.equal(singles(events).length, 3);
    assert.equal(3 + aggregates(events).reduce((a, e) => a + (e.data!.bans as number), 0), 1000);
    assert.ok(events.length <= 3 + 2);
    assert.equal(h.news.length, 0, 'a blocked attack is news for the timeline, not for a phone');

    // A minute of quiet ends the attack: the next ban is a new one, recorded on its own again.
    await h.clock.advance(60_000);
    await ban(h, 'mail1', 1000);
    assert.equal((await h.store.incidents({ limit: 10 })).length, 2);
  } finally {
    await h.store.close();
  }
});

test('the digest alone: individual budget, one window, a quiet window resets it; the record line', () => {
  const d = new BanDigest<string>({ individual: 2, windowMs: 1000, firstAddresses: 2 });
  const b = (a: string) => ({ address: a, jail: 'ssh' });
  assert.deepEqual([d.add('i', b('a'), 0), d.add('i', b('b'), 10), d.add('i', b('c'), 20), d.add('i', b('c'), 30), d.add('i', b('d'), 40)], ['individual', 'individual', 'aggregated', 'aggregated', 'aggregated']);
  assert.equal(d.nextDue(), 1020);
  assert.deepEqual(d.take(1019), []);
  const [w] = d.take(1020);
  assert.deepEqual({ ...w, key: undefined }, { key: undefined, from: 20, to: 40, bans: 3, addresses: 2, addressesAtLeast: false, byJail: { ssh: 3 }, byCountry: {}, first: ['c', 'd'] });
  assert.equal(describeBans(w!), 'banned 2 more addresses (3 bans in 1 s; jails: ssh 3; first: c, d)');
  assert.equal(d.add('i', b('e'), 1030), 'aggregated', 'still the same attack: counted');
  d.take(2030);
  assert.equal(d.active('i', 3100), false);
  assert.equal(d.add('i', b('f'), 3100), 'individual', 'after a quiet window, recorded one by one again');
});

test('the digest alone: countries named in a record are bounded (whois may supply any word)', () => {
  const d = new BanDigest<string>({ individual: 0 });
  for (let i = 0; i < 30; i++) {
    d.add('i', { address: `a${i}`, jail: 'ssh' }, i);
    d.country('i', `C${i}`);
  }
  const [w] = d.take(0, true);
  assert.equal(Object.keys(w!.byCountry).length, 21);
  assert.equal(w!.byCountry.other, 10);
  assert.equal(Object.values(w!.byCountry).reduce((a, b) => a + b, 0), 30);
});
