/**
 * The guard at run time: each jail follows its logs, its filters turn lines into failures, the
 * jail decides, and a ban is stored, goes to the firewall (new connections dropped), the open
 * connections of the address are cut, and it is reported with who the address is. Bans end by
 * themselves (kernel timeouts, or the sweep), and the drift watch puts back within seconds what
 * someone changed by hand in mamoru's own table.
 *
 * Crash safety (issue 16): the order of writes is what makes a SIGKILL at any instant harmless.
 * 1. A batch of lines is counted in memory, then the failures that counted are stored (one
 *    transaction, keyed by the line they came from), and only then does the source save its log
 *    position (sources/types.ts). A kill before the store write re-reads those lines; a kill
 *    after it replays the stored failures at start and skips the re-read lines it already has,
 *    so a restart has exactly the counts it had. Failures that did not count (already banned,
 *    older than find_time) are not stored: a replay must not count what the live jail did not.
 * 2. A ban's intent (the ban row, the failures that earned it cleared, its incident note owed)
 *    is one transaction written before the kernel is asked; a kill between failures and intent
 *    is healed by the replay, which reaches the threshold again and bans.
 * 3. At start, before any log is read, the kernel is made equal to the store both ways within
 *    mamoru's own table (reconcile): a stored ban missing from the kernel is added, and a kernel
 *    element without a stored ban is removed, not adopted: the store is written first, so such an
 *    element is one an operator lifted (`bans remove` deletes the row) or one added by hand, and
 *    an adopted one would be a ban with no jail, reason or incident that nobody asked for.
 *    Incident notes still owed are written again (daemon-guard.ts marks them written).
 *
 * The firewall, the store, the enricher and the cutter are injected (style.md 6): this file knows
 * their shapes (guard-types.ts), not their implementations.
 */
import { createHash, randomUUID } from 'node:crypto';
import { banKey, type BanRecord } from '../core/ban.ts';
import type { GuardFailure } from '../store/types.ts';
import { ConnectionWatch } from './connection-watch.ts';
import { DriftWatch } from './drift-watch.ts';
import { filters as filterRegistry, LogScanner, type Failure } from './filters/index.ts';
import type { AllowCheck, BanDecision } from './jail.ts';
import { Jail } from './jail.ts';
import { RECIDIVE } from './recidive.ts';
import type { LineBatch } from './sources/types.ts';
import type { AppliedBan, GuardDeps, GuardJail } from './guard-types.ts';

export type { AppliedBan, BanStore, GuardDeps, GuardFirewall, GuardJail } from './guard-types.ts';

/** Longest time between two sweeps (ended bans removed from the store, old failures pruned). */
const SWEEP_MS = 60_000;
/** The end of a ban without one, for its note (a date a Date can still print). */
const FOREVER = Date.UTC(9999, 0, 1);
/** A warning about long lines at most this often per jail (each one is counted). */
const LONG_WARN_MS = 60_000;

interface Running {
  def: GuardJail;
  jail: Jail;
  scanner: LogScanner;
  long: { count: number; warnedAt: number; since: number };
}

const toRecord = (jail: string, b: BanDecision, at: number): BanRecord => ({ address: b.address, port: b.port, proto: b.port === undefined ? undefined : b.proto, jail, reason: b.reason, createdAt: at, until: b.until, banCount: b.banCount });

export class Guard {
  private jails: Running[] = [];
  private timer: ReturnType<GuardDeps['clock']['setTimeout']> | undefined;
  private conns: ConnectionWatch | undefined;
  private work = new Set<Promise<unknown>>();
  private stopped = false;
  /** Batches are taken one at a time, whatever source or jail they come from. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Ids of failures replayed from the store, with their time: a re-read line is not counted again. */
  private replayed = new Map<string, number>();
  /** Bans whose intent could not be stored: wanted anyway (the drift watch must not lift them). */
  private unsaved = new Map<string, BanRecord>();
  /** Bans between their intent and the kernel. */
  private inflight = 0;
  private reloading: Promise<unknown> = Promise.resolve();
  private drift: DriftWatch | undefined;
  private allowNow: AllowCheck;
  private readonly allow: AllowCheck = { refusal: (t) => this.allowNow.refusal(t) };
  /** Bans applied since start, for the status page and tests. */
  readonly applied: AppliedBan[] = [];
  /** Lines over max_line_length since start (kept as head and tail), for the metric. */
  longLines = 0;

