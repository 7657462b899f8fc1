/**
 * A small, bounded memory of recent lines for filters (not a filter): the scanner gives each
 * filter call one, per scanner (so per log and jail), for a daemon that writes one event as two
 * lines (sshd's `Failed password` and PAM's `authentication failure` for one wrong password).
 * Least recently set keys go first once it is full, so a flood of processes cannot grow it.
 */
export class RecentLines {
  private readonly map = new Map<string, string>();

  constructor(readonly max = 256) {}

  get(key: string): string | undefined {
    return this.map.get(key);
  }

  set(key: string, value: string): void {
    this.map.delete(key);
    this.map.set(key, value);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value!);
  }

  delete(key: string): void {
    this.map.delete(key);
  }

  get size(): number {
    return this.map.size;
  }
}
