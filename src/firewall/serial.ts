/**
 * One change at a time per firewall: a backend reads the kernel's state, plans, then writes
 * (replace an end, widen a network, delete the old copy of a rule). Two bans interleaving those
 * steps could plan from the same stale read, so every backend's operations are queued here.
 */
import type { Firewall } from './types.ts';

/** Wraps a firewall so its operations run one after another, in call order. */
export function serialized<F extends Firewall>(fw: F): F {
  let tail: Promise<unknown> = Promise.resolve();
  const queue = <T>(op: () => Promise<T>): Promise<T> => {
    const next = tail.then(op, op);
    tail = next.catch(() => undefined);
    return next;
  };
  return {
    ...fw,
    setup: () => queue(() => fw.setup()),
    ban: (b) => queue(() => fw.ban(b)),
    unban: (a) => queue(() => fw.unban(a)),
    list: () => queue(() => fw.list()),
    flush: () => queue(() => fw.flush()),
    teardown: () => queue(() => fw.teardown()),
    ...(fw.state ? { state: () => queue(() => fw.state!()) } : {}),
  };
}
