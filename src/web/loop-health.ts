/**
 * How well the daemon's one thread keeps up (issue 19), for /metrics, the overview and the log:
 * - the event loop's delay in each scrape window (p50, p99, max) and its longest single block in
 *   the last minute, measured by one process-wide 10 ms timer (a process runs one daemon);
 * - how late checks start (the scheduler's lag, scheduler/lag.ts) over the last minute, whose p99
 *   past 1 s the overview shows as a banner and the log says at most once a minute.
 *
 * The delay is measured by an own timer into a perf_hooks histogram, not by
 * `monitorEventLoopDelay`: that one drops the first sample after `reset()`, so a block that began
 * right after a scrape never reached the next scrape (measured on Node 20: a 300 ms block read as
 * a 10 ms max).
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../core/log.ts';

/** The timer's period (ms): a block shows as a tick this much later than due. */
const TICK_MS = 10;
/** The last minute, as six 10-second slots (a block or a lag stays visible 50 to 60 s). */
const SLOT_MS = 10_000;
const SLOTS = 6;
/** Lag p99 over the last minute past which checks are "running late". */
export const LATE_P99_MS = 1000;
/** At most one warning in the log per this long. */
const WARN_EVERY_MS = 60_000;
/** How often an observation looks at the p99 for the log (the look sums 6 × 26 counters). */
const LOOK_EVERY_MS = 1000;
/**
 * Where the docs say what to do when checks run late. The docs have no served home yet (the
 * package ships none): this is their place in the source tree, one constant to change when they do.
 */
export const LATE_DOCS = 'docs/api.md#when-checks-run-late';

/** The loop's delay since the last read, and its longest block over the last minute (ms). */
class LoopMonitor {
  private readonly window: RecordableHistogram = createHistogram();
  private readonly slotMax = new Float64Array(SLOTS);
  private readonly slotEpoch = new Float64Array(SLOTS).fill(-1);
  private last = performance.now();

  constructor() {
    setInterval(() => this.tick(), TICK_MS).unref();
  }

  private tick(): void {
    const now = performance.now();
    // libuv's cached loop time can make a tick look a little early: never below zero.
    const delay = Math.max(0, now - this.last - TICK_MS);
    this.last = now;
    this.window.record(Math.max(1, Math.round(delay * 1000))); // µs; the histogram takes integers ≥ 1
    const epoch = Math.floor(Date.now() / SLOT_MS);
    const i = epoch % SLOTS;
    if (this.slotEpoch[i] !== epoch) {
      this.slotEpoch[i] = epoch;
      this.slotMax[i] = 0;
    }
    if (delay > this.slotMax[i]!) this.slotMax[i] = delay;
  }

  /** p50, p99 and max of the delay since the previous call (ms; zeros before the first tick), and a new window. */
  takeWindow(): { p50: number; p99: number; max: number } {
    const h = this.window;
    const out = h.count === 0 ? { p50: 0, p99: 0, max: 0 } : { p50: h.percentile(50) / 1000, p99: h.percentile(99) / 1000, max: h.max / 1000 };
    h.reset();
    return out;
  }

  /** The longest block in the last minute (ms). */
  blockMax(now = Date.now()): number {
    const epoch = Math.floor(now / SLOT_MS);
    let max = 0;
    for (let i = 0; i < SLOTS; i++) if (this.slotEpoch[i]! > epoch - SLOTS && this.slotMax[i]! > max) max = this.slotMax[i]!;
    return max;
  }
}

let monitor: LoopMonitor | undefined;
/** The process's one monitor, started on first use. */
const loopMonitor = () => (monitor ??= new LoopMonitor());

/** Lag bucket upper bounds (ms); one more bucket holds what is later than the last. */
const LAG_BOUNDS = [1, 2.5, 5, 10, 25, 50, 100, 250, 500, 750, 1000, 1250, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000];
const NB = LAG_BOUNDS.length + 1;

/**
 * The scheduler's lag over the last minute as bucket counts per 10-second slot: an observation is
 * a binary search and an increment (it runs once per check run), a quantile sums six slots.
 */
export class LagWindow {
  private readonly counts = new Float64Array(SLOTS * NB);
  private readonly slotEpoch = new Float64Array(SLOTS).fill(-1);

