/**
 * The recidive jail: an address banned again and again, by any jail, gets one long ban on every
 * port. Pure (time passed in): it is told of each ban the other jails applied and answers with the
 * long ban when the address reached `max_bans` within `find_time`. Memory is bounded: at most
 * `max_tracked` addresses, the least recently banned forgotten first.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import type { BanDecision } from './jail.ts';

export const recidiveSchema = z.strictObject({
  max_bans: z.number().int().min(2).default(3).meta({ description: 'bans of one address, by any jail, within find_time that earn the long ban' }),
  find_time: duration('the window in which bans are counted').prefault('1d'),
  ban_time: duration('how long the long ban (every port) lasts').prefault('1w'),
  max_tracked: z.number().int().min(10).default(100_000).meta({ description: 'addresses remembered (least recently banned forgotten first)' }),
});

export type RecidiveOptions = z.output<typeof recidiveSchema>;

/** The jail name recidive bans are stored and reported under. */
export const RECIDIVE = 'recidive';

export class Recidive {
  /** Address -> the times of its bans (oldest first), in least-recently-banned order. */
  private readonly seen = new Map<string, number[]>();
  /** Address -> when its long ban ends (it is not banned long twice at once). */
  private readonly long = new Map<string, number>();

  constructor(private readonly o: RecidiveOptions) {}

  /** A jail (not this one) banned `address` at `now`: the long ban when it has earned one. */
  note(address: string, jail: string, now: number): BanDecision | undefined {
    if (jail === RECIDIVE) return undefined;
    const since = now - this.o.find_time;
    const times = (this.seen.get(address) ?? []).filter((t) => t > since);
    times.push(now);
    this.seen.delete(address);
    this.seen.set(address, times);
    while (this.seen.size > this.o.max_tracked) this.seen.delete(this.seen.keys().next().value!);
    const until = this.long.get(address);
    if (until !== undefined && until > now) return undefined;
    if (times.length < this.o.max_bans) return undefined;
    const end = now + this.o.ban_time;
    this.long.set(address, end);
    for (const [a, u] of this.long) if (u <= now) this.long.delete(a);
    return { address, until: end, banCount: times.length, reason: `${times.length} bans within ${Math.round(this.o.find_time / 60_000)} min by the other jails: banned on every port`, severity: 'high' };
  }
}