  constructor(
    jails: readonly GuardJail[],
    private readonly deps: GuardDeps,
  ) {
    this.allowNow = deps.allow;
    for (const def of jails) this.jails.push(this.running(def));
  }

  private running(def: GuardJail): Running {
    const list = def.options.filters.map((f) => filterRegistry[f as keyof typeof filterRegistry]).filter((f) => f !== undefined);
    const scanner = new LogScanner(list, { timeZone: def.timeZone, mode: def.options.mode, now: () => this.deps.clock.now() });
    return { def, jail: new Jail(def.name, def.options, this.allow), scanner, long: { count: 0, warnedAt: 0, since: 0 } };
  }

  /** Drift repairs made since start. */
  get driftRepairs(): number {
    return this.drift?.repairs ?? 0;
  }

  /**
   * Restores the firewall from the store (both ways), the jails' counts from the stored failures
   * and the incident notes still owed; then starts following the logs and watching for drift.
   * Resolves once the logs are being read: the daemon starts its checks after that.
   */
  async start(): Promise<void> {
    if (this.jails.length === 0) return;
    const { store, log, clock } = this.deps;
    if (!this.deps.reconcile) await this.deps.firewall.setup(); // reconcile() sets up itself, once
    const now = clock.now();
    const all = await store.bans();
    await this.renote(all);
    await store.expireBans(now);
    const stored = all.filter((b) => b.until === undefined || b.until > now);
    if (this.deps.reconcile) {
      const changed = await this.deps.reconcile(stored, now);
      if (changed) log.info(`at start: ${changed}`);
    } else for (const b of stored) await this.deps.firewall.ban(b);
    if (stored.length) log.info({ bans: stored.length }, `re-applied ${stored.length} stored ban${stored.length === 1 ? '' : 's'}: the firewall holds every ban in force`);
    for (const j of this.jails) await this.restoreJail(j, stored, now);
    for (const j of this.jails) for (const s of j.def.sources) await s.start((batch) => this.lines(j, batch));
    this.schedule();
    if (this.deps.connections) {
      this.conns = new ConnectionWatch({
        read: this.deps.connections,
        jails: () => this.jails,
        ban: (def, ban, failure, now, key) => this.track(this.apply(def, ban, failure, now, key)),
        clock: this.deps.clock,
        log: this.deps.log,
        intervalMs: this.deps.connectionIntervalMs,
      });
      this.conns.start();
    }
    this.startDrift();
  }

  /** Bans made before a restart whose incident note was still owed: told again (once). */
  private async renote(all: BanRecord[]): Promise<void> {
    const keys = new Set(await this.deps.store.pendingBanNotes?.() ?? []);
    if (keys.size === 0) return;
    let n = 0;
    for (const b of all) {
      if (!keys.delete(banKey(b))) continue;
      const def = this.jails.find((j) => j.def.name === b.jail)?.def ?? this.jails[0]!.def;
      const ban: BanDecision = { address: b.address, until: b.until ?? FOREVER, banCount: b.banCount, reason: b.reason, severity: 'normal', port: b.port, proto: b.proto };
      const failure: Failure = { address: b.address, time: b.createdAt, filter: def.options.filters[0] ?? b.jail, raw: b.reason };
      this.deps.onBan?.({ jail: b.jail, target: def.target, ban, failure, readAt: b.createdAt, appliedAt: b.createdAt, restored: true });
      n++;
    }
    // Owed for bans no longer stored (lifted meanwhile): nothing left to note.
    for (const k of keys) await this.deps.store.banNoted?.(k);
    if (n) this.deps.log.info({ bans: n }, `noted ${n} ban${n === 1 ? '' : 's'} in their attack incidents (the notes were owed when mamoru stopped)`);
  }

