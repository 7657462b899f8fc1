/**
 * The scheduler's record of one configured check and of one host: small classes with fixed
 * fields (no closures, nothing that grows per run), so 100,000 checks cost one object each.
 */
import type { RunHandle, ScheduledCheck } from './types.ts';

export const IDLE = 0; // waiting in the heap for its time
export const QUEUED = 1; // due, in the global queue or parked at its host
export const RUNNING = 2;
export const REMOVED = 3; // gone from the config; whatever list still holds it skips it

/** One configured check and its schedule. */
export class Entry {
  nextAt = 0; // when it runs: slot + jitter
  slot = 0; // the un-jittered time it is due; the next one is counted from here, so no drift
  heapIndex = -1;
  failures = 0;
  status = IDLE;
  generation = 0;
  next: Entry | undefined = undefined; // link in the global queue or a host's parked list
  run: RunHandle | undefined = undefined;
  constructor(
    public check: ScheduledCheck,
    public host: Host,
  ) {}
}

/** Runs under way against one host, and its due checks that wait for one of them to end. */
export class Host {
  running = 0;
  refs = 0; // configured checks pointing here
  head: Entry | undefined = undefined;
  tail: Entry | undefined = undefined;
  constructor(readonly key: string) {}
}
