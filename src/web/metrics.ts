/**
 * Prometheus metrics (prom-client): each check's state and last duration, result counts by
 * type and state, and the process's own figures. Labels stay bounded: per-check series only
 * carry the check id, target and type.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { onScheduleLag } from '../scheduler/lag.ts';
import type { CheckResult } from '../core/result.ts';

/** What the guard reports on each scrape. */
export interface GuardFigures {
  bans_in_force: number;
  long_lines: number;
  drift_repairs: number;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly state = new Gauge({ name: 'mamoru_check_state', help: 'Nagios state of the check (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)', labelNames: ['check', 'target', 'type'], registers: [this.registry] });
  private readonly duration = new Gauge({ name: 'mamoru_check_duration_seconds', help: 'Duration of the last run of the check', labelNames: ['check', 'target', 'type'], registers: [this.registry] });
  private readonly results = new Counter({ name: 'mamoru_check_results_total', help: 'Check results by probe type and state', labelNames: ['type', 'state'], registers: [this.registry] });
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
    onScheduleLag((ms) => this.lag.observe(ms / 1000));
  }

  /** Where the running-checks gauge reads its value (the scheduler, once there is one). */
  sampleRunningFrom(fn: () => number): void {
    this.sampleRunning = fn;
  }

  /** Where the guard's gauges read their values (the daemon's guard, once there is one). */
  sampleGuardFrom(fn: () => GuardFigures | undefined): void {
    this.sampleGuard = fn;
  }

  observe(check: { id: string; type: string; target: { name: string } }, r: CheckResult): void {
    const labels = { check: check.id, target: check.target.name, type: check.type };
    this.state.set(labels, r.state);
    this.duration.set(labels, r.durationMs / 1000);
    this.results.inc({ type: check.type, state: ['ok', 'warning', 'critical', 'unknown'][r.state]! });
  }

  /** Drops the series of checks no longer configured (after a reload). */
  forget(check: { id: string; type: string; target: { name: string } }): void {
    const labels = { check: check.id, target: check.target.name, type: check.type };
    this.state.remove(labels);
    this.duration.remove(labels);
  }
}
