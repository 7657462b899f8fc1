/**
 * One render per event-loop turn. The console and the scheduler share one event loop: when many
 * requests are ready at once, Node hands them over back to back in one turn, and a check that
 * falls due waits behind all of them (10 clients loading pages: runs started seconds late). This
 * gate admits at most one page or API request per turn; the others wait in order for a later
 * turn (`setImmediate`), so due timers and I/O run between two renders. A render's synchronous
 * part is what the gate spaces out (the store is synchronous SQLite, so that is nearly all of it).
 * At most `maxWaiting` wait: past that the answer is 503 with Retry-After, so a flood costs a
 * bounded queue, not memory. Liveness, metrics, the event stream and static files pass freely
 * (cheap, and /healthz and /metrics must answer while pages queue).
 */
import type { MiddlewareHandler } from 'hono';
import { problem, type WebEnv } from './access.ts';

export interface TurnGateOptions {
  /** Requests that may wait for their turn; past this, 503. */
  maxWaiting?: number;
  /** Paths that pass without waiting. */
  exempt?: (path: string) => boolean;
}

export const MAX_WAITING = 64;
const EXEMPT = new Set(['/healthz', '/metrics', '/api/v1/events']);
export const exemptPath = (path: string) => EXEMPT.has(path) || path.startsWith('/static/');

export interface TurnGate {
  middleware: MiddlewareHandler<WebEnv>;
  /** Requests waiting for their turn now. */
  waiting(): number;
  /** Requests answered 503 because too many were waiting, since start. */
  refused(): number;
}

export function turnGate(opts: TurnGateOptions = {}): TurnGate {
  const maxWaiting = opts.maxWaiting ?? MAX_WAITING;
  const exempt = opts.exempt ?? exemptPath;
  const queue: (() => void)[] = [];
  let taken = false;
  let refused = 0;

  // Called in a check phase: the next waiter renders now, and the next release comes in the next
  // turn's check phase (an immediate scheduled during the check phase runs in the next turn).
  const release = () => {
    const next = queue.shift();
    if (!next) {
      taken = false;
      return;
    }
    setImmediate(release);
    next();
  };

  const middleware: MiddlewareHandler<WebEnv> = async (c, next) => {
    if (exempt(c.req.path)) return next();
    if (!taken) {
      // Admitted straight from an I/O callback: wait for the check phase of this turn, then for
      // the next turn's, so the next waiter never renders before the timers have had their turn.
      taken = true;
      setImmediate(() => setImmediate(release));
      return next();
    }
    if (queue.length >= maxWaiting) {
      refused++;
      c.header('retry-after', '1');
      return problem(c, 503, 'unavailable', 'the console is busy; try again in a moment');
    }
    await new Promise<void>((resolve) => queue.push(resolve));
    return next();
  };

  return { middleware, waiting: () => queue.length, refused: () => refused };
}
