/**
 * Delivery with retries: one message through one channel, tried again with exponential backoff
 * and jitter while the failure is worth retrying, within a bounded total time. Every attempt is
 * recorded so the incident's timeline can show what was tried and why it failed. Never throws:
 * a channel that throws is a failed attempt like any other.
 */
import { systemClock, type Clock } from '../core/clock.ts';
import type { NotificationMessage, Notifier } from './types.ts';

/** One try, as the timeline shows it. */
export interface DeliveryAttempt {
  /** When the attempt started (ms since the epoch, from the clock). */
  at: number;
  ok: boolean;
  status?: number | undefined;
  error?: string | undefined;
  detail?: string | undefined;
}

export interface DeliveryRecord {
  ok: boolean;
  attempts: DeliveryAttempt[];
  /** The last failure's reason (or why no more attempts were made), when not delivered. */
  error?: string | undefined;
}

export interface DeliveryOptions {
  /** Most attempts in all. @defaultValue 5 */
  attempts?: number;
  /** Delay before the 2nd attempt; doubles each time. @defaultValue 1000 */
  baseDelayMs?: number;
  /** Longest single delay. @defaultValue 60000 */
  maxDelayMs?: number;
  /** No attempt starts after this long from the first one. @defaultValue 5 minutes */
  maxTotalMs?: number;
  clock?: Clock;
  signal?: AbortSignal;
  /** For tests that want a fixed jitter; returns [0, 1). @defaultValue Math.random */
  random?: () => number;
}

/**
 * The wait before attempt `n + 1` after `n` failures: base·2^(n-1), capped, with "equal jitter"
 * (half fixed, half random) so retries from many contacts do not hit a relay in step, yet never
 * come back almost at once.
 */
export function backoffDelay(n: number, baseDelayMs: number, maxDelayMs: number, random: () => number): number {
  const exp = Math.min(maxDelayMs, baseDelayMs * 2 ** Math.max(0, n - 1));
  return Math.round(exp / 2 + random() * (exp / 2));
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clock.clearTimeout(handle);
      resolve();
    };
    const handle = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sends `message` through `channel`, retrying as configured; resolves with every attempt. */
export async function deliver(channel: Notifier, message: NotificationMessage, opts: DeliveryOptions = {}): Promise<DeliveryRecord> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const base = opts.baseDelayMs ?? 1000;
  const maxDelay = opts.maxDelayMs ?? 60_000;
  const maxTotal = opts.maxTotalMs ?? 300_000;
  const clock = opts.clock ?? systemClock;
  const signal = opts.signal ?? new AbortController().signal;
  const random = opts.random ?? Math.random;
  const record: DeliveryRecord = { ok: false, attempts: [] };
  const start = clock.now();
  for (let n = 1; ; n++) {
    if (signal.aborted) {
      record.error = 'cancelled (mamoru is stopping)';
      return record;
    }
    const at = clock.now();
    let attempt: DeliveryAttempt;
    let retryable = true;
    try {
      const r = await channel.send(message, signal);
      attempt = { at, ok: r.ok, status: r.status, error: r.ok ? undefined : (r.error ?? 'failed without a reason'), detail: r.detail };
      retryable = r.retryable !== false;
    } catch (e) {
      attempt = { at, ok: false, error: `channel error: ${e instanceof Error ? e.message : String(e)}` };
    }
    record.attempts.push(attempt);
    if (attempt.ok) {
      record.ok = true;
      delete record.error;
      return record;
    }
    record.error = attempt.error;
    if (!retryable) return record;
    if (n >= attempts) {
      record.error = `${attempt.error} (gave up after ${n} attempts)`;
      return record;
    }
    const wait = backoffDelay(n, base, maxDelay, random);
    if (clock.now() + wait - start > maxTotal) {
      record.error = `${attempt.error} (gave up after ${n} attempts: the next would start after the ${maxTotal} ms limit)`;
      return record;
    }
    await sleep(clock, wait, signal);
  }
}
