/**
 * The daemon: the only file that knows all the parts. It loads the config, opens the store,
 * restores check states, runs the scheduler, turns results into states and logged transitions,
 * serves the web room, reloads on request without losing state, and stops cleanly.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createAuthService, type AuthServiceHandle } from './auth/service.ts';
import { authPaths } from './config/web.ts';
import { systemClock, type Clock } from './core/clock.ts';
import { stateName } from './core/nagios.ts';
import { secretsFrom, type SecretLookup } from './core/secrets.ts';
import type { CheckResult } from './core/result.ts';
import { createLogger, type Logger } from './core/log.ts';
import { Alerting } from './daemon-alerts.ts';
import { createGuard, guardFigures, reloadGuard, type GuardWiring } from './daemon-guard.ts';
import type { Guard } from './guard/guard.ts';
import { configCache } from './config/cache.ts';
import { loadConfigFile, type LoadedConfig } from './config/load.ts';
import { planChecks, schedulerSettings, type PlannedCheck } from './config/checks.ts';
import type { Config } from './config/schema.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { initialState, nextState, type CheckState } from './state/check-state.ts';
import { stores } from './store/index.ts';
import type { CheckStateRecord, Store } from './store/types.ts';
import { Metrics } from './web/metrics.ts';
import type { WebServer } from './web/server.tsx';
import type { EarlyRestore } from './firewall/restore-early.ts';
import { checkView, incidentView, webDeps } from './daemon-web.ts';
import { BrainBus, zonedChecks, type ZonedCheck } from './daemon/brain-bus.ts';
import { BrainAgents, scheduledHere, withoutAgentChecks } from './daemon/agents.ts';
import { fenceInStore, joinCluster, type Cluster } from './daemon/leader.ts';
import { clusterView } from './daemon/cluster-view.ts';
import { LiveHub, tapStore } from './web/live.ts';
import { OverviewIndex } from './web/overview-index.ts';
import type { CheckView, StatusView } from './web/types.ts';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

// How often changed check states are written, and how often results are rolled up and pruned.
const STATE_FLUSH_MS = 5_000;
const MAINTAIN_MS = 60_000;

export interface DaemonOptions {
  configFile: string;
  log?: Logger;
  clock?: Clock;
  /** Overrides web.port (tests use 0 for a free port). */
  webPort?: number;
  /**
   * Where the first admin's one-time password is shown (`mamoru start` on a terminal: the
   * terminal, never the log). Without it, a generated password is written to a 0600 file in the
   * data directory and the log names the file.
   */
  announce?: (text: string) => void;
  /** The stored bans put back before the daemon was loaded (`mamoru start`): the guard checks, not redoes. */
  early?: Promise<EarlyRestore>;
  /** Where the parsed config is cached between starts (the store's directory; config/cache.ts). */
  configCacheDir?: string | undefined;
  /** Aborting stops a brain that stands by for the lead (bus: nats) before it has started. */
  signal?: AbortSignal;
  /** Called when this brain loses the lead (its checks and results already stopped); default: stop(). */
  onLeadLost?: (why: string) => void;
}

interface Entry {
  check: PlannedCheck;
  state: CheckState;
  lastDurationMs: number | null;
}

export class Daemon {
  private entries = new Map<string, Entry>();
  private dirty = new Set<string>();
  private timers: NodeJS.Timeout[] = [];
  private web: WebServer | undefined;
  /** Checks run by pollers in zones (targets with `zones:`), by id; the scheduler here runs the others. */
  private zoned = new Map<string, ZonedCheck>();
  /** The results of the zones' pollers, with `bus: { type: nats }`. */
  brainBus: BrainBus | undefined;
  /** The agents' heartbeats and the targets' `agent` checks, with `bus: { type: nats }` (daemon/agents.ts). */
  agents: BrainAgents | undefined;
  /** The bus and this brain's lead, with `bus: { type: nats }`. */
  private cluster: Cluster | undefined;
  /** Throws once another brain leads (its epoch in the store is higher): before every message and action. */
  private fence: (() => Promise<void>) | undefined;
  private leadGone = false;
  /** The console's live news (every store write of incidents, bans, deliveries) and its overview's index of check states. */
  readonly live = new LiveHub();
  readonly overview = new OverviewIndex();
  /** The guard, when jails are configured (a reload gives it the new jails). */
  guard: Guard | undefined;
  private readonly startedAt: number;
  private stopping: Promise<void> | undefined;

