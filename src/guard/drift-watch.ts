/**
 * The guard's drift watch: every second it reads mamoru's own place in the firewall (one cheap
 * read, src/firewall/drift.ts says why a read and not `nft monitor`) and the bans the store
 * wants, and when they differ (a ban deleted by hand, a chain flushed, the table removed, a rule
 * nobody stored) it reconciles at once and logs what was repaired and how long it took from the
 * read that saw it. A read that costs much (a huge table) stretches the period to ten times its
 * cost. While the guard is between a ban's intent and its kernel rule the watch waits a tick, so
 * its own work in progress is not taken for drift.
 */
import type { Logger } from 'pino';
import type { BanRecord } from '../core/ban.ts';
import type { Clock } from '../core/clock.ts';
import { driftOf, type FirewallState } from '../firewall/drift.ts';
import type { BanRule } from '../firewall/types.ts';

export interface DriftWatchOptions {
  /** The kernel's view: the backend's state() or, without one, its list(). */
  read(): Promise<FirewallState>;
  /** The bans wanted now (stored, plus any whose store write failed). */
  wanted(now: number): Promise<BanRecord[]>;
  /** Brings the firewall to `wanted`; returns what it changed, in words. */
  repair(wanted: BanRecord[], now: number): Promise<string | undefined>;
  /** True while a ban is between its intent and the kernel. */
  busy(): boolean;
  log: Logger;
  clock: Clock;
  /** @defaultValue 1000 */
  intervalMs?: number | undefined;
}

export class DriftWatch {
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  /** Repairs made, for the status and tests. */
  repairs = 0;
  /** What the last read cost (ms): the period stretches with it, not with a repair's work. */
  private readMs = 0;

  constructor(private readonly o: DriftWatchOptions) {}

  start(): void {
    this.stopped = false;
    this.next(this.o.intervalMs ?? 1000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    await this.running;
  }

  private next(ms: number): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.readMs = 0;
      this.running = this.tick()
        .catch((err) => this.o.log.warn({ err }, `could not check the firewall for drift: ${(err as Error).message}`))
        .finally(() => {
          this.running = undefined;
          this.next(Math.max(this.o.intervalMs ?? 1000, 10 * this.readMs));
        });
    }, ms);
  }

  /** One look; exported through the class for tests that drive it without waiting. */
  async tick(): Promise<void> {
    if (this.o.busy()) return;
    const seenAt = Date.now();
    const state = await this.o.read();
    this.readMs = Date.now() - seenAt;
    const now = this.o.clock.now();
    const wanted = await this.o.wanted(now);
    if (this.o.busy()) return;
    const drift = driftOf(wanted.map(toRule), state, now);
    if (drift.length === 0) return;
    const changed = await this.o.repair(wanted, now);
    this.repairs++;
    const ms = Date.now() - seenAt;
    this.o.log.warn({ drift, repaired: changed, ms }, `firewall drift repaired in ${ms} ms: ${drift.join('; ')}${changed ? ` (${changed})` : ''}`);
  }
}

function toRule(b: BanRecord): BanRule {
  return { address: b.address, ...(b.until !== undefined ? { until: b.until } : {}), ...(b.port !== undefined ? { port: b.port, proto: b.proto ?? 'tcp' } : {}) };
}
