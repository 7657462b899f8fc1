/**
 * Reading mamoru's /metrics for bench/scale: one scrape (timed, since a big registry costs the
 * daemon a block of its event loop), the schedule lag histogram's deltas between two scrapes as
 * quantiles, counter sums, and the event loop's longest block.
 */
import { bucketQuantile } from '../lib/histogram.ts';

export interface Scrape {
  at: number;
  ms: number;
  bytes: number;
  /** metric name → summed value over its label sets (unlabelled: the value). */
  sums: Map<string, number>;
  /** The lag histogram's cumulative buckets: upper bound (s) → count. */
  lag: Map<number, number>;
}

const LAG = 'mamoru_scheduler_lag_seconds';
/** A key of Scrape.sums that is no metric: the results whose state label is not "ok". */
const NOT_OK = ' results not ok';

/** Scrapes `url`/metrics (loopback needs no token). */
export async function scrape(url: string): Promise<Scrape> {
  const t0 = performance.now();
  const at = Date.now();
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(120_000) });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (!res.ok) throw new Error(`/metrics answered HTTP ${res.status}`);
  const sums = new Map<string, number>();
  const lag = new Map<number, number>();
  // Per-check series (mamoru_check_state{check=...}) are many; only their sums are kept.
  for (const m of text.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([-+0-9.eEInfNa]+)/gm)) {
    const name = m[1]!;
    const value = Number(m[3]);
    if (name === `${LAG}_bucket`) {
      const le = /le="([^"]+)"/.exec(m[2] ?? '')?.[1];
      if (le !== undefined) lag.set(le === '+Inf' ? Infinity : Number(le), value);
      continue;
    }
    sums.set(name, (sums.get(name) ?? 0) + value);
    if (name === 'mamoru_check_results_total' && !/state="ok"/.test(m[2] ?? '')) sums.set(NOT_OK, (sums.get(NOT_OK) ?? 0) + value);
  }
  return { at, ms, bytes: text.length, sums, lag };
}

export interface LagFromMetrics {
  runs: number;
  p50: number;
  p90: number;
  p99: number;
  /** Upper bound of the highest bucket any run of the window fell in (s); Infinity past the last. */
  maxBound: number;
}


/** The lag of the runs between `a` and `b`, or undefined when /metrics has no lag histogram. */
export function lagBetween(a: Scrape, b: Scrape): LagFromMetrics | undefined {
  if (b.lag.size === 0) return undefined;
  const bounds = [...b.lag.keys()].sort((x, y) => x - y);
  const counts = bounds.map((k) => b.lag.get(k)! - (a.lag.get(k) ?? 0));
  const runs = counts.at(-1)!;
  if (runs <= 0) return { runs: 0, p50: NaN, p90: NaN, p99: NaN, maxBound: NaN };
  const maxBound = bounds.find((_, i) => counts[i]! >= runs) ?? Infinity;
  return { runs, p50: bucketQuantile(bounds, counts, 0.5), p90: bucketQuantile(bounds, counts, 0.9), p99: bucketQuantile(bounds, counts, 0.99), maxBound };
}

/** Results counted by the daemon between two scrapes (mamoru_check_results_total, all types and states). */
export const resultsBetween = (a: Scrape, b: Scrape): number | undefined =>
  b.sums.has('mamoru_check_results_total') ? b.sums.get('mamoru_check_results_total')! - (a.sums.get('mamoru_check_results_total') ?? 0) : undefined;

/** Results that were not OK between two scrapes (mamoru_check_results_total with a state other than ok). */
export const notOkBetween = (a: Scrape, b: Scrape): number => (b.sums.get(NOT_OK) ?? 0) - (a.sums.get(NOT_OK) ?? 0);

/**
 * The event loop's longest block as the daemon's /metrics shows it: a metric of its own when it
 * has one (a name with "event" and "loop" and "max" or "block"), else prom-client's
 * nodejs_eventloop_lag_max_seconds, which is the max since the previous scrape. Seconds.
 */
export function eventLoopMax(s: Scrape): { name: string; seconds: number } | undefined {
  const own = [...s.sums.keys()].filter((n) => /event_?loop/.test(n) && /(max|block|longest)/.test(n) && !/nodejs_/.test(n) && !/_(bucket|count|sum)$/.test(n));
  const name = own[0] ?? (s.sums.has('mamoru_nodejs_eventloop_lag_max_seconds') ? 'mamoru_nodejs_eventloop_lag_max_seconds' : undefined);
  return name === undefined ? undefined : { name, seconds: s.sums.get(name)! };
}