  /** Secrets of the running config; replaced on reload. */
  private secretLookup: SecretLookup;
  /** State engine, incidents and notifications. */
  readonly alerting: Alerting;

  private constructor(
    private loaded: LoadedConfig,
    readonly log: Logger,
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
    /** Users, sessions, tokens and the audit trail: the one door of the web room and the CLI. */
    readonly auth: AuthServiceHandle,
  ) {
    this.startedAt = clock.now();
    this.secretLookup = secretsFrom(loaded.config.secrets);
    this.alerting = new Alerting(loaded.config, { store, log, clock, secret: (name) => this.secret(name), runNow: (id) => void (scheduler.runNow(id) || this.brainBus?.recheckEverywhere(id)), fence: () => this.fence?.() ?? Promise.resolve() });
  }

  secret(name: string): string {
    return this.secretLookup(name);
  }

  /** Loads and validates the config first: a bad config throws ConfigError before anything starts. */
  static async start(opts: DaemonOptions): Promise<Daemon> {
    const cache = opts.configCacheDir === undefined ? undefined : configCache(opts.configCacheDir);
    const loaded = loadConfigFile(opts.configFile, { cache });
    const cfg = loaded.config;
    const log = opts.log ?? createLogger(cfg.log.level);
    const clock = opts.clock ?? systemClock;
    // In a cluster, a brain that does not lead stands by here, before it opens anything else.
    const cluster = await joinCluster(cfg, { log, clock, secret: secretsFrom(cfg.secrets), signal: opts.signal });
    const storeDef = stores[cfg.store.type as keyof typeof stores];
    const store = tapStore(await storeDef.create(cfg.store as never, { log: log.child({ room: 'store' }), secret: secretsFrom(cfg.secrets) }), (e) => daemon?.live.publish(e));
    const metrics = new Metrics();
    const paths = authPaths(cfg);
    const auth = createAuthService({ store, clock, log: log.child({ room: 'auth' }), config: { ...cfg.auth, log_file: paths.logFile ?? '' } });
    let daemon: Daemon | undefined;
    const scheduler = new Scheduler({
      clock,
      ...schedulerSettings(cfg.scheduler),
      log: log.child({ room: 'scheduler' }),
      secret: (name) => daemon!.secret(name),
      onResult: (check, result) => daemon?.onResult(check.id, result),
    });
    daemon = new Daemon(loaded, log, store, scheduler, metrics, clock, auth);
    daemon.cluster = cluster;
    metrics.sampleRunningFrom(() => scheduler.stats().running);
    metrics.sampleGuardFrom(() => guardFigures(daemon?.guard));
    const d = daemon;
    try {
      if (cluster) d.fence = await fenceInStore(store, cluster.lead.epoch, (why) => d.leadLost(why, opts.onLeadLost));
      await store.saveConfigRevision(loaded.text, clock.now());
      const saved = new Map((await store.checkStates()).map((s) => [s.checkId, s]));
      daemon.apply(cfg, saved);
      await daemon.alerting.restore(new Map([...daemon.entries].map(([id, e]) => [id, e.state])));
      // The firewall is restored from the store first, then the guard reads its logs, then checks
      // start (issue 16): no gap in which a stored ban is missing from the kernel.
      const early = await opts.early;
      daemon.guard = createGuard(cfg.guard, { ...daemon.guardWiring(), early, storeLocation: store.location });
      await daemon.guard?.start();
      scheduler.start();
      if (cluster) await d.startCluster(cluster, opts.onLeadLost);
      if (cfg.web.enabled) {
        // The web room (hono, the API's schemas, the pages) is loaded once the checks run.
        const { startWeb } = await import('./web/server.tsx');
        daemon.web = await startWeb(
          Object.assign(webDeps({ status: () => d.status(), config: () => d.loaded.config, secret: (name) => d.secret(name), alerting: d.alerting, store, metrics, auth, runNow: (id) => scheduler.runNow(id), log, live: d.live, overview: d.overview }), { agents: () => d.agents?.list(), cluster: () => clusterView(d.cluster, d.brainBus, d.loaded.config.targets) }),
          cfg.web,
          opts.webPort ?? cfg.web.port,
          log,
        );
        // The command line's token is in place before the address is announced: whoever waits
        // for that line (a script, a test, a person) can talk to the daemon at once.
        if (paths.cliTokenFile) await auth.writeCliToken(paths.cliTokenFile);
        await daemon.firstAdmin(opts, paths.cliTokenFile);
        log.info({ url: daemon.web.url }, `web UI and API on ${daemon.web.url}`);
      }
    } catch (e) {
      await daemon.stop();
      throw e;
    }
    // This timer is left referenced: it is what keeps the process alive when nothing else does
    // (no web room; the scheduler's timer is unreferenced so tests and stop() never hang on it).
    daemon.timers.push(setInterval(() => void daemon!.flushStates(), STATE_FLUSH_MS));
    daemon.timers.push(setInterval(() => void daemon!.maintain(), MAINTAIN_MS).unref());
    // Read from the YAML this time: kept for the next start (the store's directory exists now).
    if (cache && !loaded.cached) cache.put(loaded.text, loaded.data);
    log.info({ config: opts.configFile, checks: daemon.entries.size, store: store.location }, `mamoru ${pkg.version} watching ${plural(cfg.targets.length, 'target')} with ${plural(daemon.entries.size, 'check')}`);
    return daemon;
  }

