/**
 * The runner around every probe: it times it, enforces the timeout with an AbortSignal, and turns
 * a throw or a hang into a clean result. A hung probe never holds its caller past the timeout.
 *
 * It sits on the hot path of every check (tens of thousands a minute), so it allocates one
 * promise, one timer and no AbortController when the caller brings its own.
 */
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult, ProbeOutcome } from '../core/result.ts';
import { oneLine } from '../core/result.ts';
import type { Target } from '../core/target.ts';
import { silentLogger, type Logger } from '../core/log.ts';
import type { ProbeDefinition } from '../probes/types.ts';
import type { RunHandle } from './types.ts';
import { secretsFromEnv, type SecretLookup } from '../core/secrets.ts';

export interface RunOptions {
  timeoutMs: number;
  log?: Logger;
  /**
   * The scheduler's handle of this run: the runner aborts its controller at the timeout (no
   * second controller to link) and leaves its `cancel` there for stop(), so no event listener
   * is added per run.
   */
  run?: RunHandle;
  /** Or an outside signal that cancels the run (used when no handle is given). */
  signal?: AbortSignal;
  /** Where probes read their secrets. @defaultValue MAMORU_SECRET_<NAME> environment variables */
  secret?: SecretLookup;
}

/** The abort reason at the timeout; probes tell a timeout from a cancel by it. */
export const TIMEOUT = new Error('timeout');

// How long a probe may take to answer its own abort with its own words before the runner speaks.
const ABORT_GRACE_MS = 25;

export function runCheck(probe: ProbeDefinition<any>, target: Target, options: unknown, run: RunOptions): Promise<CheckResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const controller = run.run?.controller ?? new AbortController();
  const outer = run.run ? undefined : run.signal;
  const label = probe.type.toUpperCase();
  return new Promise<CheckResult>((resolve) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (out: ProbeOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (run.run) run.run.cancel = undefined;
      if (outer) outer.removeEventListener('abort', onOuterAbort);
      resolve({ state: out.state, text: out.text, perfdata: out.perfdata, longOutput: out.longOutput, startedAt, durationMs: performance.now() - t0 });
    };
    // After an abort the probe gets a short grace to answer in its own words ("Socket timeout
    // after 10 seconds"); after that the runner answers for it.
    const giveUp = () =>
      finish(
        controller.signal.reason === TIMEOUT
          ? { state: NagiosState.CRITICAL, text: `${label} CRITICAL - check timed out after ${Math.round(run.timeoutMs / 100) / 10} seconds`, perfdata: [] }
          : { state: NagiosState.UNKNOWN, text: `${label} UNKNOWN - check cancelled: mamoru is stopping`, perfdata: [] },
      );
    const onTimeout = () => {
      if (!controller.signal.aborted) controller.abort(TIMEOUT);
      timer = setTimeout(giveUp, ABORT_GRACE_MS);
    };
    // A cancel (shutdown): abort, then the same grace as at the timeout.
    const cancel = (reason: unknown) => {
      if (done) return;
      if (!controller.signal.aborted) controller.abort(reason);
      clearTimeout(timer);
      timer = setTimeout(giveUp, ABORT_GRACE_MS);
    };
    function onOuterAbort() {
      cancel(outer!.reason);
    }
    if (run.run) run.run.cancel = cancel;
    if (outer?.aborted) controller.abort(outer.reason);
    if (controller.signal.aborted) timer = setTimeout(giveUp, ABORT_GRACE_MS);
    else {
      timer = setTimeout(onTimeout, run.timeoutMs);
      outer?.addEventListener('abort', onOuterAbort, { once: true });
    }
    let pending: Promise<ProbeOutcome>;
    try {
      pending = probe.run(target, options, { signal: controller.signal, timeoutMs: run.timeoutMs, log: run.log ?? silentLogger, secret: run.secret ?? secretsFromEnv });
    } catch (e) {
      pending = Promise.reject(e);
    }
    pending.then(finish, (e: unknown) => finish({ state: NagiosState.UNKNOWN, text: oneLine(`${label} UNKNOWN - probe failed: ${(e as Error)?.message ?? String(e)}`), perfdata: [] }));
  });
}
