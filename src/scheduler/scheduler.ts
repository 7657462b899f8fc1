/**
 * The scheduler: runs every check on its interval, spread over the interval and jittered so the
 * load is even, within a global and a per-host concurrency limit, on the retry interval while a
 * check is failing (Nagios soft states) after one quick re-check when it turns bad, and stops
 * cleanly. One timer, for the earliest due check.
 *
 * Per check it keeps one small record (no closures, nothing that grows per run), so 10,000 checks
 * cost little memory and a run costs a heap operation and a few allocations.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import { NagiosState } from '../core/nagios.ts';
import { oneLine, type CheckResult } from '../core/result.ts';
import { DueHeap } from './heap.ts';
import { Entry, Host, IDLE, QUEUED, REMOVED, RUNNING } from './entry.ts';
import { reportScheduleLag } from './lag.ts';
import { runCheck } from './run-check.ts';
import { phaseSlot } from './spread.ts';
import type { CheckInfo, Execute, RunHandle, ScheduledCheck, SchedulerOptions, SchedulerStats } from './types.ts';
import { positive, validateChecks } from './validate.ts';

export type { CheckInfo, Execute, RunHandle, ScheduledCheck, SchedulerOptions, SchedulerStats } from './types.ts';

// The longest delay a Node timer takes; longer ones fire at once. Firing early only re-arms.
const MAX_TIMER_MS = 0x7fff_ffff;

/**
 * Runs checks on their schedule. Call `setChecks` (first load and every reload), then `start`;
 * `stop` for a clean shutdown. A stopped scheduler stays stopped.
 */
export class Scheduler {
  private readonly clock: Clock;
  private readonly concurrency: number;
  private readonly perHost: number;
  private readonly jitter: number;
  private readonly execute: Execute;
  private readonly onResult: SchedulerOptions['onResult'];
  private readonly random: () => number;
  private readonly log: Logger;

  private readonly entries = new Map<string, Entry>();
  private readonly hosts = new Map<string, Host>();
  private readonly heap = new DueHeap<Entry>();
  private readonly inFlight = new Set<Entry>();
  private queueHead: Entry | undefined;
  private queueTail: Entry | undefined;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private generation = 0;
  private started = false;
  private stopped = false;
  private stopWaiter: (() => void) | undefined;
  private stopPromise: Promise<void> | undefined;
  private counts: SchedulerStats = { configured: 0, running: 0, queued: 0, started: 0, completed: 0, dropped: 0, skippedSlots: 0 };

  constructor(opts: SchedulerOptions) {
    this.clock = opts.clock;
    this.concurrency = positive(opts.concurrency ?? 64, 'concurrency');
    this.perHost = positive(opts.perHostConcurrency ?? 4, 'perHostConcurrency');
    this.jitter = opts.jitter ?? 0.1;
    if (!(this.jitter >= 0 && this.jitter <= 1)) throw new RangeError(`scheduler: jitter must be a fraction between 0 and 1, got ${opts.jitter}`);
    this.onResult = opts.onResult;
    this.random = opts.random ?? Math.random;
    this.log = opts.log ?? silentLogger;
    const log = this.log;
    const secret = opts.secret;
    this.execute = opts.execute ?? ((check, run) => runCheck(check.probe, check.target, check.options, { timeoutMs: check.timeoutMs, run, log, ...(secret ? { secret } : {}) }));
  }

  /**
   * Sets the configured checks: the first load and every reload. A check whose id was there
   * before keeps its next run and its failure count (the new definition applies from its next
   * run), unless its interval shrank below the wait, then it moves to its phase in the new
   * interval. New ids start at their phase in their interval (a hash of the id), so a reload
   * never fires a burst. Removed ids are cancelled; one that is running finishes (a probe is
   * not cut off mid-way) but its result is dropped. Throws, changing nothing, on duplicate ids
   * or impossible numbers. `initialFailures` gives a new id's carried-over failure count when
   * the check itself has none (the daemon's restored states), so the caller passes its checks
   * as they are instead of a copy of each.
   */
  setChecks(checks: readonly ScheduledCheck[], initialFailures?: (id: string) => number): void {
    validateChecks(checks);
    const generation = ++this.generation;
    const now = this.clock.now();
    // Many new checks (the first load): appended, then the heap is ordered once.
    let appended = false;
    for (const check of checks) {
      const hostKey = check.hostKey ?? check.target.address;
      let e = this.entries.get(check.id);
      if (!e) {
        e = new Entry(check, this.hostFor(hostKey));
        e.failures = check.initialFailures ?? initialFailures?.(check.id) ?? 0;
        e.host.refs++;
        this.entries.set(check.id, e);
        this.place(e, now);
        this.heap.append(e);
        appended = true;
      } else {
        e.check = check;
        if (e.host.key !== hostKey) {
          this.unref(e.host);
          e.host = this.hostFor(hostKey);
          e.host.refs++;
        }
        const interval = this.currentInterval(e);
        if (e.status === IDLE && e.nextAt > now + interval + this.jitter * interval) {
          this.heap.remove(e);
          this.place(e, now);
          this.heap.push(e);
        }
      }
      e.generation = generation;
    }
    for (const e of this.entries.values()) if (e.generation !== generation) this.remove(e);
    if (appended) this.heap.rebuild();
    this.arm();
  }