  /**
   * The first start with no user: `admin` is created with MAMORU_ADMIN_PASSWORD, or a generated
   * one-time password shown once where `announce` says (the terminal), else put in a 0600 file.
   */
  private async firstAdmin(opts: DaemonOptions, cliTokenFile: string | undefined): Promise<void> {
    const admin = await this.auth.ensureAdmin(process.env.MAMORU_ADMIN_PASSWORD || undefined);
    if (!admin.created) return;
    if (!admin.generated) {
      this.log.info({ user: admin.name }, `created the first user "${admin.name}" with the password from MAMORU_ADMIN_PASSWORD`);
      return;
    }
    const text = `First start: log in at ${this.web!.url}/login as "${admin.name}" with the one-time password\n\n    ${admin.password}\n\nand change it (mamoru users passwd ${admin.name}). It is shown only this once.\n`;
    if (opts.announce) {
      opts.announce(text);
      return;
    }
    const file = join(cliTokenFile ? dirname(cliTokenFile) : '.', 'initial-admin-password');
    writeFileSync(file, `${admin.password}\n`, { mode: 0o600, flag: 'w' });
    this.log.warn({ user: admin.name, file }, `created the first user "${admin.name}"; its one-time password is in ${file} (readable only by this user): log in and change it, then delete the file`);
  }

  /** The leader's parts: the zones' results from the bus (pollers run those checks), the lead kept, the agents heard. */
  private async startCluster(cluster: Cluster, onLeadLost: ((why: string) => void) | undefined): Promise<void> {
    const log = this.log.child({ room: 'bus' });
    this.brainBus = new BrainBus(cluster.bus, { check: (id) => this.zoned.get(id), onResult: (id, r) => this.onResult(id, r), flush: () => this.store.flush(), log, now: () => this.clock.now() });
    await this.brainBus.start();
    log.info({ zoned: this.zoned.size }, `taking results of ${plural(this.zoned.size, 'check')} from the zones' pollers on the ${cluster.bus.type} bus`);
    cluster.lead.keep((why) => this.leadLost(why, onLeadLost));
    this.agents = await BrainAgents.start({ config: () => this.loaded.config, onResult: (id, r) => this.onResult(id, r), secret: (n) => this.secret(n), log: this.log.child({ room: 'agents' }), now: () => this.clock.now() });
  }

