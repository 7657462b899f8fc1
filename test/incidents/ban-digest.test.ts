/**
 * A brute force does not flood an incident (issue 12): the real IncidentManager on a real SQLite
 * file, 1,000 bans from 1,000 addresses within two minutes on a fake clock. The first bans are
 * recorded one by one, the rest as one record a minute with counts that add up, and the contacts
 * get a bounded number of updates that say how many addresses were banned (en and ja).
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
  const incidents = new IncidentManager({ store, coolDownMs: 300_000, log: silentLogger });
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
  const r = await h.incidents.noteBan(target, text, { address: address(i), jail: jailOf(i), banCount: 1 }, h.clock.now());
  h.news.push(...r.news);
  h.flush.arm();
  if (!r.individual) h.incidents.noteBanCountry(r.incidentId, i % 2 ? 'CN' : 'RU');
}

const aggregates = (events: IncidentEvent[]) => events.filter((e) => e.kind === 'ban' && e.data?.aggregate === true);
const singles = (events: IncidentEvent[]) => events.filter((e) => e.kind === 'ban' && e.data?.aggregate === undefined);
const sum = (r: unknown) => Object.values(r as Record<string, number>).reduce((a, b) => a + b, 0);

test('1,000 bans in two minutes during an open incident: 3 rows one by one, then one a minute; counts add up; few updates', async () => {
  const h = await harness();
  try {
    const [opened] = await h.incidents.handle([{ type: 'problem', target: 'mail1', subject: { kind: 'service', checkId: 'mail1/pop3', name: 'pop3', probe: 'pop3' }, state: 'CRITICAL', text: 'CRITICAL - Socket timeout after 10 seconds', level: 0 }], h.clock.now());
    const inc = opened!.incident;
    for (let i = 0; i < 1000; i++) {
      await h.clock.advance(120); // 1,000 bans over 120 s
      await ban(h, 'mail1', i);
    }
    await h.clock.advance(60_000); // the last window closes on its timer
    const events = await h.store.incidentEvents(inc.id);

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

    const updates = h.news.filter((x) => x.event === 'update');
    assert.equal(updates.length, 3 + 2, 'one update per individual ban and one per window');
    assert.equal(h.incidents.nextBanFlush(), undefined);
    assert.equal(h.clock.pending, 0, 'no timer left waiting');

    // What the contacts receive for the first window, composed as the dispatcher does.
    const last = updates[3]!;
    const bans = agg[0]!.data!.bans as number;
    for (const language of ['en', 'ja'] as const) {
      const m = compose({ name: language === 'ja' ? '山田商事' : 'ops', language, time_zone: 'Asia/Tokyo' }, {}, { event: 'update', incident: last.incident, changes: last.changes, address: '192.0.2.25', now: h.clock.now() });
      assert.ok(m.text.includes(`- banned ${bans} more addresses (${bans} bans in`), `${language}: ${m.text}`);
      assert.ok(m.text.includes(`first: ${address(3)}, `));
      assert.equal(m.event, 'update');
    }
  } finally {
    await h.store.close();
  }
});

test('at stop, the window still open is written at once and its update told; nothing stays counted', async () => {
  const h = await harness();
  try {
    const [opened] = await h.incidents.handle([{ type: 'problem', target: 'mail1', subject: { kind: 'host' }, state: 'DOWN', text: 'PING CRITICAL - Packet loss = 100%', level: 0 }], h.clock.now());
    for (let i = 0; i < 40; i++) {
      await h.clock.advance(100);
      await ban(h, 'mail1', i);
    }
    assert.equal(aggregates(await h.store.incidentEvents(opened!.incident.id)).length, 0, 'the window is not due yet');
    await h.flush.stop();
    const agg = aggregates(await h.store.incidentEvents(opened!.incident.id));
    assert.equal(agg.length, 1);
    assert.equal(agg[0]!.data!.bans, 37);
    assert.equal(h.news.at(-1)!.changes[0], agg[0]!.text);
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
