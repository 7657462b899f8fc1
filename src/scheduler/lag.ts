/**
 * How late checks start: for each run, the time from when it was due (its slot plus jitter, or
 * the moment `runNow` asked) to when it started, which is the wait for the event loop and for a
 * free global or per-host slot. The scheduler reports every run here; the process's metrics
 * (web/metrics.ts, `mamoru_scheduler_lag_seconds`) are the one listener. Process-wide because a
 * process runs one daemon; a later listener replaces the earlier one.
 */
type LagListener = (lateMs: number) => void;

let listener: LagListener | undefined;

/** Where the lag of each run goes from now on (undefined: nowhere). */
export function onScheduleLag(fn: LagListener | undefined): void {
  listener = fn;
}

/** Called by the scheduler as a run starts. */
export function reportScheduleLag(lateMs: number): void {
  listener?.(lateMs > 0 ? lateMs : 0);
}
