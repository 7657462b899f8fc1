/**
 * A check's history over a range, for the state band and the response-time plot of the check and
 * target pages: the last hour from raw results, a day from minute rollups, a week from hour
 * rollups; results newer than the last rollup (maintain() runs every minute) are added raw.
 */
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

export async function history(deps: WebDeps, checkId: string, range: Range, now = Date.now()): Promise<Point[]> {
  const from = now - RANGES[range];
  const out: Point[] = [];
  if (range !== '1h') {
    const rollups = await deps.rollups(checkId, range === '24h' ? 'minute' : 'hour', { from, to: now });
    for (const r of rollups) out.push({ t: r.bucketStart, state: r.critical ? 2 : r.unknown ? 3 : r.warning ? 1 : 0, min: r.durationMs.min, avg: r.durationMs.avg, max: r.durationMs.max });
  }
  const after = out.length ? out[out.length - 1]!.t + (range === '24h' ? 60_000 : 3600_000) : from;
  const raw = await deps.results(checkId, { limit: RAW_LIMIT });
  for (const r of raw.reverse()) if (r.startedAt >= after) out.push({ t: r.startedAt, state: r.state as 0 | 1 | 2 | 3, min: r.durationMs, avg: r.durationMs, max: r.durationMs });
  return out;
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
