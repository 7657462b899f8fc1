/**
 * Prometheus metrics: each check's state and last duration, result counts by type and state, how
 * many checks are in each state, and the process's own figures (prom-client).
 *
 * The per-check series are not prom-client label sets: at 100,000 checks those cost a map entry,
 * a label object and a hashed key string per check and per gauge, and a hash per result. They are
 * written at scrape time from the daemon's own view of its checks (the overview index), so a
 * result costs two array increments here. Past `PER_CHECK_AUTO_MAX` checks (`metrics.per_check:
 * auto`) only the aggregates are written: a scrape of 100,000 series is megabytes that Prometheus
 * users rarely want, while the counts by type and state stay.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { onScheduleLag } from '../scheduler/lag.ts';
import { LoopHealth } from './loop-health.ts';
import type { CheckResult } from '../core/result.ts';

/** What the guard reports on each scrape. */
export interface GuardFigures {
  bans_in_force: number;
  long_lines: number;
  drift_repairs: number;
}

/** One check as /metrics shows it (an overview row is one); `lastCheck` is null before its first result. */
export interface CheckSample {
  id: string;
  target: string;
  type: string;
  state: number;
  lastCheck: number | null;
  durationMs: number | null;
}

/** `all`: a series per check always; `none`: aggregates only; `auto`: per check up to PER_CHECK_AUTO_MAX checks. */
export type PerCheck = 'auto' | 'all' | 'none';
export const PER_CHECK_AUTO_MAX = 10_000;

const STATES = ['ok', 'warning', 'critical', 'unknown'] as const;

/** A label value as the text format wants it: backslash, double quote and newline escaped. */
const label = (v: string) => (/["\\\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v);

/** A prom-client registry whose text also carries the series mamoru writes itself. */
class CheckRegistry extends Registry {
  constructor(private readonly extra: () => string) {
    super();
  }

  override async metrics(): Promise<string> {
    const own = await super.metrics();
    return `${own}\n${this.extra()}`;
  }
}

export class Metrics {
  readonly registry: Registry = new CheckRegistry(() => this.render());
  /** Results since start per probe type: counts by state (ok, warning, critical, unknown). */
  private readonly results = new Map<string, [number, number, number, number]>();
  private perCheck: PerCheck = 'auto';
  private checks: (fn: (c: CheckSample) => void) => void = () => {};
  /** Read at each scrape, so the figure is current whoever asks. */
  private sampleRunning: () => number = () => 0;
  private readonly running: Gauge = new Gauge({
    name: 'mamoru_scheduler_running_checks',
    help: 'Checks running now',
    registers: [this.registry],
    collect: (): void => this.running.set(this.sampleRunning()),
  });
  /** How late each run started after it was due (scheduler/lag.ts): the event loop's and the slots' wait. */
  private readonly lag = new Histogram({ name: 'mamoru_scheduler_lag_seconds', help: 'How late a check run started after it was due (waiting for the event loop or a free slot)', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [this.registry] });
  /** The event loop's delay and longest block, and the lag over the last minute (loop-health.ts). */
  readonly health = new LoopHealth(this.registry);
  readonly configured = new Gauge({ name: 'mamoru_scheduler_configured_checks', help: 'Checks in the configuration', registers: [this.registry] });
  readonly reloads = new Counter({ name: 'mamoru_config_reloads_total', help: 'Configuration reloads by outcome', labelNames: ['outcome'], registers: [this.registry] });

  /** The guard's figures, read at each scrape (none while no jail is configured). */
  private sampleGuard: () => GuardFigures | undefined = () => undefined;
  readonly guardGauges = (['bans_in_force', 'long_lines', 'drift_repairs'] as const).map((k) => {
    const help = { bans_in_force: 'Bans the guard applied since start that are still in force', long_lines: 'Log lines over max_line_length since start (searched by head and tail)', drift_repairs: "Repairs of hand-made changes to mamoru's own firewall table/chain since start" }[k];
    const g: Gauge = new Gauge({ name: `mamoru_guard_${k}`, help, registers: [this.registry], collect: (): void => {
      const f = this.sampleGuard();
      if (f) g.set(f[k]);
    } });
    return g;
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mamoru_' });
    onScheduleLag((ms) => {
      this.lag.observe(ms / 1000);
      this.health.observeLag(ms);
    });
  }

  /** Where the running-checks gauge reads its value (the scheduler, once there is one). */
  sampleRunningFrom(fn: () => number): void {
    this.sampleRunning = fn;
  }

  /** Where the guard's gauges read their values (the daemon's guard, once there is one). */
  sampleGuardFrom(fn: () => GuardFigures | undefined): void {
    this.sampleGuard = fn;
  }

  /** Where the per-check series are read at each scrape (every configured check, once each), and how many to write. */
  checksFrom(fn: (emit: (c: CheckSample) => void) => void, perCheck: PerCheck = this.perCheck): void {
    this.checks = fn;
    this.perCheck = perCheck;
  }

  /** One result: counted by its probe type and state (the state and duration are read from the daemon at scrape time). */
  observe(check: { type: string }, r: CheckResult): void {
    let counts = this.results.get(check.type);
    if (!counts) this.results.set(check.type, (counts = [0, 0, 0, 0]));
    counts[r.state]++;
  }

  /** The series mamoru writes itself, in the text format (what prom-client would write for them). */
  private render(): string {
    const out: string[] = ['# HELP mamoru_check_results_total Check results by probe type and state', '# TYPE mamoru_check_results_total counter'];
    for (const [type, counts] of this.results) for (let s = 0; s < 4; s++) if (counts[s]) out.push(`mamoru_check_results_total{type="${label(type)}",state="${STATES[s]}"} ${counts[s]}`);
    // Checks now in each state per type (one pass), then the per-check series while they are wanted.
    const byType = new Map<string, number[]>();
    let total = 0;
    this.checks((c) => {
      let counts = byType.get(c.type);
      if (!counts) byType.set(c.type, (counts = [0, 0, 0, 0, 0]));
      counts[c.lastCheck === null ? 4 : c.state]!++;
      total++;
    });
    out.push('', '# HELP mamoru_checks Configured checks by probe type and current state (pending: no result yet)', '# TYPE mamoru_checks gauge');
    for (const [type, counts] of byType) for (let s = 0; s < 5; s++) out.push(`mamoru_checks{type="${label(type)}",state="${s === 4 ? 'pending' : STATES[s]}"} ${counts[s]}`);
    const states: string[] = ['', '# HELP mamoru_check_state Nagios state of the check (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)', '# TYPE mamoru_check_state gauge'];
    const durations: string[] = ['', '# HELP mamoru_check_duration_seconds Duration of the last run of the check', '# TYPE mamoru_check_duration_seconds gauge'];
    if (this.perCheck === 'all' || (this.perCheck === 'auto' && total <= PER_CHECK_AUTO_MAX)) {
      this.checks((c) => {
        if (c.lastCheck === null) return;
        const labels = `{check="${label(c.id)}",target="${label(c.target)}",type="${label(c.type)}"}`;
        states.push(`mamoru_check_state${labels} ${c.state}`);
        if (c.durationMs !== null) durations.push(`mamoru_check_duration_seconds${labels} ${c.durationMs / 1000}`);
      });
    }
    return `${out.join('\n')}\n${states.join('\n')}\n${durations.join('\n')}\n`;
  }
}