  /** A jail's bans in force and its stored failures, counted again as they were. */
  private async restoreJail(j: Running, stored: BanRecord[], now: number): Promise<void> {
    for (const b of stored) if (b.jail === j.def.name) j.jail.remember(b.address, b.banCount, b.until, now);
    const rows = (await this.deps.store.guardFailures?.(now - j.def.options.find_time)) ?? [];
    let counted = 0;
    for (const f of rows) {
      if (f.jail !== j.def.name) continue;
      this.replayed.set(f.id, f.at);
      const d = j.jail.record({ address: f.address, time: f.at, filter: f.filter }, now);
      if (!d.ignored) counted++;
      if (d.refused) await this.deps.store.clearGuardFailures?.(j.def.name, f.key);
      // The threshold was reached before a kill, its ban not yet stored: ban now.
      if (d.ban) await this.apply(j.def, d.ban, { address: f.address, time: f.at, filter: f.filter, raw: `${f.filter}: failure from ${f.address} (counted before a restart)` }, now, f.key);
    }
    if (counted) this.deps.log.info({ jail: j.def.name, failures: counted }, `jail ${j.def.name}: ${counted} stored failure${counted === 1 ? '' : 's'} counted again`);
  }

  private startDrift(): void {
    const fw = this.deps.firewall;
    const reconcile = this.deps.reconcile;
    if (!reconcile || (!fw.state && !fw.list)) return;
    this.drift = new DriftWatch({
      read: async () => (fw.state ? fw.state() : { rules: await fw.list!(), problems: [] }),
      wanted: (now) => this.wanted(now),
      repair: reconcile,
      busy: () => this.inflight > 0,
      log: this.deps.log,
      clock: this.deps.clock,
      intervalMs: this.deps.driftIntervalMs,
    });
    this.drift.start();
  }

  /** The bans the firewall should hold: the stored ones in force, and any the store refused. */
  private async wanted(now: number): Promise<BanRecord[]> {
    const stored = await this.deps.store.bans({ activeAt: now });
    for (const [k, b] of this.unsaved) if (b.until !== undefined && b.until <= now) this.unsaved.delete(k);
    return [...stored, ...this.unsaved.values()];
  }

