/**
 * A check's history over a range, for the state band and the response-time plot of the check and
 * target pages: the last hour from raw results, a day from minute rollups, a week from hour
 * rollups; results newer than the last rollup (maintain() runs every minute) are added raw.
 */
import type { StoredResult } from '../store/types.ts';
import type { WebDeps } from './deps.ts';

export const RANGES = { '1h': 3600_000, '24h': 86400_000, '7d': 7 * 86400_000 } as const;
export type Range = keyof typeof RANGES;

/** One point: when, the worst state in it (0-3), response time min/avg/max in ms. */
export interface Point {
  t: number;
  state: 0 | 1 | 2 | 3;
  min: number;
  avg: number;
  max: number;
}

const RAW_LIMIT = 500;

// Rollups change only when the daemon's maintain() rolls results up (every minute), and results
// newer than the last rollup read are added raw below, so a read kept for ROLLUP_KEEP_MS loses
// nothing: a day's 1,440 minute rows were most of a check page's time (synchronous SQLite).
const ROLLUP_KEEP_MS = 15_000;
const ROLLUP_KEPT_MAX = 200;
const kept = new Map<string, { at: number; from: number; points: Point[] }>();

async function rolledUp(deps: WebDeps, checkId: string, range: '24h' | '7d', from: number, now: number): Promise<Point[]> {
  const key = `${checkId}|${range}`;
  const k = kept.get(key);
  if (k && now - k.at < ROLLUP_KEEP_MS && now >= k.at && from >= k.from) return k.points.filter((p) => p.t >= from);
  const rollups = await deps.rollups(checkId, range === '24h' ? 'minute' : 'hour', { from, to: now });
  const points: Point[] = rollups.map((r) => ({ t: r.bucketStart, state: r.critical ? 2 : r.unknown ? 3 : r.warning ? 1 : 0, min: r.durationMs.min, avg: r.durationMs.avg, max: r.durationMs.max }));
  if (kept.size >= ROLLUP_KEPT_MAX) kept.delete(kept.keys().next().value!);
  kept.set(key, { at: now, from, points });
  return points;
}

/**
 * The points of a check over `range` up to `now`. `recent`: the check's newest results (newest
 * first, as deps.results gives them, `recentLimit` asked for) when the caller has read them
 * already; they are used when they reach back past the last rollup, else up to RAW_LIMIT are read.
 */
export async function history(deps: WebDeps, checkId: string, range: Range, now = Date.now(), recent?: { results: StoredResult[]; limit: number }): Promise<Point[]> {
  const from = now - RANGES[range];
  const out: Point[] = range === '1h' ? [] : await rolledUp(deps, checkId, range, from, now);
  const after = out.length ? out[out.length - 1]!.t + (range === '24h' ? 60_000 : 3600_000) : from;
  const oldest = recent?.results[recent.results.length - 1];
  const enough = recent !== undefined && (recent.results.length < recent.limit || (oldest !== undefined && oldest.startedAt < after));
  const raw = enough ? [...recent.results] : await deps.results(checkId, { limit: RAW_LIMIT });
  const points = [...out];
  for (const r of raw.reverse()) if (r.startedAt >= after) points.push({ t: r.startedAt, state: r.state as 0 | 1 | 2 | 3, min: r.durationMs, avg: r.durationMs, max: r.durationMs });
  return points;
}

/** The plot's data attribute: seconds and milliseconds, rounded (small enough for an attribute). */
export function plotData(points: Point[]): string {
  const r = (x: number) => Math.round(x * 100) / 100;
  return JSON.stringify({ t: points.map((p) => Math.round(p.t / 1000)), min: points.map((p) => r(p.min)), avg: points.map((p) => r(p.avg)), max: points.map((p) => r(p.max)), label: 'ms' });
}

/** Consecutive points of one state as runs over the range: what the band draws. */
export function runs(points: Point[], from: number, to: number): { x: number; w: number; state: number; start: number; end: number }[] {
  const span = Math.max(1, to - from);
  const out: { x: number; w: number; state: number; start: number; end: number }[] = [];
  points.forEach((p, i) => {
    const end = i + 1 < points.length ? points[i + 1]!.t : to;
    const last = out[out.length - 1];
    if (last && last.state === p.state) {
      last.end = end;
      last.w = ((end - last.start) / span) * 1000;
    } else {
      out.push({ x: ((Math.max(p.t, from) - from) / span) * 1000, w: ((end - Math.max(p.t, from)) / span) * 1000, state: p.state, start: p.t, end });
    }
  });
  return out;
}
