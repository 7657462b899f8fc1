/**
 * Failed logins counted per key (an address, a user name) in a sliding window, in memory: a
 * restart forgets them, which the guard's jail on the auth log does not. Bounded: a key keeps
 * at most `limit` times, and past `maxKeys` keys the oldest are dropped first, so a flood from
 * many addresses costs a bounded amount of memory.
 */
export interface LimitVerdict {
  limited: boolean;
  /** Seconds until one failure leaves the window (when limited). */
  retryAfterS: number;
}

export class FailureWindow {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys = 50_000,
  ) {}

  /** Is this key at its limit at `now`? */
  check(key: string, now: number): LimitVerdict {
    const times = this.live(key, now);
    if (times.length < this.limit) return { limited: false, retryAfterS: 0 };
    return { limited: true, retryAfterS: Math.max(1, Math.ceil((times[0]! + this.windowMs - now) / 1000)) };
  }

  fail(key: string, now: number): void {
    const times = this.live(key, now);
    times.push(now);
    if (times.length > this.limit) times.splice(0, times.length - this.limit);
    // Re-inserted: the Map's order is then the order of last failure, oldest first.
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > this.maxKeys) this.prune(now);
  }

  /** Takes back one failure counted at `at` (an attempt counted before it was checked that succeeded). */
  undo(key: string, at: number): void {
    const times = this.failures.get(key);
    const i = times ? times.lastIndexOf(at) : -1;
    if (i >= 0) times!.splice(i, 1);
    if (times && times.length === 0) this.failures.delete(key);
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  get size(): number {
    return this.failures.size;
  }

  private live(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const from = now - this.windowMs;
    while (times.length && times[0]! <= from) times.shift();
    if (times.length === 0) this.failures.delete(key);
    return times;
  }

  private prune(now: number): void {
    const from = now - this.windowMs;
    for (const [k, times] of this.failures) if (times[times.length - 1]! <= from) this.failures.delete(k);
    for (const k of this.failures.keys()) {
      if (this.failures.size <= this.maxKeys) break;
      this.failures.delete(k);
    }
  }
}
