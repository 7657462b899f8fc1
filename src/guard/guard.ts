/**
 * The guard at run time: each jail follows its logs, its filters turn lines into failures, the
 * jail decides, and a ban goes to the firewall (new connections dropped), the open connections of
 * the address are cut, the ban is stored (so a restart re-applies it at once) and reported with
 * who the address is. Bans end by themselves (kernel timeouts, or the periodic reconcile), and a
 * rule someone removed by hand while the ban should hold is put back.
 *
 * The firewall, the store, the enricher and the cutter are injected (style.md 6): this file knows
 * their shapes, not their implementations.
 */
import type { Logger } from 'pino';
import type { BanRecord } from '../core/ban.ts';
import { RECIDIVE, type Recidive } from './recidive.ts';
import type { Clock } from '../core/clock.ts';
import type { Enrichment } from './enrich/enrich.ts';
import { filters as filterRegistry, LogScanner, type Failure } from './filters/index.ts';
import { Jail, type BanDecision, type JailOptions, type AllowCheck } from './jail.ts';
import type { LineBatch, Source } from './sources/types.ts';

/** The firewall as the guard uses it (src/firewall's Firewall fits). */
export interface GuardFirewall {
  setup(): Promise<void>;
  ban(b: { address: string; until?: number | undefined; port?: number | undefined; proto?: 'tcp' | 'udp' | undefined }): Promise<void>;
  unban(address: string): Promise<void>;
}

/** The store as the guard uses it. */
export interface BanStore {
  saveBan(b: BanRecord): Promise<void>;
  bans(opts?: { activeAt?: number }): Promise<BanRecord[]>;
  expireBans(now: number): Promise<number>;
}

export interface GuardJail {
  name: string;
  options: JailOptions;
  /** The sources of this jail, already created. */
  sources: Source[];
  timeZone?: string | undefined;
  /** The target whose incidents the jail's bans go to. */
  target: string;
}

/** A ban that was applied, as reported to incidents and logs. */
export interface AppliedBan {
  jail: string;
  target: string;
  ban: BanDecision;
  failure: Failure;
  /** When the threshold line was read and when the rule was in the kernel (ms), for the latency figure. */
  readAt: number;
  appliedAt: number;
  cut?: string | undefined;
}

export interface GuardDeps {
  firewall: GuardFirewall;
  store: BanStore;
  allow: AllowCheck;
  log: Logger;
  clock: Clock;
  /** Closes the open connections of a banned address; resolves with a line for the record. */
  cut?: ((address: string) => Promise<string>) | undefined;
  enrich?: ((address: string) => Promise<Enrichment>) | undefined;
  /**
   * Brings the firewall to these bans: ended ones removed (backends without kernel timeouts
   * rely on this), ones removed by hand put back. Returns a line when it changed something.
   */
  reconcile?: ((wanted: BanRecord[], now: number) => Promise<string | undefined>) | undefined;
  /**
   * The connection table: per local port asked (undefined: every port), the sources with their
   * SYN_RECV and ESTABLISHED counts. Read every `connectionIntervalMs`; evidence for the jails.
   */
  connections?: ((ports: readonly (number | undefined)[]) => Promise<Map<number | undefined, { address: string; synRecv: number; established: number }[]>>) | undefined;
  /** @defaultValue 5000 */
  connectionIntervalMs?: number | undefined;
  /** Told of each ban once it is in the kernel (incidents); enrichment follows in `onEnriched`. */
  onBan?: ((b: AppliedBan) => void) | undefined;
  /** The recidive jail (guard.recidive): repeat offenders of any jail banned long on every port. */
  recidive?: Recidive | undefined;
  onEnriched?: ((b: AppliedBan, e: Enrichment) => void) | undefined;
}

/** Longest time between two reconciles (rules changed by hand are repaired within it). */
const RECONCILE_MS = 60_000;

export class Guard {
  private jails: { def: GuardJail; jail: Jail; scanner: LogScanner }[] = [];
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private connTimer: ReturnType<Clock['setTimeout']> | undefined;
  private work = new Set<Promise<unknown>>();
  private stopped = false;
  /** Bans applied since start, for the status page and tests. */
  readonly applied: AppliedBan[] = [];

  constructor(
    jails: readonly GuardJail[],
    private readonly deps: GuardDeps,
  ) {
    for (const def of jails) {
      const list = def.options.filters.map((f) => filterRegistry[f as keyof typeof filterRegistry]).filter((f) => f !== undefined);
      this.jails.push({ def, jail: new Jail(def.name, def.options, deps.allow), scanner: new LogScanner(list, { timeZone: def.timeZone, mode: def.options.mode, now: () => deps.clock.now() }) });
    }
  }

  /** Sets up the firewall, re-applies stored bans at once, then starts following the logs. */
  async start(): Promise<void> {
    if (this.jails.length === 0) return;
    await this.deps.firewall.setup();
    const now = this.deps.clock.now();
    await this.deps.store.expireBans(now);
    const stored = await this.deps.store.bans({ activeAt: now });
    for (const b of stored) {
      await this.deps.firewall.ban(b);
      for (const j of this.jails) if (j.def.name === b.jail) j.jail.remember(b.address, b.banCount, b.until, now);
    }
    if (stored.length) this.deps.log.info({ bans: stored.length }, `re-applied ${stored.length} stored ban${stored.length === 1 ? '' : 's'}`);
    for (const j of this.jails) for (const s of j.def.sources) await s.start((batch) => this.lines(j, batch));
    this.schedule();
    if (this.deps.connections) this.watchConnections();
  }

