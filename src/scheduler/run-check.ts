/**
 * The runner around every probe: it times it, enforces the timeout with an AbortSignal, and turns
 * a throw or a hang into a clean result. A hung probe never holds its caller past the timeout.
 */
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult, ProbeOutcome } from '../core/result.ts';
import { oneLine } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { ProbeDefinition } from '../probes/types.ts';

export interface RunOptions {
  timeoutMs: number;
  log?: Logger;
  /** Aborts the run early (shutdown). */
  signal?: AbortSignal;
}

// How long a probe may take to answer its own abort with its own words before the runner speaks.
const ABORT_GRACE_MS = 25;

export async function runCheck(probe: ProbeDefinition<any>, target: Target, options: unknown, run: RunOptions): Promise<CheckResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const controller = new AbortController();
  const onOuterAbort = () => controller.abort(run.signal?.reason);
  run.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (run.signal?.aborted) controller.abort(run.signal.reason);
  const timer = setTimeout(() => controller.abort(new Error('timeout')), run.timeoutMs);
  let guard: NodeJS.Timeout | undefined;
  const seconds = Math.round(run.timeoutMs / 100) / 10;
  const label = probe.type.toUpperCase();
  const onHang = new Promise<ProbeOutcome>((resolve) => {
    const fire = () => {
      guard = setTimeout(() => {
        resolve(
          run.signal?.aborted
            ? { state: NagiosState.UNKNOWN, text: `${label} UNKNOWN - check cancelled: mamoru is stopping`, perfdata: [] }
            : { state: NagiosState.CRITICAL, text: `${label} CRITICAL - check timed out after ${seconds} seconds`, perfdata: [] },
        );
      }, ABORT_GRACE_MS);
    };
    if (controller.signal.aborted) fire();
    else controller.signal.addEventListener('abort', fire, { once: true });
  });
  let out: ProbeOutcome;
  try {
    out = await Promise.race([probe.run(target, options, { signal: controller.signal, timeoutMs: run.timeoutMs, log: run.log ?? silentLogger }), onHang]);
  } catch (e) {
    out = { state: NagiosState.UNKNOWN, text: oneLine(`${label} UNKNOWN - probe failed: ${(e as Error)?.message ?? String(e)}`), perfdata: [] };
  } finally {
    clearTimeout(timer);
    if (guard) clearTimeout(guard);
    run.signal?.removeEventListener('abort', onOuterAbort);
  }
  return { ...out, startedAt, durationMs: performance.now() - t0 };
}
