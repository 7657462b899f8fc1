/**
 * Batches many small writes into few transactions: a database does thousands of rows per
 * transaction far faster than thousands of transactions. Flushes when `maxRows` are queued or
 * `flushMs` after the first queued row, whichever is first, and on close. Batches are written one
 * at a time, in order. A failed batch goes back to the head of the queue and is retried later,
 * so a full disk loses nothing until the queue reaches `maxQueued`; the rows of a batch the sink
 * committed before it failed are not retried.
 */
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../core/clock.ts';

export interface BufferedWriterOptions {
  flushMs: number;
  maxRows: number;
  /** Beyond this many queued rows the oldest are dropped (with an error log) rather than eat memory. */
  maxQueued: number;
  clock: Clock;
  log: Logger;
}

export class BufferedWriter<T> {
  private queue: T[] = [];
  private timer: TimerHandle | undefined;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly sink: (batch: T[]) => Promise<void>,
    private readonly opts: BufferedWriterOptions,
  ) {}

  /** Rows waiting for the next batch (not counting a batch being written). */
  get pending(): number {
    return this.queue.length;
  }

  /** Resolves when every batch already handed over is written (or failed); queued rows wait. */
  settled(): Promise<void> {
    return this.tail;
  }

  add(item: T): void {
    this.queue.push(item);
    if (this.queue.length >= this.opts.maxRows) void this.flush().catch(() => {});
    else this.arm();
  }

  /** Hands everything queued to the sink now; resolves when it and every earlier batch are written. */
  flush(): Promise<void> {
    this.disarm();
    const batch = this.queue;
    this.queue = [];
    const run = this.tail.then(() => (batch.length > 0 ? this.write(batch) : undefined));
    // The chain must survive a failed batch, or one error would block every later flush.
    this.tail = run.catch(() => {});
    return run;
  }

  private async write(batch: T[]): Promise<void> {
    try {
      await this.sink(batch);
    } catch (e) {
      // A sink that commits a batch in several transactions says how many rows it committed
      // (`written`): those are not written twice.
      const written = Math.min(batch.length, Math.max(0, Number((e as { written?: unknown })?.written) || 0));
      this.queue = batch.slice(written).concat(this.queue);
      const over = this.queue.length - this.opts.maxQueued;
      if (over > 0) this.queue.splice(0, over);
      this.opts.log.error({ err: e, rows: batch.length, queued: this.queue.length, dropped: Math.max(0, over) }, 'store write failed; will retry');
      this.arm();
      throw e;
    }
  }

  private arm(): void {
    if (this.timer || this.queue.length === 0) return;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush().catch(() => {});
    }, this.opts.flushMs);
  }

  private disarm(): void {
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Stops the timer (after the final flush, so a retry timer does not outlive the store). */
  stop(): void {
    this.disarm();
  }
}
