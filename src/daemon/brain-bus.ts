/**
 * The brain's side of the bus (`mamoru start` with `bus: { type: nats }`): results of the zones'
 * checks come from the pollers through the bus's durable consumer, are decided by quorum
 * (zones.ts) and handed to the daemon as if its own scheduler had run them. A batch is
 * acknowledged only after the daemon's store has written it (`flush`), so a brain killed mid-batch
 * gets the batch again at its next start (at least once: what was written before the kill and
 * handed over again is written again). Within one run, a zone's result that is not newer than the
 * last one taken from that zone for the check (a redelivery, or one overtaken) is dropped.
 */
import type { Bus, ResultConsumer, ResultEnvelope } from '../bus/index.ts';
import type { Logger } from '../core/log.ts';
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';
import { ZoneVotes, type ZoneVote } from './zones.ts';

/** How the brain sees one zoned check. */
export interface ZonedCheck {
  zones: readonly string[];
  quorum?: number | undefined;
  /** The check's interval: a zone's result older than three of them no longer votes. */
  intervalMs: number;
}

export interface BrainBusDeps {
  /** The zoned check of this id, or undefined (not configured, or not run by zones). */
  check(checkId: string): ZonedCheck | undefined;
  onResult(checkId: string, result: CheckResult): void;
  /** Resolves when what onResult wrote is in the store. */
  flush(): Promise<void>;
  log: Logger;
  now(): number;
}

/** The checks of the targets that list zones, by id: the pollers run them, the brain decides. */
export function zonedChecks(cfg: { targets: ReadonlyArray<{ name: string; zones: string[]; quorum?: number | undefined }> }, planned: ReadonlyArray<{ id: string; target: { name: string }; intervalMs: number }>): Map<string, ZonedCheck> {
  const byTarget = new Map(cfg.targets.filter((t) => t.zones.length > 0).map((t) => [t.name, t]));
  const out = new Map<string, ZonedCheck>();
  if (byTarget.size === 0) return out;
  for (const c of planned) {
    const t = byTarget.get(c.target.name);
    if (t) out.set(c.id, { zones: t.zones, quorum: t.quorum, intervalMs: c.intervalMs });
  }
  return out;
}

/** How often the brain reads which zones have a live poller. */
const MEMBERS_EVERY_MS = 2_000;

export class BrainBus {
  readonly votes = new ZoneVotes();
  private consumer: ResultConsumer | undefined;
  private liveZones = new Set<string>();
  private membersAt = 0;
  /** Checks currently failing from a minority of zones, with those zones (logged once each time it starts or changes). */
  private readonly partial = new Map<string, string>();
  private counts = { received: 0, applied: 0, ignored: 0, repeated: 0, rechecks: 0 };
  /** The newest start time taken per check and zone (`checkId\0zone`). */
  private readonly newest = new Map<string, number>();

  constructor(
    readonly bus: Bus,
    private readonly deps: BrainBusDeps,
  ) {}

  async start(): Promise<void> {
    this.consumer = await this.bus.consumeResults('brain', (batch) => this.take(batch));
  }

  private async refreshZones(): Promise<void> {
    const now = this.deps.now();
    if (now - this.membersAt < MEMBERS_EVERY_MS) return;
    try {
      this.liveZones = new Set((await this.bus.members()).map((m) => m.zone));
      this.membersAt = now;
    } catch (err) {
      this.deps.log.warn({ err }, 'bus: could not read the live pollers; keeping the last known zones');
    }
  }

  /** Asks every zone of a zoned check to run it now (the engine's re-check of a zoned check). */
  recheckEverywhere(checkId: string): boolean {
    const check = this.deps.check(checkId);
    if (!check) return false;
    for (const zone of check.zones) void this.bus.requestRecheck(zone, [checkId]).catch((err) => this.deps.log.warn({ err, zone }, 'bus: could not ask for a re-check'));
    return true;
  }

  private async take(batch: ResultEnvelope[]): Promise<void> {
    await this.refreshZones();
    const now = this.deps.now();
    // A zone that starts seeing a check fail asks the others to look at once: the quorum is then
    // reached (or not) within a retry, not at the other zones' next interval.
    const asks = new Map<string, Set<string>>();
    for (const env of batch) {
      this.counts.received++;
      const check = this.deps.check(env.checkId);
      if (!check || !check.zones.includes(env.zone)) {
        // A poller on an older or newer config, or a result for a check removed since.
        this.counts.ignored++;
        continue;
      }
      const key = `${env.checkId}\0${env.zone}`;
      if ((this.newest.get(key) ?? -Infinity) >= env.result.startedAt) {
        this.counts.repeated++;
        continue;
      }
      this.newest.set(key, env.result.startedAt);
      const before = this.votes.of(env.checkId).find((v) => v.zone === env.zone);
      const vote: ZoneVote = { zone: env.zone, poller: env.poller, result: env.result, at: now };
      const d = this.votes.decide(env.checkId, vote, { zones: check.zones, quorum: check.quorum, liveZones: this.liveZones, staleMs: 3 * check.intervalMs });
      const was = this.partial.get(env.checkId);
      if (d.partial) {
        const zones = d.failing.join(', ');
        if (was !== zones)
          this.deps.log.warn({ check: env.checkId, failing: d.failing, voting: d.voting, quorum: d.quorum }, `${env.checkId}: seen failing from ${zones} only (${d.failing.length} of ${d.voting.length} zones, quorum ${d.quorum}): a network problem between those zones and the server, not the server`);
        this.partial.set(env.checkId, zones);
      } else if (was !== undefined) {
        this.partial.delete(env.checkId);
      }
      this.deps.onResult(env.checkId, d.result);
      this.counts.applied++;
      if (env.result.state !== NagiosState.OK && (!before || before.result.state === NagiosState.OK))
        for (const z of check.zones) if (z !== env.zone) (asks.get(z) ?? asks.set(z, new Set()).get(z)!).add(env.checkId);
    }
    for (const [zone, ids] of asks) {
      this.counts.rechecks += ids.size;
      void this.bus.requestRecheck(zone, [...ids]).catch((err) => this.deps.log.warn({ err, zone }, 'bus: could not ask for a re-check'));
    }
    // Acknowledged (by resolving) only once the store holds what these results wrote.
    await this.deps.flush();
  }

  /** Checks seen failing from a minority of zones now, with those zones. */
  partialChecks(): Map<string, string> {
    return new Map(this.partial);
  }

  figures(): { received: number; applied: number; ignored: number; repeated: number; rechecks: number; liveZones: string[] } {
    return { ...this.counts, liveZones: [...this.liveZones].sort() };
  }

  /** Stops taking results (the bus itself is the daemon's to close). */
  async stop(): Promise<void> {
    await this.consumer?.stop();
    this.consumer = undefined;
  }
}