  /**
   * Feeds the connection table to the jails: SYN_RECV (spoofable) only raises a ban's severity
   * and explains an outage; ESTABLISHED counts as failures only where a jail sets max_connections.
   */
  private watchConnections(): void {
    const every = this.deps.connectionIntervalMs ?? 5000;
    this.connTimer = this.deps.clock.setTimeout(() => {
      if (this.stopped) return;
      const p = this.readConnections().catch((err) => this.deps.log.warn({ err }, 'could not read the connection table'));
      this.track(p);
      void p.finally(() => {
        if (!this.stopped) this.watchConnections();
      });
    }, every);
  }

  private async readConnections(): Promise<void> {
    const ports = [...new Set(this.jails.map((j) => j.def.options.port))];
    const table = await this.deps.connections!(ports);
    const now = this.deps.clock.now();
    for (const j of this.jails) {
      const port = j.def.options.port;
      for (const src of table.get(port) ?? []) {
        for (const [state, count] of [['SYN_RECV', src.synRecv], ['ESTABLISHED', src.established]] as const) {
          if (count === 0) continue;
          const d = j.jail.evidence({ address: src.address, state, count, port }, now);
          if (d.ban) {
            const failure: Failure = { address: src.address, time: now, filter: 'connections', raw: `${count} ${state} connections from ${src.address}${port ? ` on :${port}` : ''}` };
            this.track(this.apply(j.def, d.ban, failure, now));
          }
        }
      }
    }
  }

  /** The next sweep: when the next ban ends (a little after), and at least every RECONCILE_MS. */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const ends = this.applied.map((a) => a.ban.until).filter((u) => u > now);
    const next = Math.min(now + RECONCILE_MS, ...ends.map((u) => u + 100));
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      const p = this.sweep().catch((err) => this.deps.log.error({ err }, 'could not sweep the bans'));
      this.track(p);
      void p.finally(() => this.schedule());
    }, Math.max(50, next - now));
  }

  /** Removes ended bans from the store and brings the firewall to the bans in force. */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.expireBans(now);
    for (let i = this.applied.length - 1; i >= 0; i--) if (this.applied[i]!.ban.until <= now) this.applied.splice(i, 1);
    if (!this.deps.reconcile) return;
    // Bans applied this moment may not be stored yet: they are wanted too.
    const stored = await this.deps.store.bans({ activeAt: now });
    const fresh = this.applied.map((a): BanRecord => ({ address: a.ban.address, port: a.ban.port, proto: a.ban.port === undefined ? undefined : a.ban.proto, jail: a.jail, reason: a.ban.reason, createdAt: a.appliedAt, until: a.ban.until, banCount: a.ban.banCount }));
    const changed = await this.deps.reconcile([...stored, ...fresh], now);
    if (changed) this.deps.log.info(changed);
  }

  private track<T>(p: Promise<T>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  private lines(j: (typeof this.jails)[number], batch: LineBatch): void {
    if (this.stopped) return;
    for (let i = 0; i < batch.lines.length; i++) {
      const failure = j.scanner.scan(batch.lines[i]!);
      if (!failure) continue;
      const readAt = this.deps.clock.now();
      const d = j.jail.record({ address: failure.address, time: batch.meta?.[i]?.time ?? failure.time, filter: failure.filter }, readAt);
      if (d.refused) this.deps.log.warn({ jail: j.def.name, address: failure.address }, `not banning ${failure.address}: ${d.refused}`);
      if (d.ban) this.track(this.apply(j.def, d.ban, failure, readAt));
    }
  }

  private async apply(def: GuardJail, ban: BanDecision, failure: Failure, readAt: number): Promise<void> {
    try {
      await this.deps.firewall.ban({ address: ban.address, until: ban.until, port: ban.port, proto: ban.proto });
    } catch (err) {
      this.deps.log.error({ err, jail: def.name, address: ban.address }, `could not ban ${ban.address}: ${(err as Error).message}`);
      return;
    }
    const applied: AppliedBan = { jail: def.name, target: def.target, ban, failure, readAt, appliedAt: this.deps.clock.now() };
    this.applied.push(applied);
    this.schedule();
    this.deps.log.warn({ jail: def.name, address: ban.address, until: new Date(ban.until).toISOString(), port: ban.port }, `banned ${ban.address}${ban.port ? ` on port ${ban.port}` : ''}: ${ban.reason}`);
    const record: BanRecord = { address: ban.address, port: ban.port, proto: ban.port === undefined ? undefined : ban.proto, jail: def.name, reason: ban.reason, createdAt: applied.appliedAt, until: ban.until, banCount: ban.banCount };
    await this.deps.store.saveBan(record).catch((err) => this.deps.log.error({ err }, 'could not store a ban'));
    if (this.deps.cut) applied.cut = await this.deps.cut(ban.address).catch((e) => `could not cut connections: ${(e as Error).message}`);
    this.deps.onBan?.(applied);
    // Banned again and again by the jails: one long ban on every port, reported like any other.
    const long = this.deps.recidive?.note(ban.address, def.name, applied.appliedAt);
    if (long) this.track(this.apply({ ...def, name: RECIDIVE }, long, failure, readAt));
    if (this.deps.enrich) {
      const e = await this.deps.enrich(ban.address).catch(() => undefined);
      if (e) {
        await this.deps.store.saveBan({ ...record, enrichment: { ...e } }).catch(() => {});
        this.deps.onEnriched?.(applied, e);
      }
    }
  }

  /** Stops following (positions saved), lets bans in progress finish. Bans stay in the kernel. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    if (this.connTimer) this.deps.clock.clearTimeout(this.connTimer);
    for (const j of this.jails) for (const s of j.def.sources) await s.stop().catch((err) => this.deps.log.error({ err }, 'could not stop a log source'));
    while (this.work.size) await Promise.allSettled([...this.work]);
  }
}
