/**
 * Where in its interval a check runs. The phase comes from a hash of the check's id, so checks
 * spread evenly over their interval and each keeps the same phase across reloads and restarts
 * (the way Prometheus offsets its scrapes), instead of all firing when the daemon starts.
 */

/** A well-mixed 32-bit hash of a string: FNV-1a, then the murmur3 finaliser so similar ids differ. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The first time at or after `now` that falls on the check's own phase of `intervalMs`, counted
 * from the epoch: always within `[now, now + intervalMs)`.
 */
export function phaseSlot(id: string, intervalMs: number, now: number): number {
  const phase = (hash32(id) / 0x1_0000_0000) * intervalMs;
  const offset = (((phase - now) % intervalMs) + intervalMs) % intervalMs;
  return now + Math.floor(offset);
}