  observe(lateMs: number, now = Date.now()): void {
    const epoch = Math.floor(now / SLOT_MS);
    const s = epoch % SLOTS;
    if (this.slotEpoch[s] !== epoch) {
      this.slotEpoch[s] = epoch;
      this.counts.fill(0, s * NB, s * NB + NB);
    }
    let lo = 0;
    let hi = LAG_BOUNDS.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (lateMs <= LAG_BOUNDS[mid]!) hi = mid;
      else lo = mid + 1;
    }
    this.counts[s * NB + lo]!++;
  }

  /** The q-quantile (0..1) of the lag over the last minute in ms, interpolated within its bucket; null without runs. */
  quantile(q: number, now = Date.now()): number | null {
    const epoch = Math.floor(now / SLOT_MS);
    const sum = new Float64Array(NB);
    let total = 0;
    for (let s = 0; s < SLOTS; s++) {
      if (this.slotEpoch[s]! <= epoch - SLOTS || this.slotEpoch[s]! > epoch) continue;
      for (let b = 0; b < NB; b++) sum[b] = sum[b]! + this.counts[s * NB + b]!;
    }
    for (let b = 0; b < NB; b++) total += sum[b]!;
    if (total === 0) return null;
    const rank = q * total;
    let seen = 0;
    for (let b = 0; b < NB; b++) {
      if (seen + sum[b]! >= rank && sum[b]! > 0) {
        const lo = b === 0 ? 0 : LAG_BOUNDS[b - 1]!;
        // Past the last bound there is no upper edge: say the bound (the figure is "at least").
        if (b === LAG_BOUNDS.length) return lo;
        return lo + (LAG_BOUNDS[b]! - lo) * ((rank - seen) / sum[b]!);
      }
      seen += sum[b]!;
    }
    return LAG_BOUNDS.at(-1)!;
  }
}

/** The lag p99 as the banner and the log say it: seconds with one decimal. */
export const lateSeconds = (p99Ms: number) => (p99Ms / 1000).toFixed(1);

/** The loop's and the scheduler's health on a metrics registry, and the late-checks warning. */
export class LoopHealth {
  readonly lag = new LagWindow();
  private log: Logger | undefined;
  private nextLook = 0;
  private lastWarn = -Infinity;

  constructor(registry: Registry) {
    const loop = loopMonitor();
    const delay: Gauge = new Gauge({
      name: 'mamoru_event_loop_delay_seconds',
      help: 'How late the event loop ran a 10 ms timer since the previous scrape (quantile 1: the max); a long delay stalls every check',
      labelNames: ['quantile'],
      registers: [registry],
      collect: (): void => {
        const w = loop.takeWindow();
        delay.set({ quantile: '0.5' }, w.p50 / 1000);
        delay.set({ quantile: '0.99' }, w.p99 / 1000);
        delay.set({ quantile: '1' }, w.max / 1000);
      },
    });
    const block: Gauge = new Gauge({
      name: 'mamoru_event_loop_block_max_seconds',
      help: 'The longest single block of the event loop in the last minute',
      registers: [registry],
      collect: (): void => block.set(loop.blockMax() / 1000),
    });
  }

  /** Where the late-checks warning goes (the daemon's log); without one, nothing is logged. */
  warnTo(log: Logger): void {
    this.log = log;
  }

  /** One run's lag (the scheduler reports each run through scheduler/lag.ts). */
  observeLag(lateMs: number, now = Date.now()): void {
    this.lag.observe(lateMs, now);
    // Once a second, and at once for a late run while no warning was given this minute (what
    // tips the p99 over is a late run; when the log has just warned, that costs one comparison).
    if (now >= this.nextLook || (lateMs > LATE_P99_MS && now - this.lastWarn >= WARN_EVERY_MS)) {
      this.nextLook = now + LOOK_EVERY_MS;
      this.look(now);
    }
  }

  /** The lag p99 over the last minute (ms) when it passes LATE_P99_MS, else undefined: what the overview warns of. */
  late(now = Date.now()): number | undefined {
    const p99 = this.lag.quantile(0.99, now);
    return p99 !== null && p99 > LATE_P99_MS ? p99 : undefined;
  }

  /** Says it in the log when checks run late, at most once a minute. */
  private look(now: number): void {
    if (!this.log || now - this.lastWarn < WARN_EVERY_MS) return;
    const p99 = this.late(now);
    if (p99 === undefined) return;
    this.lastWarn = now;
    this.log.warn({ lag_p99_seconds: Math.round(p99) / 1000 }, `checks are running late: p99 ${lateSeconds(p99)} s over the last minute; the machine is overloaded (see ${LATE_DOCS})`);
  }
}
