/**
 * The batching writer behind Store.write(): when the database refuses a batch (disk full), the
 * rows wait and go with the next attempt, in order, and the queue is bounded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { BufferedWriter } from '../../src/store/buffered-writer.ts';

/** A sink that fails while `down` is set, like a database on a full disk. */
function flakySink() {
  const written: number[][] = [];
  const state = { down: true };
  const sink = async (batch: number[]) => {
    if (state.down) throw new Error('SQLITE_FULL: database or disk is full');
    written.push(batch);
  };
  return { written, state, sink };
}

test('a refused batch is kept and written, in order, on the next attempt', async () => {
  const clock = new FakeClock();
  const { written, state, sink } = flakySink();
  const w = new BufferedWriter(sink, { flushMs: 1_000, maxRows: 100, maxQueued: 1_000, clock, log: silentLogger });
  w.add(1);
  w.add(2);
  await assert.rejects(w.flush(), /disk is full/);
  assert.equal(w.pending, 2, 'the rows are back in the queue');
  w.add(3);
  state.down = false;
  await clock.advance(1_000);
  await w.settled();
  assert.deepEqual(written, [[1, 2, 3]]);
  assert.equal(w.pending, 0);
  w.stop();
});

test('while the database stays down the queue keeps only the newest maxQueued rows', async () => {
  const clock = new FakeClock();
  const { written, state, sink } = flakySink();
  const w = new BufferedWriter(sink, { flushMs: 1_000, maxRows: 100, maxQueued: 5, clock, log: silentLogger });
  for (let i = 1; i <= 8; i++) w.add(i);
  await assert.rejects(w.flush());
  assert.equal(w.pending, 5);
  state.down = false;
  await w.flush();
  assert.deepEqual(written, [[4, 5, 6, 7, 8]]);
  w.stop();
});

test('a batch the sink committed in part (its error says `written`) retries only the rest', async () => {
  const clock = new FakeClock();
  const written: number[] = [];
  let fail = true;
  // Commits rows one transaction at a time, like the writer thread, and fails after two.
  const sink = async (batch: number[]) => {
    for (const [i, row] of batch.entries()) {
      if (fail && i === 2) {
        fail = false;
        throw Object.assign(new Error('SQLITE_FULL: database or disk is full'), { written: 2 });
      }
      written.push(row);
    }
  };
  const w = new BufferedWriter(sink, { flushMs: 1_000, maxRows: 100, maxQueued: 1_000, clock, log: silentLogger });
  for (let i = 1; i <= 5; i++) w.add(i);
  await assert.rejects(w.flush(), /disk is full/);
  assert.equal(w.pending, 3);
  await w.flush();
  assert.deepEqual(written, [1, 2, 3, 4, 5], 'each row written once, in order');
  w.stop();
});