  /** Another brain may lead now: nothing more is run or taken here, then `onLost` (default: stop). */
  private leadLost(why: string, onLost: ((why: string) => void) | undefined): void {
    if (this.stopping || this.leadGone) return;
    this.leadGone = true;
    void this.scheduler.stop();
    void this.brainBus?.stop();
    void this.agents?.stop();
    if (onLost) onLost(why);
    else void this.stop();
  }

  /** Installs a config's checks: known ids keep their state, new ones start from saved or initial state. */
  private apply(cfg: Config, saved?: Map<string, CheckStateRecord>): void {
    const planned = planChecks(cfg);
    const next = new Map<string, Entry>();
    const now = this.clock.now();
    for (const check of planned) {
      const old = this.entries.get(check.id);
      const rec = saved?.get(check.id);
      const state: CheckState = old?.state ?? (rec ? { state: rec.state, stateType: rec.stateType, attempt: rec.attempt, lastChange: rec.lastChange, lastCheck: rec.lastCheck, text: rec.lastResult } : initialState(now));
      next.set(check.id, { check, state, lastDurationMs: old?.lastDurationMs ?? null });
    }
    this.entries = next;
    this.overview.loadChecks(
      (function* () {
        for (const { check: c, state, lastDurationMs } of next.values()) yield { id: c.id, target: c.target.name, name: c.name, type: c.type, maxAttempts: c.maxAttempts, state, durationMs: lastDurationMs };
      })(),
      cfg.targets.map((t) => ({ name: t.name, address: t.address, tags: [...t.tags], parents: [...t.parents] })),
    );
    this.alerting.configure(cfg, planned);
    this.zoned = zonedChecks(cfg, withoutAgentChecks(planned));
    // A problem in progress keeps its attempt count, so a restart does not reset the retry pace.
    this.scheduler.setChecks(scheduledHere(planned, this.zoned), (id) => next.get(id)?.state.attempt ?? 0);
    // /metrics writes each check's state and duration from the overview's rows at scrape time.
    this.metrics.checksFrom((emit) => this.overview.forEach(emit), cfg.metrics.per_check);
    this.metrics.configured.set(planned.length);
  }

  private onResult(checkId: string, result: CheckResult): void {
    const e = this.entries.get(checkId);
    if (!e) return; // removed by a reload while it ran
    const { check } = e;
    this.store.write({ ...result, checkId, target: check.target.name });
    this.metrics.observe(check, result);
    const { state, transition } = nextState(e.state, result, check.maxAttempts, this.clock.now());
    e.state = state;
    e.lastDurationMs = result.durationMs;
    // The row changes in place; views with ISO times are built only when read (status, pages).
    this.overview.updateState(checkId, state, result.durationMs);
    this.dirty.add(checkId);
    this.alerting.onResult(checkId, result);
    if (transition) {
      const msg = `${check.id}: ${stateName(transition.from)} -> ${stateName(transition.to)} (${transition.type}${transition.type === 'soft' ? ` ${state.attempt}/${check.maxAttempts}` : ''}): ${result.text}`;
      const fields = { check: check.id, target: check.target.name, from: stateName(transition.from), to: stateName(transition.to), type: transition.type, attempt: state.attempt };
      if (transition.type === 'hard') this.log.warn(fields, msg);
      else this.log.info(fields, msg);
    }
  }

