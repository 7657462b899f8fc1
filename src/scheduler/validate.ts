/** The scheduler's input checks: numbers that make sense and unique ids, refused with a RangeError. */
import type { ScheduledCheck } from './types.ts';

export function positive(n: number, name: string): number {
  if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`scheduler: ${name} must be a whole number above 0, got ${n}`);
  return n;
}

/** Checked before anything changes, so a bad reload leaves the running schedule as it was. */
export function validateChecks(checks: readonly ScheduledCheck[]): void {
  const seen = new Set<string>();
  for (const c of checks) {
    if (seen.has(c.id)) throw new RangeError(`scheduler: check id "${c.id}" appears twice; ids must be unique`);
    seen.add(c.id);
    for (const key of ['intervalMs', 'retryIntervalMs', 'timeoutMs'] as const) {
      const v = c[key];
      if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`scheduler: check "${c.id}": ${key} must be a positive number of ms, got ${v}`);
    }
    if (!(Number.isInteger(c.maxAttempts) && c.maxAttempts >= 1)) throw new RangeError(`scheduler: check "${c.id}": maxAttempts must be a whole number from 1, got ${c.maxAttempts}`);
    if (c.initialFailures !== undefined && !(Number.isInteger(c.initialFailures) && c.initialFailures >= 0)) throw new RangeError(`scheduler: check "${c.id}": initialFailures must be a whole number from 0, got ${c.initialFailures}`);
  }
}
