/**
 * The scheduler's public shapes: what a scheduled check is, the options, and what it reports.
 * Kept apart from scheduler.ts so other rooms can name them without the machinery.
 */
import type { SecretLookup } from '../core/secrets.ts';
import type { Clock } from '../core/clock.ts';
import type { Logger } from '../core/log.ts';
import type { CheckResult } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import type { ProbeDefinition } from '../probes/types.ts';

/** A check as the scheduler sees it: what to run, where, and how often. */
export interface ScheduledCheck {
  /** Unique and stable across reloads: it is what keeps a check's schedule and failure count. */
  id: string;
  target: Target;
  /** What the per-host limit counts by. @defaultValue `target.address` */
  hostKey?: string | undefined;
  probe: ProbeDefinition<any>;
  /** The probe's options, already parsed by its schema. */
  options: unknown;
  /** Time between runs while OK or in a hard state, ms. */
  intervalMs: number;
  /** Time between runs while failing in a soft state (fewer than `maxAttempts` failures), ms. */
  retryIntervalMs: number;
  /** Consecutive failures that make a state hard (Nagios `max_check_attempts`), at least 1. */
  maxAttempts: number;
  /**
   * After a run turns from OK to a problem, the next run comes this soon, before the retry
   * schedule, so a hard problem is confirmed in seconds rather than `maxAttempts × retryIntervalMs`.
   * It is one of the `maxAttempts`, and only the OK → problem edge gets it (a check that keeps
   * failing, or flaps, waits its retry interval). Capped at `retryIntervalMs`. Unset: no quick
   * re-check (the config always sets it; its default lives in the config schema).
   */
  recheckDelayMs?: number | undefined;
  /** How long a run may take before it is CRITICAL and its slot is free again, ms. */
  timeoutMs: number;
  /**
   * Consecutive failures carried over from a saved state (a restart in the middle of a soft
   * problem keeps re-checking at the retry interval). Read only when the id is new.
   * @defaultValue 0
   */
  initialFailures?: number | undefined;
}

/**
 * One run's handle: its controller (the probe's signal) and, while the runner has the run, the
 * runner's `cancel` (abort, then a short grace for the probe's own words, then the runner's).
 * stop() calls `cancel` when set, else aborts the controller.
 */
export interface RunHandle {
  controller: AbortController;
  cancel: ((reason: unknown) => void) | undefined;
}

/** Runs one check; must resolve (a failing target is a result, not a rejection) and honour the signal. */
export type Execute = (check: ScheduledCheck, run: RunHandle) => Promise<CheckResult>;

export interface SchedulerOptions {
  clock: Clock;
  /** Runs at once, all hosts together. @defaultValue 64 */
  concurrency?: number;
  /** Runs at once against one host (`hostKey`). @defaultValue 4 */
  perHostConcurrency?: number;
  /** Each run starts up to this fraction of its interval after its slot. @defaultValue 0.1 */
  jitter?: number;
  /** @defaultValue `runCheck` with the check's probe, target, options and timeout */
  execute?: Execute;
  /**
   * Gets every result of a configured check, with the consecutive non-OK count including this
   * one (0 after an OK). Not called for checks removed while running, nor once stop() was called.
   */
  onResult: (check: ScheduledCheck, result: CheckResult, failures: number) => void;
  /** Source of the jitter, in [0, 1). @defaultValue Math.random */
  random?: () => number;
  log?: Logger;
  /** Where probes read their secrets (the config's `secrets:`). */
  secret?: SecretLookup;
}

/** Counters for /metrics and `mamoru status`. */
export interface SchedulerStats {
  configured: number;
  running: number;
  /** Due, waiting for a global or a per-host slot. */
  queued: number;
  /** Runs started since construction. */
  started: number;
  /** Results delivered to onResult. */
  completed: number;
  /** Results thrown away: the check was removed while running, or the scheduler was stopping. */
  dropped: number;
  /** Slots passed over because a run (or its wait for a slot) took longer than the interval. */
  skippedSlots: number;
}

/** What `checkInfo` tells about one check. */
export interface CheckInfo {
  status: 'scheduled' | 'queued' | 'running';
  /** When the next run is due, ms since the epoch (only while scheduled). */
  nextRunAt: number | undefined;
  consecutiveFailures: number;
}
