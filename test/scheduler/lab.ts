/**
 * A bench for the scheduler's tests: a fake clock, a fake probe the test scripts (what it
 * returns, how long it takes on the fake clock), and a record of every start and result.
 */
import { z } from 'zod';
import { FakeClock } from '../../src/core/clock.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import type { ProbeOutcome } from '../../src/core/result.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import { defineProbe, type ProbeContext } from '../../src/probes/types.ts';
import { Scheduler, type ScheduledCheck, type SchedulerOptions } from '../../src/scheduler/scheduler.ts';

export type Behaviour = (id: string, ctx: ProbeContext) => Promise<ProbeOutcome> | ProbeOutcome;

export const ok: ProbeOutcome = { state: NagiosState.OK, text: 'FAKE OK', perfdata: [] };
export const critical: ProbeOutcome = { state: NagiosState.CRITICAL, text: 'FAKE CRITICAL - down', perfdata: [] };

export interface Lab {
  clock: FakeClock;
  scheduler: Scheduler;
  /** Start times of each check's runs, ms after the lab was made. */
  starts: Map<string, number[]>;
  results: Array<{ id: string; state: NagiosState; failures: number; text: string }>;
  /** Probes running now and the most ever, in all and per address. */
  live: { now: number; max: number; perHost: Map<string, number>; maxPerHost: Map<string, number> };
  /** What the probe does; by default it answers OK at once. */
  behave: Behaviour;
  /** A check of the fake probe: 60 s interval, 10 s retry, 3 attempts, on 127.0.0.1. */
  check(id: string, over?: Partial<ScheduledCheck> & { address?: string }): ScheduledCheck;
  /** Resolves after `ms` of fake time. */
  wait(ms: number): Promise<void>;
  /** All starts, ms after the lab was made, sorted. */
  allStarts(): number[];
  /** Runs started in all so far. */
  total(): number;
}

export function lab(opts: Partial<Omit<SchedulerOptions, 'clock' | 'onResult'>> = {}): Lab {
  const clock = new FakeClock();
  const t0 = clock.now();
  const starts = new Map<string, number[]>();
  const results: Lab['results'] = [];
  const live: Lab['live'] = { now: 0, max: 0, perHost: new Map(), maxPerHost: new Map() };
  const probe = defineProbe({
    type: 'fake',
    summary: 'a probe the test scripts',
    schema: z.strictObject({ id: z.string() }),
    async run(target, options, ctx) {
      const list = starts.get(options.id) ?? [];
      list.push(clock.now() - t0);
      starts.set(options.id, list);
      const host = target.address;
      const onHost = (live.perHost.get(host) ?? 0) + 1;
      live.perHost.set(host, onHost);
      live.maxPerHost.set(host, Math.max(live.maxPerHost.get(host) ?? 0, onHost));
      live.max = Math.max(live.max, ++live.now);
      try {
        return await l.behave(options.id, ctx);
      } finally {
        live.now--;
        live.perHost.set(host, live.perHost.get(host)! - 1);
      }
    },
  });
  const scheduler = new Scheduler({
    clock,
    jitter: 0,
    ...opts,
    onResult: (c, r, failures) => results.push({ id: c.id, state: r.state, failures, text: r.text }),
  });
  const l: Lab = {
    clock,
    scheduler,
    starts,
    results,
    live,
    behave: () => ok,
    check: (id, { address = '127.0.0.1', ...over } = {}) => ({
      id,
      target: targetFromAddress(address),
      probe,
      options: { id },
      intervalMs: 60_000,
      retryIntervalMs: 10_000,
      maxAttempts: 3,
      timeoutMs: 10_000,
      ...over,
    }),
    wait: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
    allStarts: () => [...starts.values()].flat().sort((a, b) => a - b),
    total: () => [...starts.values()].reduce((n, s) => n + s.length, 0),
  };
  return l;
}

/** `['prefix-0', 'prefix-1', ...]`. */
export function ids(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
}

/** Differences between consecutive numbers. */
export function gaps(xs: number[]): number[] {
  return xs.slice(1).map((x, i) => x - xs[i]!);
}

/** A seeded source of numbers in [0, 1) (mulberry32), so jitter is repeatable. */
export function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
