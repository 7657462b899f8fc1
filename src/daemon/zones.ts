/**
 * DOWN by quorum: a check run from several zones is a problem only when enough zones see it
 * failing. The brain keeps each zone's latest result per check and decides, at every result,
 * what the check's one result is:
 * - failing from at least `quorum` zones (default: a majority of the zones with a live poller):
 *   the worst of the failing results (the state engine then counts attempts as it always does);
 * - failing from fewer: the newest OK result, and the check is "seen failing from <zones> only"
 *   (a network problem between those zones and the server, for the operator, never the client);
 * - no failure: the result as it came.
 * A zone's result older than `staleMs` (three of the check's intervals) no longer votes: its poller
 * stopped, and the zones that still see decide.
 */
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';

export interface ZoneVote {
  zone: string;
  poller: string;
  result: CheckResult;
  /** When the brain received it (ms). */
  at: number;
}

export interface ZoneDecision {
  result: CheckResult;
  /** Zones whose latest result is a problem. */
  failing: string[];
  /** Zones that voted (fresh results). */
  voting: string[];
  /** Zones needed to agree on a problem. */
  quorum: number;
  /** Failing from some zones but fewer than the quorum. */
  partial: boolean;
}

/** Severity order for "the worst": CRITICAL, then UNKNOWN, then WARNING. */
const rank = (s: NagiosState) => (s === NagiosState.CRITICAL ? 3 : s === NagiosState.UNKNOWN ? 2 : s === NagiosState.WARNING ? 1 : 0);

/** A majority of `n` zones (1 of 1, 2 of 2, 2 of 3, 3 of 4). */
export const majority = (n: number) => Math.floor(n / 2) + 1;

export class ZoneVotes {
  private readonly votes = new Map<string, Map<string, ZoneVote>>();

  /** Records one zone's result and decides the check's result. `liveZones`: zones with a live poller now. */
  decide(checkId: string, vote: ZoneVote, opts: { zones: readonly string[]; quorum?: number | undefined; liveZones: ReadonlySet<string>; staleMs: number }): ZoneDecision {
    let byZone = this.votes.get(checkId);
    if (!byZone) this.votes.set(checkId, (byZone = new Map()));
    byZone.set(vote.zone, vote);
    const fresh: ZoneVote[] = [];
    for (const z of opts.zones) {
      const v = byZone.get(z);
      if (v && vote.at - v.at <= opts.staleMs && (opts.liveZones.has(z) || z === vote.zone)) fresh.push(v);
    }
    const failing = fresh.filter((v) => v.result.state !== NagiosState.OK);
    const alive = Math.max(1, fresh.length);
    const quorum = Math.min(opts.quorum ?? majority(alive), alive);
    const voting = fresh.map((v) => v.zone);
    if (failing.length >= quorum) {
      const worst = failing.reduce((a, b) => (rank(b.result.state) > rank(a.result.state) || (rank(b.result.state) === rank(a.result.state) && b.at > a.at) ? b : a));
      return { result: worst.result, failing: failing.map((v) => v.zone), voting, quorum, partial: false };
    }
    if (failing.length > 0) {
      const ok = fresh.filter((v) => v.result.state === NagiosState.OK).reduce((a, b) => (b.at > a.at ? b : a));
      return { result: ok.result, failing: failing.map((v) => v.zone), voting, quorum, partial: true };
    }
    return { result: vote.result, failing: [], voting, quorum, partial: false };
  }

  /** The latest vote of each zone for a check (the console's and the API's view). */
  of(checkId: string): ZoneVote[] {
    return [...(this.votes.get(checkId)?.values() ?? [])];
  }

  /** Forgets checks no longer configured. */
  keepOnly(ids: ReadonlySet<string>): void {
    for (const id of this.votes.keys()) if (!ids.has(id)) this.votes.delete(id);
  }
}