  /** The next sweep: when the next ban ends (a little after), and at least every SWEEP_MS. */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    const ends = this.applied.map((a) => a.ban.until).filter((u) => u > now);
    const next = Math.min(now + SWEEP_MS, ...ends.map((u) => u + 100));
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.timer = this.deps.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.stopped) return;
      const p = this.sweep().catch((err) => this.deps.log.error({ err }, 'could not sweep the bans'));
      this.track(p);
      void p.finally(() => this.schedule());
    }, Math.max(50, next - now));
  }

  /** Removes ended bans and old failures from the store and brings the firewall to the bans in force. */
  private async sweep(): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.expireBans(now);
    for (let i = this.applied.length - 1; i >= 0; i--) if (this.applied[i]!.ban.until <= now) this.applied.splice(i, 1);
    const window = Math.max(0, ...this.jails.map((j) => j.def.options.find_time));
    await this.deps.store.pruneGuardFailures?.(now - window);
    for (const [id, at] of this.replayed) if (at < now - window) this.replayed.delete(id);
    if (!this.deps.reconcile || this.inflight > 0) return;
    const changed = await this.deps.reconcile(await this.wanted(now), now);
    if (changed) this.deps.log.info(changed);
  }

  private track<T>(p: Promise<T>): void {
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  /** Takes a batch after the ones before it; the source saves its position once this resolves. */
  private lines(j: Running, batch: LineBatch): Promise<void> {
    const p = this.queue.then(() => this.take(j, batch));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async take(j: Running, batch: LineBatch): Promise<void> {
    if (batch.long) this.noteLong(j, batch.long);
    const readAt = this.deps.clock.now();
    const counted: GuardFailure[] = [];
    const refused = new Set<string>();
    const bans: { ban: BanDecision; failure: Failure; key: string }[] = [];
    for (let i = 0; i < batch.lines.length; i++) {
      const line = batch.lines[i]!;
      const failure = j.scanner.scan(line);
      if (!failure) continue;
      const key = j.jail.keyOf(failure.address);
      if (!key) continue;
      const where = batch.ids?.[i] || randomUUID();
      const id = `${j.def.name}|${batch.source}|${where}|${createHash('sha1').update(line).digest('base64url').slice(0, 16)}`;
      if (this.replayed.has(id)) continue; // stored before a restart and replayed at start
      const time = batch.meta?.[i]?.time ?? failure.time;
      const d = j.jail.record({ address: failure.address, time, filter: failure.filter, raw: failure.raw }, readAt);
      if (d.ignored) continue;
      counted.push({ id, jail: j.def.name, key, address: failure.address, filter: failure.filter, at: Math.min(time, readAt) });
      if (d.refused) {
        refused.add(key);
        this.deps.log.warn({ jail: j.def.name, address: failure.address }, `not banning ${failure.address}: ${d.refused}`);
      }
      if (d.ban) bans.push({ ban: d.ban, failure, key });
    }
    if (counted.length === 0) return;
    const store = this.deps.store;
    try {
      await store.recordGuardFailures?.(counted);
      for (const key of refused) await store.clearGuardFailures?.(j.def.name, key);
    } catch (err) {
      // Counted in memory already: a restart would lose these counts, the guard goes on.
      this.deps.log.error({ err, jail: j.def.name }, `could not store ${counted.length} failure(s); they count until a restart`);
    }
    for (const b of bans) await this.apply(j.def, b.ban, b.failure, readAt, b.key);
  }

  /** Counts lines over max_line_length; warns at most once a minute per jail with the count. */
  private noteLong(j: Running, n: number): void {
    this.longLines += n;
    j.long.count += n;
    const now = this.deps.clock.now();
    if (now - j.long.warnedAt < LONG_WARN_MS) return;
    this.deps.log.warn(
      { jail: j.def.name, long_lines: j.long.count, max_line_length: 'see the source option' },
      `jail ${j.def.name}: ${j.long.count} log line${j.long.count === 1 ? '' : 's'} over max_line_length; searched in their head and tail (the middle was dropped)`,
    );
    j.long.warnedAt = now;
    j.long.count = 0;
  }

  /**
   * One ban: its intent stored (with the failures that earned it cleared), then the kernel rule,
   * then (not awaited by the log reading) cutting, the incident note and enrichment.
   */
  private async apply(def: GuardJail, ban: BanDecision, failure: Failure, readAt: number, key?: string): Promise<void> {
    const store = this.deps.store;
    const record = toRecord(def.name, ban, this.deps.clock.now());
    this.inflight++;
    try {
      try {
        if (store.saveBanIntent) await store.saveBanIntent(record, key === undefined ? undefined : { jail: def.name, key });
        else await store.saveBan(record);
      } catch (err) {
        this.unsaved.set(banKey(record), record);
        this.deps.log.error({ err, jail: def.name, address: ban.address }, `could not store the ban of ${ban.address}; banning anyway (a restart forgets it)`);
      }
      try {
        await this.deps.firewall.ban({ address: ban.address, until: ban.until, port: ban.port, proto: ban.proto });
      } catch (err) {
        // Stored: the drift watch and the next start put it in the kernel.
        this.deps.log.error({ err, jail: def.name, address: ban.address }, `could not ban ${ban.address}: ${(err as Error).message}`);
        return;
      }
    } finally {
      this.inflight--;
    }
    const applied: AppliedBan = { jail: def.name, target: def.target, ban, failure, readAt, appliedAt: this.deps.clock.now() };
    this.applied.push(applied);
    this.schedule();
    this.deps.log.warn({ jail: def.name, address: ban.address, until: new Date(ban.until).toISOString(), port: ban.port }, `banned ${ban.address}${ban.port ? ` on port ${ban.port}` : ''}: ${ban.reason}`);
    this.track(this.after(def, applied, record, failure, readAt));
  }

  private async after(def: GuardJail, applied: AppliedBan, record: BanRecord, failure: Failure, readAt: number): Promise<void> {
    const ban = applied.ban;
    if (this.deps.cut) applied.cut = await this.deps.cut(ban.address).catch((e) => `could not cut connections: ${(e as Error).message}`);
    if (this.deps.onBan) this.deps.onBan(applied);
    else await this.deps.store.banNoted?.(banKey(record)).catch(() => undefined);
    // Banned again and again by the jails: one long ban on every port, reported like any other.
    const long = this.deps.recidive?.note(ban.address, def.name, applied.appliedAt);
    if (long) await this.apply({ ...def, name: RECIDIVE }, long, failure, readAt);
    if (this.deps.enrich) {
      const e = await this.deps.enrich(ban.address).catch(() => undefined);
      if (e) {
        await this.deps.store.saveBan({ ...record, enrichment: { ...e } }).catch(() => {});
        this.deps.onEnriched?.(applied, e);
      }
    }
  }

  /**
   * A new config's jails (SIGHUP): a jail whose config did not change keeps running with its
   * counts; a changed or new one starts, counting again the failures the store holds for it; a
   * removed one stops reading (its bans stay until they end). `allow` replaces the allow list.
   */
  reload(jails: readonly GuardJail[], opts: { allow?: AllowCheck | undefined } = {}): Promise<string> {
    // Two SIGHUPs in a row: the second waits for the first.
    const p = this.reloading.then(() => this.reloadNow(jails, opts));
    this.reloading = p.catch(() => undefined);
    return p;
  }

  private async reloadNow(jails: readonly GuardJail[], opts: { allow?: AllowCheck | undefined }): Promise<string> {
    if (opts.allow) this.allowNow = opts.allow;
    const before = new Map(this.jails.map((j) => [j.def.name, j]));
    const next: Running[] = [];
    const started: Running[] = [];
    const words: string[] = [];
    for (const def of jails) {
      const old = before.get(def.name);
      if (old && old.def.signature !== undefined && old.def.signature === def.signature) {
        next.push(old);
        before.delete(def.name);
        continue;
      }
      if (old) {
        await this.stopSources(old);
        before.delete(def.name);
      }
      const j = this.running(def);
      next.push(j);
      started.push(j);
      words.push(`${old ? 'changed' : 'new'} jail ${def.name}`);
    }
    for (const gone of before.values()) {
      await this.stopSources(gone);
      words.push(`removed jail ${gone.def.name} (its bans stay until they end)`);
    }
    this.jails = next;
    const now = this.deps.clock.now();
    const stored = await this.deps.store.bans({ activeAt: now });
    for (const j of started) {
      await this.restoreJail(j, stored, now);
      for (const s of j.def.sources) await s.start((batch) => this.lines(j, batch));
    }
    if (!this.drift && this.jails.length) this.startDrift();
    return words.length ? words.join('; ') : 'jails unchanged';
  }

  private async stopSources(j: Running): Promise<void> {
    for (const s of j.def.sources) await s.stop().catch((err) => this.deps.log.error({ err }, 'could not stop a log source'));
  }

  /** Stops following (positions saved), lets bans in progress finish. Bans stay in the kernel. */
  async stop(): Promise<void> {
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    this.conns?.stop();
    await this.drift?.stop();
    // Sources first: what they read while stopping is still taken (and stored) before they save.
    for (const j of this.jails) await this.stopSources(j);
    this.stopped = true;
    if (this.timer) this.deps.clock.clearTimeout(this.timer);
    while (this.work.size) await Promise.allSettled([...this.work]);
  }
}