  /**
   * Starts running checks. Everything is placed afresh from now, so a late start does not burst.
   * The first run of each check comes on its phase without jitter: the phases already spread the
   * checks, and a random wait of up to a tenth of the interval on top would only leave a restarted
   * monitor blind for longer (the first of 1,000 one-minute checks: ~0.7 s later on average).
   * Jitter applies from the second run on.
   */
  start(): void {
    if (this.stopped) throw new Error('scheduler: start() after stop(); make a new Scheduler');
    if (this.started) return;
    this.started = true;
    const now = this.clock.now();
    for (const e of this.entries.values()) if (e.status === IDLE) this.place(e, now, false);
    this.heap.rebuild();
    this.arm();
    this.pump();
  }

  /**
   * Runs a check as soon as a slot is free (`mamoru recheck`); its next run is then one interval
   * later. Returns false when there is no such check or it is already queued or running.
   */
  runNow(id: string): boolean {
    const e = this.entries.get(id);
    if (!e || e.status !== IDLE || this.stopped) return false;
    this.heap.remove(e);
    e.slot = e.nextAt = this.clock.now();
    this.enqueue(e);
    this.pump();
    return true;
  }

  /**
   * Clean shutdown: no new runs, queued ones are dropped, running probes are aborted through
   * their signals. Resolves when every running one has settled (runCheck gives a hung probe its
   * short grace, so this is prompt). Results that arrive after this call are not delivered.
   */
  stop(): Promise<void> {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      this.queueHead = this.queueTail = undefined;
      for (const h of this.hosts.values()) h.head = h.tail = undefined;
      this.counts.queued = 0;
      const reason = new Error('mamoru is stopping');
      for (const e of this.inFlight) {
        if (e.run?.cancel) e.run.cancel(reason);
        else e.run?.controller.abort(reason);
      }
    }
    if (this.counts.running === 0) return Promise.resolve();
    return (this.stopPromise ??= new Promise<void>((resolve) => (this.stopWaiter = resolve)));
  }

  /** Counters, as a fresh object. */
  stats(): SchedulerStats {
    return { ...this.counts, configured: this.entries.size };
  }

  /** Where one check stands, or undefined for an unknown id. */
  checkInfo(id: string): CheckInfo | undefined {
    const e = this.entries.get(id);
    if (!e) return undefined;
    const status = e.status === RUNNING ? 'running' : e.status === QUEUED ? 'queued' : 'scheduled';
    return { status, nextRunAt: e.status === IDLE ? e.nextAt : undefined, consecutiveFailures: e.failures };
  }

  // The interval a check waits now: the retry interval while failing in a soft state.
  private currentInterval(e: Entry): number {
    return e.failures > 0 && e.failures < e.check.maxAttempts ? e.check.retryIntervalMs : e.check.intervalMs;
  }

  private place(e: Entry, now: number, jitter = true): void {
    const interval = this.currentInterval(e);
    e.slot = phaseSlot(e.check.id, interval, now);
    e.nextAt = e.slot + (jitter ? this.jitterFor(interval) : 0);
  }

  private jitterFor(interval: number): number {
    return this.jitter > 0 ? Math.floor(this.random() * this.jitter * interval) : 0;
  }

  private hostFor(key: string): Host {
    let h = this.hosts.get(key);
    if (!h) this.hosts.set(key, (h = new Host(key)));
    return h;
  }

  private unref(h: Host): void {
    h.refs--;
    this.forgetIfUnused(h);
  }

  private forgetIfUnused(h: Host): void {
    if (h.refs === 0 && h.running === 0 && h.head === undefined && this.hosts.get(h.key) === h) this.hosts.delete(h.key);
  }

  private remove(e: Entry): void {
    if (e.status === IDLE) this.heap.remove(e);
    else if (e.status === QUEUED) this.counts.queued--;
    e.status = REMOVED; // a running one is dropped when it ends; a queued one is skipped
    this.entries.delete(e.check.id);
    this.unref(e.host);
  }

  // One timer for the earliest due check; set again only when an earlier one appears.
  private arm(): void {
    if (!this.started || this.stopped) return;
    const top = this.heap.peek();
    if (!top || this.timerAt <= top.nextAt) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    const now = this.clock.now();
    const delay = Math.min(Math.max(0, top.nextAt - now), MAX_TIMER_MS);
    this.timerAt = now + delay;
    this.timer = this.clock.setTimeout(this.onTimer, delay);
  }

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const now = this.clock.now();
    for (let top = this.heap.peek(); top && top.nextAt <= now; top = this.heap.peek()) {
      this.heap.pop();
      this.enqueue(top);
    }
    this.pump();
    this.arm();
  };

  // Due checks line up in due order: the heap hands them over earliest first.
  private enqueue(e: Entry): void {
    e.status = QUEUED;
    e.next = undefined;
    if (this.queueTail) this.queueTail.next = e;
    else this.queueHead = e;
    this.queueTail = e;
    this.counts.queued++;
  }

  // Starts queued checks while global slots are free. One whose host is full is parked at its
  // host, so it does not hold up the checks of other hosts behind it.
  private pump(): void {
    if (!this.started || this.stopped) return;
    while (this.counts.running < this.concurrency && this.queueHead) {
      const e = this.queueHead;
      this.queueHead = e.next;
      if (!this.queueHead) this.queueTail = undefined;
      e.next = undefined;
      if (e.status !== QUEUED) continue;
      if (e.host.running >= this.perHost) this.park(e.host, e);
      else this.run(e);
    }
  }

  private park(h: Host, e: Entry): void {
    if (h.tail) h.tail.next = e;
    else h.head = e;
    h.tail = e;
  }

  // A run against `h` ended, freeing one global and one host slot. The checks parked at `h` were
  // due before anything in the global queue, so they go first.
  private slotFreed(h: Host): void {
    while (!this.stopped && h.head && h.running < this.perHost && this.counts.running < this.concurrency) {
      const e = h.head;
      h.head = e.next;
      if (!h.head) h.tail = undefined;
      e.next = undefined;
      if (e.status !== QUEUED) continue;
      if (e.host.running >= this.perHost) this.park(e.host, e); // its host changed on a reload
      else this.run(e);
    }
    this.pump();
    this.forgetIfUnused(h);
  }

  private run(e: Entry): void {
    const check = e.check;
    const host = e.host;
    reportScheduleLag(this.clock.now() - e.nextAt);
    e.status = RUNNING;
    this.counts.queued--;
    this.counts.running++;
    this.counts.started++;
    host.running++;
    const run: RunHandle = (e.run = { controller: new AbortController(), cancel: undefined });
    this.inFlight.add(e);
    let p: Promise<CheckResult>;
    try {
      p = this.execute(check, run);
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (result) => this.finish(e, check, host, result),
      (err: unknown) => this.finish(e, check, host, this.crashed(check, err)),
    );
  }

  private crashed(check: ScheduledCheck, err: unknown): CheckResult {
    const message = (err as Error)?.message ?? String(err);
    this.log.warn({ check: check.id, err: message }, 'check run failed instead of returning a result');
    const text = oneLine(`${check.probe.type.toUpperCase()} UNKNOWN - check failed: ${message}`);
    return { state: NagiosState.UNKNOWN, text, perfdata: [], startedAt: this.clock.now(), durationMs: 0 };
  }

  private finish(e: Entry, check: ScheduledCheck, host: Host, result: CheckResult): void {
    this.counts.running--;
    host.running--;
    this.inFlight.delete(e);
    e.run = undefined;
    if (this.stopped) {
      this.counts.dropped++;
      if (this.counts.running === 0) this.stopWaiter?.();
      return;
    }
    if (e.status === REMOVED) {
      this.counts.dropped++;
      this.slotFreed(host);
      return;
    }
    const turnedBad = result.state !== NagiosState.OK && e.failures === 0;
    e.failures = result.state === NagiosState.OK ? 0 : e.failures + 1;
    this.reschedule(e, turnedBad);
    this.slotFreed(host);
    this.counts.completed++;
    try {
      this.onResult(check, result, e.failures);
    } catch (err) {
      this.log.error({ check: check.id, err: (err as Error)?.message ?? String(err) }, 'result handler threw');
    }
  }

  // Next slot = this slot + interval, so the schedule does not drift by run times. When the run
  // (or its wait) overran, skip to the next slot still ahead rather than catch up in a burst.
  // A run that just turned from OK to a problem is re-checked soon instead (recheckDelayMs, no
  // jitter: one quick look needs no spreading), and its retries count from there.
  private reschedule(e: Entry, turnedBad: boolean): void {
    const interval = this.currentInterval(e);
    const now = this.clock.now();
    const quick = turnedBad && e.check.maxAttempts > 1 && (e.check.recheckDelayMs ?? -1) >= 0;
    let slot = e.slot + interval;
    if (quick) slot = now + Math.min(e.check.recheckDelayMs!, interval);
    else if (slot < now) {
      const missed = Math.ceil((now - slot) / interval);
      slot += missed * interval;
      this.counts.skippedSlots += missed;
      this.log.debug({ check: e.check.id, missed }, 'check overran its interval; skipping to its next slot');
    }
    e.slot = slot;
    e.nextAt = slot + (quick ? 0 : this.jitterFor(interval));
    e.status = IDLE;
    this.heap.push(e);
    this.arm();
  }
}
