/**
 * `mamoru poller --zone tokyo`: the process that runs a zone's network checks and publishes their
 * results on the bus for the brain. It reads the same config file as the brain, runs the checks of
 * the targets that list its zone, shares them with the zone's other pollers (share.ts: each check
 * has one owner among the live members, recomputed at every heartbeat) and keeps nothing but a
 * bounded queue of results not yet on the bus: state, incidents, runbooks and messages are the
 * brain's. When the bus is away (NATS restarting) results wait in that queue and go out when it is
 * back, oldest first; past `MAX_QUEUED` the oldest are dropped and counted in the log.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { buses, type Bus, type ResultEnvelope } from '../bus/index.ts';
import { BUS_NAME } from '../bus/types.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger, type Logger } from '../core/log.ts';
import type { CheckResult } from '../core/result.ts';
import { secretsFrom, type SecretLookup } from '../core/secrets.ts';
import { AGENT_CHECK, planChecks, schedulerSettings, type PlannedCheck } from '../config/checks.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { Scheduler } from '../scheduler/scheduler.ts';
import { ownedBy } from './share.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Results kept while the bus does not take them (a few hundred bytes each). */
const MAX_QUEUED = 100_000;
const PUBLISH_EVERY_MS = 200;
const PUBLISH_BATCH = 256;

export interface PollerOptions {
  configFile: string;
  zone: string;
  /** This poller's name among the zone's members (default: the host name). */
  name?: string | undefined;
  log?: Logger;
  clock?: Clock;
}

/** The machine's host name as a member name: letters, digits, `_` and `-`. */
export function defaultPollerName(): string {
  return hostname().replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64) || 'poller';
}

function memberTtlOf(cfg: Config): number {
  const ttl = (cfg.bus as { member_ttl?: number }).member_ttl;
  return typeof ttl === 'number' ? ttl : 15_000;
}

export class Poller {
  private queue: ResultEnvelope[] = [];
  private dropped = 0;
  private publishing = false;
  private timers: NodeJS.Timeout[] = [];
  private members: string[] = [];
  private zoneChecks: PlannedCheck[] = [];
  private secretLookup: SecretLookup;
  private stopping: Promise<void> | undefined;
  private busAway = false;
  private recheck: { stop(): void } | undefined;

  private constructor(
    private readonly file: string,
    private cfg: Config,
    readonly zone: string,
    readonly name: string,
    private readonly bus: Bus,
    private readonly scheduler: Scheduler,
    readonly log: Logger,
  ) {
    this.secretLookup = secretsFrom(cfg.secrets);
  }

  /** Loads the config, joins the zone, takes its share of the checks and starts them. */
  static async start(opts: PollerOptions): Promise<Poller> {
    const name = opts.name ?? defaultPollerName();
    if (!BUS_NAME.test(opts.zone)) throw new UsageError(`zone "${opts.zone.slice(0, 80)}": expected letters, digits, "_" and "-" (at most 64)`);
    if (!BUS_NAME.test(name)) throw new UsageError(`poller name "${name.slice(0, 80)}": expected letters, digits, "_" and "-" (at most 64); set one with --name`);
    const loaded = loadConfigFile(opts.configFile);
    const cfg = loaded.config;
    if ((cfg.bus as { type: string }).type === 'local')
      throw new UsageError(`${opts.configFile}: a poller hands its results to the brain over the bus; set bus: { type: nats, url: nats://... } in the config (the brain reads the same file)`);
    const log = (opts.log ?? createLogger(cfg.log.level)).child({ room: 'poller', zone: opts.zone, poller: name });
    const clock = opts.clock ?? systemClock;
    let poller: Poller | undefined;
    const secret = (n: string) => poller!.secretLookup(n);
    const def = buses[(cfg.bus as { type: string }).type as keyof typeof buses];
    const bus = await def.create(cfg.bus as never, { log, clock, secret });
    const scheduler = new Scheduler({
      clock,
      ...schedulerSettings(cfg.scheduler),
      log: log.child({ room: 'scheduler' }),
      secret,
      onResult: (check, result) => poller?.enqueue(check.id, result),
    });
    poller = new Poller(opts.configFile, cfg, opts.zone, name, bus, scheduler, log);
    try {
      poller.plan(cfg);
      if (poller.zoneChecks.length === 0) log.warn(`no target lists zone "${opts.zone}" in zones: this poller has nothing to run`);
      await poller.beat();
      scheduler.start();
    } catch (e) {
      await poller.stop();
      throw e;
    }
    // The brain asks for a check at once when another zone saw it fail: only its owner here runs it.
    poller.recheck = await bus.onRecheck(opts.zone, (ids) => {
      for (const id of ids) poller!.scheduler.runNow(id);
    });
    const ttl = memberTtlOf(cfg);
    // A heartbeat three times a ttl: a missed one or two does not make the poller look dead.
    poller.timers.push(setInterval(() => void poller!.beat(), Math.max(250, Math.floor(ttl / 3))));
    poller.timers.push(setInterval(() => void poller!.publish(), PUBLISH_EVERY_MS));
    log.info({ checks: poller.zoneChecks.length, members: poller.members }, `mamoru ${pkg.version} poller ${name} in zone ${opts.zone}: ${poller.zoneChecks.length} checks in the zone, ${poller.scheduler.stats().configured} run here`);
    return poller;
  }

