/**
 * deliver(): retries with backoff and jitter on a fake clock, bounded in attempts and total time,
 * never throwing. The channel is a small scripted Notifier (the thing under test is deliver).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/core/clock.ts';
import { backoffDelay, deliver, type DeliveryRecord } from '../../src/notify/delivery.ts';
import type { DeliveryReceipt, Notifier } from '../../src/notify/types.ts';
import { message } from './peers.ts';

/** A channel that answers from a script, one receipt (or thrown error) per attempt. */
function scripted(answers: Array<DeliveryReceipt | Error>): Notifier & { calls: number } {
  const ch = {
    calls: 0,
    async send() {
      const a = answers[Math.min(ch.calls++, answers.length - 1)]!;
      if (a instanceof Error) throw a;
      return a;
    },
  };
  return ch;
}

/** Runs deliver to completion on a fake clock, advancing time while it waits. */
async function run(clock: FakeClock, p: Promise<DeliveryRecord>): Promise<DeliveryRecord> {
  let done: DeliveryRecord | undefined;
  void p.then((r) => (done = r));
  // Let the first attempt finish and set its timer at the start time before time moves.
  await clock.advance(0);
  for (let i = 0; i < 1000 && !done; i++) await clock.advance(1000);
  assert.ok(done, 'deliver did not finish');
  return done;
}

const fail = (error: string, retryable = true): DeliveryReceipt => ({ ok: false, status: 503, error, retryable });

test('backoff doubles from the base, is capped, and the jitter stays within half of it', () => {
  assert.equal(backoffDelay(1, 1000, 60_000, () => 0), 500);
  assert.equal(backoffDelay(1, 1000, 60_000, () => 0.999999), 1000);
  assert.equal(backoffDelay(3, 1000, 60_000, () => 0), 2000);
  assert.equal(backoffDelay(3, 1000, 60_000, () => 0.5), 3000);
  assert.equal(backoffDelay(20, 1000, 60_000, () => 1), 60_000);
});

test('retries until delivered; each attempt recorded at its time', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const ch = scripted([fail('HTTP 503'), fail('HTTP 503'), { ok: true, status: 200, detail: 'ok' }]);
  const rec = await run(clock, deliver(ch, message(), { attempts: 5, baseDelayMs: 1000, maxDelayMs: 60_000, clock, random: () => 1 }));
  assert.equal(rec.ok, true);
  assert.equal(rec.error, undefined);
  assert.deepEqual(
    rec.attempts.map((a) => [a.at - t0, a.ok, a.status, a.error]),
    [
      [0, false, 503, 'HTTP 503'],
      [1000, false, 503, 'HTTP 503'],
      [3000, true, 200, undefined],
    ],
  );
});

test('gives up after the set number of attempts with the last reason', async () => {
  const clock = new FakeClock();
  const ch = scripted([fail('connection refused')]);
  const rec = await run(clock, deliver(ch, message(), { attempts: 4, baseDelayMs: 1000, clock, random: () => 0 }));
  assert.equal(rec.ok, false);
  assert.equal(ch.calls, 4);
  assert.equal(rec.attempts.length, 4);
  assert.equal(rec.error, 'connection refused (gave up after 4 attempts)');
});

test('the total time is bounded: no attempt starts after maxTotalMs', async () => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const ch = scripted([fail('HTTP 500')]);
  const rec = await run(clock, deliver(ch, message(), { attempts: 100, baseDelayMs: 1000, maxDelayMs: 8000, maxTotalMs: 20_000, clock, random: () => 1 }));
  assert.equal(rec.ok, false);
  // 0, 1s, 3s, 7s, 15s; the next (after 8s more) would start at 23s.
  assert.deepEqual(rec.attempts.map((a) => a.at - t0), [0, 1000, 3000, 7000, 15000]);
  assert.match(rec.error!, /gave up after 5 attempts: the next would start after the 20000 ms limit/);
});

test('a failure that retrying cannot fix is tried once', async () => {
  const clock = new FakeClock();
  const ch = scripted([fail('HTTP 401: invalid token', false)]);
  const rec = await run(clock, deliver(ch, message(), { attempts: 5, clock }));
  assert.equal(ch.calls, 1);
  assert.equal(rec.error, 'HTTP 401: invalid token');
});

test('a channel that throws is a failed attempt, and deliver does not throw', async () => {
  const clock = new FakeClock();
  const ch = scripted([new Error('boom'), { ok: true }]);
  const rec = await run(clock, deliver(ch, message(), { attempts: 3, baseDelayMs: 10, clock }));
  assert.equal(rec.ok, true);
  assert.equal(rec.attempts[0]!.error, 'channel error: boom');
});

test('stopping mamoru ends the wait between attempts at once', async () => {
  const clock = new FakeClock();
  const ac = new AbortController();
  const ch = scripted([fail('HTTP 502')]);
  const p = deliver(ch, message(), { attempts: 5, baseDelayMs: 60_000, clock, signal: ac.signal });
  await clock.advance(1);
  ac.abort();
  const rec = await p;
  assert.equal(rec.ok, false);
  assert.equal(rec.attempts.length, 1);
  assert.equal(rec.error, 'cancelled (mamoru is stopping)');
  assert.equal(clock.pending, 0, 'the backoff timer is cleared');
});
