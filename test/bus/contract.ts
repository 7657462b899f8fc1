/**
 * The Bus contract: one suite every bus must pass (local in process, nats on the machine's
 * JetStream), run by each bus's test file with a harness that opens it on fresh names.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NagiosState } from '../../src/core/nagios.ts';
import type { Bus, ResultEnvelope } from '../../src/bus/types.ts';
import { until } from '../helpers/wait.ts';

export interface BusHarness {
  /** Opens a bus on this harness's names; a second call is a second process on the same bus. */
  open(options?: Record<string, unknown>): Promise<Bus>;
  /** Whether what was published survives the process that consumed it (a brain's restart). */
  durable: boolean;
  /** Removes what the harness created. */
  cleanup(): Promise<void>;
}

export function envelope(n: number, over: Partial<ResultEnvelope> = {}): ResultEnvelope {
  const startedAt = Date.UTC(2026, 11, 7, 12, 0, 0) + n * 1000;
  return {
    id: `web${n % 7}/http@${startedAt}@poller-a`,
    checkId: `web${n % 7}/http`,
    zone: 'tokyo',
    poller: 'poller-a',
    result: { state: n % 5 === 0 ? NagiosState.CRITICAL : NagiosState.OK, text: `HTTP OK: result ${n}`, perfdata: [{ label: 'time', value: n / 1000, unit: 's' }], startedAt, durationMs: 2.5 },
    ...over,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function runBusContract(name: string, factory: () => Promise<BusHarness>): void {
  async function withBus(fn: (h: BusHarness, opened: Bus[]) => Promise<void>): Promise<void> {
    const h = await factory();
    const opened: Bus[] = [];
    try {
      await fn(h, opened);
    } finally {
      for (const b of opened) await b.close().catch(() => {});
      await h.cleanup();
    }
  }
  const open = async (h: BusHarness, opened: Bus[], options?: Record<string, unknown>) => {
    const b = await h.open(options);
    opened.push(b);
    return b;
  };

  test(`${name}: every published result reaches the brain once, in order, as it was sent`, async () => {
    await withBus(async (h, opened) => {
      const bus = await open(h, opened);
      const sent = Array.from({ length: 600 }, (_, i) => envelope(i));
      const got: ResultEnvelope[] = [];
      const batches: number[] = [];
      const c = await bus.consumeResults('brain', async (batch) => {
        batches.push(batch.length);
        got.push(...batch);
      }, { maxBatch: 100 });
      for (let i = 0; i < sent.length; i += 150) assert.deepEqual(await bus.publishResults(sent.slice(i, i + 150)), { stored: 150, duplicates: 0 });
      await until('all results consumed', () => got.length >= sent.length, 10_000);
      await c.stop();
      assert.deepEqual(got.map((e) => e.id), sent.map((e) => e.id), 'in the order published');
      assert.deepEqual(got[5], sent[5], 'the envelope arrives as sent');
      assert.ok(Math.max(...batches) <= 100, `batches of at most maxBatch: ${batches.join(',')}`);
    });
  });

  test(`${name}: a result published twice (a poller retrying after a lost acknowledgement) is taken once`, async () => {
    await withBus(async (h, opened) => {
      const bus = await open(h, opened);
      const first = Array.from({ length: 20 }, (_, i) => envelope(i));
      assert.deepEqual(await bus.publishResults(first), { stored: 20, duplicates: 0 });
      const again = await bus.publishResults([...first.slice(10), envelope(20)]);
      assert.deepEqual(again, { stored: 1, duplicates: 10 });
      const got: string[] = [];
      const c = await bus.consumeResults('brain', async (b) => void got.push(...b.map((e) => e.id)));
      await until('21 results', () => got.length >= 21, 10_000);
      await sleep(300);
      await c.stop();
      assert.equal(got.length, 21);
      assert.equal(new Set(got).size, 21, 'no id twice');
    });
  });

  test(`${name}: a batch the brain could not take (its store failed) comes again, and nothing is lost`, async () => {
    await withBus(async (h, opened) => {
      const bus = await open(h, opened);
      let failures = 0;
      const stored: string[] = [];
      const c = await bus.consumeResults('brain', async (batch) => {
        if (failures < 2 && batch.some((e) => e.id === envelope(3).id)) {
          failures++;
          throw new Error('database is locked');
        }
        stored.push(...batch.map((e) => e.id));
      });
      await bus.publishResults(Array.from({ length: 10 }, (_, i) => envelope(i)));
      await until('redelivery after two failures', () => stored.length >= 10 && failures === 2, 15_000);
      await sleep(300);
      await c.stop();
      assert.deepEqual([...new Set(stored)].sort(), Array.from({ length: 10 }, (_, i) => envelope(i).id).sort(), 'every result stored');
      assert.equal(stored.length, 10, 'each stored once: what was taken is not handed over again');
    });
  });

  test(`${name}: results published while the brain's consumer was stopped are handed over when it starts again`, async () => {
    await withBus(async (h, opened) => {
      const bus = await open(h, opened);
      const got: string[] = [];
      let c = await bus.consumeResults('brain', async (b) => void got.push(...b.map((e) => e.id)));
      await bus.publishResults([envelope(1), envelope(2)]);
      await until('first two', () => got.length >= 2, 10_000);
      await c.stop();
      await bus.publishResults([envelope(3), envelope(4)]);
      // A durable bus: the brain's process is gone and a new one connects.
      let brain = bus;
      if (h.durable) {
        await bus.close();
        brain = await open(h, opened);
      }
      c = await brain.consumeResults('brain', async (b) => void got.push(...b.map((e) => e.id)));
      await until('the two published meanwhile', () => got.length >= 4, 10_000);
      await sleep(300);
      await c.stop();
      assert.deepEqual(got, [1, 2, 3, 4].map((n) => envelope(n).id));
    });
  });

  test(`${name}: members are alive while they heartbeat, per zone, and gone after the ttl`, async () => {
    await withBus(async (h, opened) => {
      const bus = await open(h, opened, { member_ttl: '1s' });
      await bus.heartbeat({ zone: 'tokyo', name: 'poller-a', version: '0.1.0' });
      await bus.heartbeat({ zone: 'tokyo', name: 'poller-b', version: '0.1.0' });
      await bus.heartbeat({ zone: 'osaka', name: 'poller-c', version: '0.1.0' });
      assert.deepEqual((await bus.members('tokyo')).map((m) => m.name), ['poller-a', 'poller-b']);
      assert.deepEqual((await bus.members()).map((m) => `${m.zone}/${m.name}`), ['osaka/poller-c', 'tokyo/poller-a', 'tokyo/poller-b']);
      const seen = (await bus.members('osaka'))[0]!;
      assert.ok(Math.abs(seen.seenAt - Date.now()) < 5_000, 'seenAt is the heartbeat time');
      // poller-a keeps beating; b and c fall silent.
      for (let i = 0; i < 6; i++) {
        await sleep(300);
        await bus.heartbeat({ zone: 'tokyo', name: 'poller-a', version: '0.1.0' });
      }
      assert.deepEqual((await bus.members()).map((m) => m.name), ['poller-a']);
      await assert.rejects(bus.heartbeat({ zone: 'tok yo', name: 'x', version: '1' }), 'a zone name with a space is refused');
    });
  });

  test(`${name}: one lease holder at a time; renewed by its holder, free when released or expired`, async () => {
    await withBus(async (h, opened) => {
      const a = await open(h, opened, { lease_ttl: '1s' });
      const b = h.durable ? await open(h, opened, { lease_ttl: '1s' }) : a;
      assert.equal(await a.acquireLease('brain', 'brain-a'), true);
      assert.equal(await b.acquireLease('brain', 'brain-b'), false, 'taken');
      assert.equal(await b.leaseHolder('brain'), 'brain-a');
      const first = await a.leaseEpoch('brain', 'brain-a');
      assert.ok(first !== undefined && first > 0, `epoch ${first}`);
      assert.equal(await b.leaseEpoch('brain', 'brain-b'), undefined, 'no epoch without the lease');
      for (let i = 0; i < 4; i++) {
        await sleep(300);
        assert.equal(await a.acquireLease('brain', 'brain-a'), true, 'renewed');
        assert.equal(await b.acquireLease('brain', 'brain-b'), false, 'still taken while renewed');
      }
      assert.equal(await a.leaseEpoch('brain', 'brain-a'), first, 'renewals keep the epoch');
      await a.releaseLease('brain', 'brain-b');
      assert.equal(await b.leaseHolder('brain'), 'brain-a', 'only the holder releases');
      await a.releaseLease('brain', 'brain-a');
      assert.equal(await b.acquireLease('brain', 'brain-b'), true, 'free once released');
      const second = await b.leaseEpoch('brain', 'brain-b');
      assert.ok(second !== undefined && second > first!, `the next holder's epoch ${second} is above ${first}`);
      assert.equal(await a.leaseEpoch('brain', 'brain-a'), undefined, 'the old holder has no epoch any more');
      // brain-b stops renewing (its machine died): after the ttl, a takes over.
      assert.equal(await a.acquireLease('brain', 'brain-a'), false);
      await sleep(1_300);
      assert.equal(await a.acquireLease('brain', 'brain-a'), true, 'free once expired');
      assert.equal(await a.leaseHolder('brain'), 'brain-a');
      assert.ok((await a.leaseEpoch('brain', 'brain-a'))! > second!, 'taking a lapsed lease is a new epoch');
    });
  });

  test(`${name}: a re-check request reaches the pollers of its zone only, until they stop listening`, async () => {
    await withBus(async (h, opened) => {
      const a = await open(h, opened);
      const b = h.durable ? await open(h, opened) : a;
      const tokyo: string[][] = [];
      const osaka: string[][] = [];
      const t = await b.onRecheck('tokyo', (ids) => tokyo.push(ids));
      await b.onRecheck('osaka', (ids) => osaka.push(ids));
      await a.requestRecheck('tokyo', ['web1/http', 'web2/http']);
      for (let i = 0; i < 50 && tokyo.length === 0; i++) await sleep(100);
      assert.deepEqual(tokyo, [['web1/http', 'web2/http']]);
      assert.deepEqual(osaka, [], 'another zone heard it');
      t.stop();
      await a.requestRecheck('tokyo', ['web3/http']);
      await a.requestRecheck('osaka', ['web3/http']);
      for (let i = 0; i < 50 && osaka.length === 0; i++) await sleep(100);
      assert.deepEqual(osaka, [['web3/http']]);
      assert.equal(tokyo.length, 1, 'heard after stop()');
      await assert.rejects(a.requestRecheck('to kyo', ['x']), 'a zone name with a space is refused');
    });
  });

  test(`${name}: two brains racing for a free lease: exactly one wins`, async () => {
    await withBus(async (h, opened) => {
      const a = await open(h, opened);
      const b = h.durable ? await open(h, opened) : a;
      for (let round = 0; round < 5; round++) {
        const lease = `race-${round}`;
        const wins = await Promise.all([a.acquireLease(lease, 'brain-a'), b.acquireLease(lease, 'brain-b')]);
        assert.equal(wins.filter(Boolean).length, 1, `round ${round}: ${wins}`);
      }
    });
  });
}