  private async flushStates(): Promise<void> {
    if (this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    const records: CheckStateRecord[] = [];
    for (const id of ids) {
      const e = this.entries.get(id);
      if (!e) continue;
      const s = e.state;
      records.push({ checkId: id, target: e.check.target.name, state: s.state, stateType: s.stateType, attempt: s.attempt, lastResult: s.text, lastChange: s.lastChange, lastCheck: s.lastCheck });
    }
    try {
      await this.store.upsertCheckStates(records);
    } catch (err) {
      for (const id of ids) this.dirty.add(id);
      this.log.error({ err }, 'could not save check states; will retry');
    }
  }

  private async maintain(): Promise<void> {
    try {
      const report = await this.store.maintain(this.clock.now());
      this.log.debug({ report }, 'store maintenance');
    } catch (err) {
      this.log.error({ err }, 'store maintenance failed; will retry');
    }
  }

  /**
   * Re-reads the config file. A bad file is reported and the running config kept. Unchanged
   * checks keep their state and schedule; new ones are spread over their interval (no burst).
   */
  reload(): { ok: true; checks: number } | { ok: false; error: Error } {
    let loaded: LoadedConfig;
    try {
      loaded = loadConfigFile(this.loaded.file);
    } catch (error) {
      this.metrics.reloads.inc({ outcome: 'rejected' });
      this.log.error({ err: error }, `config reload rejected, keeping the running config: ${(error as Error).message}`);
      return { ok: false, error: error as Error };
    }
    this.loaded = loaded;
    this.secretLookup = secretsFrom(loaded.config.secrets);
    this.apply(loaded.config);
    void this.store.saveConfigRevision(loaded.text, this.clock.now()).catch((err) => this.log.error({ err }, 'could not save the config revision'));
    this.reloadGuard(loaded.config);
    this.metrics.reloads.inc({ outcome: 'applied' });
    this.log.info({ checks: this.entries.size }, `config reloaded: ${this.entries.size} checks`);
    return { ok: true, checks: this.entries.size };
  }

  private guardWiring(): GuardWiring {
    return { store: this.store, log: this.log, clock: this.clock, incidents: this.alerting.incidents, tell: (n) => this.alerting.tell(n) };
  }

  /** SIGHUP for the guard: its jails follow the new config (open bans and unchanged counts kept). */
  private reloadGuard(cfg: Config): void {
    const p = this.guard
      ? reloadGuard(this.guard, cfg.guard, this.log)
      : (async () => {
          this.guard = createGuard(cfg.guard, this.guardWiring());
          await this.guard?.start();
        })();
    void p.catch((err) => this.log.error({ err }, `could not reload the guard's jails: ${(err as Error).message}`));
  }

  status(): StatusView {
    const summary = { OK: 0, WARNING: 0, CRITICAL: 0, UNKNOWN: 0, pending: 0 };
    const checks: CheckView[] = [];
    for (const e of this.entries.values()) {
      if (!e.state.lastCheck) summary.pending++;
      else summary[stateName(e.state.state)]++;
      checks.push(checkView(e));
    }
    const s = this.scheduler.stats();
    return {
      version: pkg.version,
      started_at: new Date(this.startedAt).toISOString(),
      config_file: this.loaded.file,
      summary,
      scheduler: { configured: s.configured, running: s.running, queued: s.queued },
      checks,
      incidents: this.alerting.incidents
        .openIncidents()
        .sort((a, b) => b.id - a.id)
        .map(incidentView),
    };
  }

  get webUrl(): string | undefined {
    return this.web?.url;
  }

  /** Stops the scheduler (running checks are cancelled), saves states and results, closes. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.timers) clearInterval(t);
      await this.scheduler.stop();
      await this.brainBus?.stop();
      await this.agents?.stop();
      await this.guard?.stop();
      await this.alerting.stop();
      this.live.closeAll();
      await this.web?.close();
      await this.auth.flushLog();
      await this.flushStates();
      await this.store.close();
      // The lead goes last: a standing-by brain takes over from states and results all written.
      await this.cluster?.lead.release();
      await this.cluster?.bus.close();
      this.log.info('mamoru stopped');
    })();
    return this.stopping;
  }
}
