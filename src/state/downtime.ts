/**
 * Scheduled downtime: one-off windows and weekly recurring ones in a fixed UTC offset. Pure
 * arithmetic on epoch milliseconds so a fake clock drives it.
 */

/** A one-off window, ms since the epoch, end exclusive. */
export interface OneOffDowntime {
  kind: 'once';
  start: number;
  end: number;
  comment?: string;
}

/** A weekly window: on each of `days` (0 = Sunday) at `time` local to `utcOffsetMinutes`, for `durationMs`. */
export interface WeeklyDowntime {
  kind: 'weekly';
  days: number[];
  /** `HH:MM`, local time. */
  time: string;
  durationMs: number;
  /** The zone's offset from UTC, e.g. 540 for JST. @defaultValue 0 */
  utcOffsetMinutes?: number;
  comment?: string;
}

export type Downtime = OneOffDowntime | WeeklyDowntime;

export interface Window {
  start: number;
  end: number;
}

const DAY = 86_400_000;

function parseTime(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new RangeError(`downtime time "${hhmm}": expected HH:MM`);
  return (Number(m[1]) * 60 + Number(m[2])) * 60_000;
}

/** Occurrences of a weekly downtime that could cover `now` or start after it (this week and neighbours). */
function weeklyWindows(d: WeeklyDowntime, now: number): Window[] {
  const off = (d.utcOffsetMinutes ?? 0) * 60_000;
  const local = now + off;
  const dayStart = Math.floor(local / DAY) * DAY;
  const weekday = new Date(dayStart).getUTCDay();
  const at = parseTime(d.time);
  const out: Window[] = [];
  // Look back far enough for a window longer than a day that began earlier, and a week ahead.
  const back = Math.ceil(d.durationMs / DAY) + 1;
  for (let k = -back; k <= 7; k++) {
    const wd = (((weekday + k) % 7) + 7) % 7;
    if (!d.days.includes(wd)) continue;
    const start = dayStart + k * DAY + at - off;
    out.push({ start, end: start + d.durationMs });
  }
  return out;
}

function windowsOf(d: Downtime, now: number): Window[] {
  return d.kind === 'once' ? [{ start: d.start, end: d.end }] : weeklyWindows(d, now);
}

/** The downtime window covering `now` (the one ending last when several overlap), if any. */
export function activeDowntime(downtimes: readonly Downtime[], now: number): Window | undefined {
  let best: Window | undefined;
  for (const d of downtimes)
    for (const w of windowsOf(d, now)) if (w.start <= now && now < w.end && (!best || w.end > best.end)) best = w;
  return best;
}

/** The next time after `now` a downtime starts or ends (the engine wants a tick then). */
export function nextDowntimeBoundary(downtimes: readonly Downtime[], now: number): number | undefined {
  let next: number | undefined;
  for (const d of downtimes)
    for (const w of windowsOf(d, now))
      for (const t of [w.start, w.end]) if (t > now && (next === undefined || t < next)) next = t;
  return next;
}