  /** The checks of the targets that list this zone. */
  private plan(cfg: Config): void {
    const inZone = new Set(cfg.targets.filter((t) => t.zones.includes(this.zone)).map((t) => t.name));
    // A target's `agent` check is decided by the brain from heartbeats: no poller runs it.
    this.zoneChecks = planChecks(cfg).filter((c) => inZone.has(c.target.name) && c.type !== AGENT_CHECK);
  }

  /** Says it is alive, reads who else is, and takes its share when that changed. */
  private async beat(): Promise<void> {
    try {
      await this.bus.heartbeat({ zone: this.zone, name: this.name, version: pkg.version });
      const members = (await this.bus.members(this.zone)).map((m) => m.name);
      if (this.busAway) this.log.info('bus reachable again');
      this.busAway = false;
      if (members.join('\0') !== this.members.join('\0')) {
        this.members = members;
        this.share();
      }
    } catch (err) {
      // Without the bus, keep running the share held so far: the results wait in the queue.
      if (!this.busAway) this.log.warn({ err }, 'bus: heartbeat failed; keeping this poller\'s checks and queueing results');
      this.busAway = true;
      if (this.scheduler.stats().configured === 0 && this.members.length === 0) this.share();
    }
  }

  private share(): void {
    const mine = ownedBy(this.name, this.zoneChecks, this.members);
    this.scheduler.setChecks(mine);
    this.log.info({ members: this.members, run: mine.length, zone_checks: this.zoneChecks.length }, `zone ${this.zone}: ${this.members.length || 1} poller(s), ${mine.length} of ${this.zoneChecks.length} checks run here`);
  }

  private enqueue(checkId: string, result: CheckResult): void {
    this.queue.push({ id: `${checkId}@${result.startedAt}@${this.name}`, checkId, zone: this.zone, poller: this.name, result });
    if (this.queue.length > MAX_QUEUED) {
      const over = this.queue.length - MAX_QUEUED;
      this.queue.splice(0, over);
      this.dropped += over;
    }
    if (this.queue.length >= PUBLISH_BATCH) void this.publish();
  }

  /** Hands queued results to the bus, oldest first; what it does not take stays queued. */
  private async publish(): Promise<void> {
    if (this.publishing || this.queue.length === 0) return;
    this.publishing = true;
    try {
      if (this.dropped > 0) {
        this.log.warn({ dropped: this.dropped }, `bus away too long: ${this.dropped} oldest results dropped (more than ${MAX_QUEUED} waiting)`);
        this.dropped = 0;
      }
      while (this.queue.length > 0) {
        const batch = this.queue.slice(0, PUBLISH_BATCH);
        await this.bus.publishResults(batch);
        this.queue.splice(0, batch.length);
      }
    } catch (err) {
      if (!this.busAway) this.log.warn({ err, queued: this.queue.length }, 'bus: could not publish results; they wait and go out when the bus is back');
      this.busAway = true;
    } finally {
      this.publishing = false;
    }
  }

  /** Re-reads the config (SIGHUP): the zone's checks follow it, schedules of unchanged checks kept. A bad file keeps the running config. */
  reload(): { ok: true; checks: number } | { ok: false; error: Error } {
    try {
      const loaded = loadConfigFile(this.file);
      this.cfg = loaded.config;
      this.secretLookup = secretsFrom(this.cfg.secrets);
      this.plan(this.cfg);
      this.share();
      return { ok: true, checks: this.zoneChecks.length };
    } catch (error) {
      this.log.error({ err: error }, `config reload rejected, keeping the running config: ${(error as Error).message}`);
      return { ok: false, error: error as Error };
    }
  }

  /** What it runs now and what waits for the bus. */
  figures(): { zone: string; name: string; members: string[]; zoneChecks: number; running: number; queued: number } {
    return { zone: this.zone, name: this.name, members: [...this.members], zoneChecks: this.zoneChecks.length, running: this.scheduler.stats().configured, queued: this.queue.length };
  }

  /** Stops the checks, hands over what is queued (for up to 5 s), leaves the bus. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      this.recheck?.stop();
      await this.scheduler.stop();
      const until = Date.now() + 5_000;
      while (this.queue.length > 0 && Date.now() < until) {
        await this.publish();
        if (this.queue.length > 0) await new Promise((r) => setTimeout(r, 200));
      }
      if (this.queue.length > 0) this.log.warn({ queued: this.queue.length }, 'stopping with results the bus did not take');
      await this.bus.close();
      this.log.info('poller stopped');
    })();
    return this.stopping;
  }
}
