/**
 * The daemon's guard half (with daemon.ts and daemon-alerts.ts, the wiring layer): builds the
 * firewall backend, the allow list, the enricher and each jail's log sources from the config,
 * and reports every ban into the target's attack incident with who the address is (the first bans
 * one by one, the rest counted into one record a minute: src/incidents/ban-digest.ts); an attack
 * that explains an outage is linked to it there (src/incidents/attacks.ts).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from './core/clock.ts';
import type { GuardConfig } from './config/guard.ts';
import { cutConnections, driftOf, firewalls, reconcile, type Firewall } from './firewall/index.ts';
import type { EarlyRestore } from './firewall/restore-early.ts';
import { AllowList } from './guard/allow.ts';
import type { GuardFigures } from './web/metrics.ts';
import { Enricher, type Enrichment } from './guard/enrich/enrich.ts';
import { Guard, type AppliedBan, type BanStore, type GuardJail } from './guard/guard.ts';
import { banKey } from './core/ban.ts';
import { sources } from './guard/sources/index.ts';
import { createLocalExecutor } from './executors/local.ts';
import { summarizeConnectionsSliced } from './inspect/connections.ts';
import { readTcpTable } from './inspect/proc-net-tcp.ts';
import { BanFlushTimer, defaultBanDigestLimits } from './incidents/ban-digest.ts';
import type { IncidentManager, IncidentNews } from './incidents/manager.ts';
import { triedOf } from './incidents/attacks.ts';
import { Recidive } from './guard/recidive.ts';

/**
 * Longest an attack's message waits for who the address is (enrichment: the offline country at
 * once, whois within its own timeout), so the message can say where the attack comes from.
 */
const ENRICH_WAIT_MS = 3_000;

export interface GuardWiring {
  store: BanStore;
  log: Logger;
  clock: Clock;
  incidents: IncidentManager;
  /** Passes an incident's news on to the dispatcher. */
  tell(news: IncidentNews): void;
  /** At start: what `mamoru start` restored before the daemon was loaded (firewall/restore-early.ts). */
  early?: EarlyRestore | undefined;
  /** The store's file (Store.location), to tell whether the early restore read the same one. */
  storeLocation?: string | undefined;
}

/**
 * The early restore, when it built the table this guard's config asks for from the store this
 * daemon opened (then the first reconcile only checks the kernel); else undefined.
 */
function earlyFor(cfg: GuardConfig, w: GuardWiring): Extract<EarlyRestore, { done: true }> | undefined {
  const e = w.early;
  if (!e) return undefined;
  if (!e.done) {
    w.log.debug(`the firewall is restored by the full start: ${e.why}`);
    return undefined;
  }
  const fw = cfg.firewall as { type: string; table?: string; priority?: number; forward?: boolean };
  const same = fw.type === 'nftables' && fw.table === e.layout.table && fw.priority === e.layout.priority && fw.forward === e.layout.forward && (e.store ?? ':memory:') === w.storeLocation;
  return same ? e : undefined;
}

export function createFirewall(cfg: GuardConfig, log: Logger): Firewall {
  const def = firewalls[cfg.firewall.type as keyof typeof firewalls];
  return def.create(cfg.firewall as never, { log: log.child({ room: 'firewall' }) });
}

export function describeEnrichment(e: Enrichment): string {
  const parts = [e.country ? `${e.countryName ?? e.country} (${e.country})` : undefined, e.network ? `network ${e.network}${e.netName ? ` ${e.netName}` : ''}` : undefined, e.owner ? `owner ${e.owner}` : undefined, e.abuse ? `abuse ${e.abuse}` : undefined];
  const found = parts.filter((p) => p !== undefined);
  return `${e.address}: ${found.length ? found.join(', ') : 'nothing known'}${e.note ? ` (${e.note})` : ''}`;
}

/** The guard, and at stop the bans still being counted written to their incidents (after the last ban is in). */
class ReportingGuard extends Guard {
  constructor(
    jails: ConstructorParameters<typeof Guard>[0],
    deps: ConstructorParameters<typeof Guard>[1],
    private readonly banFlush: BanFlushTimer,
    /** Builds the jails of a config (sources created, not started) for a reload. */
    readonly jailsOf: (cfg: GuardConfig) => GuardJail[],
    /** The firewall's config at start: changing it needs a restart. */
    readonly firewallText: string,
    /** Waits for the incident notes in progress and their marks (before the store closes). */
    private readonly settle: () => Promise<void>,
  ) {
    super(jails, deps);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.banFlush.stop();
    await this.settle();
  }
}

/**
 * SIGHUP: the guard takes the new config's jails and allow list (guard.ts reload). The firewall
 * backend is the one it started with; a change there is logged as needing a restart.
 */
export async function reloadGuard(guard: Guard, cfg: GuardConfig, log: Logger): Promise<string> {
  if (!(guard instanceof ReportingGuard)) return 'jails unchanged';
  if (JSON.stringify(cfg.firewall) !== guard.firewallText) log.warn('guard.firewall changed: the new firewall settings apply at the next restart');
  const words = await guard.reload(guard.jailsOf(cfg), { allow: allowListOf(cfg) });
  log.info(`guard reloaded: ${words}`);
  return words;
}

/** What /metrics shows of the guard (nothing without one). */
export function guardFigures(g: Guard | undefined): GuardFigures | undefined {
  return g && { bans_in_force: g.applied.length, long_lines: g.longLines, drift_repairs: g.driftRepairs };
}

/** The allow list in force for a guard config: its networks, the SSH session, and whether link-local may be banned. */
export function allowListOf(cfg: GuardConfig): AllowList {
  return new AllowList({ allow: cfg.allow, allow_ssh_session: cfg.allow_ssh_session, ban_link_local: cfg.ban_link_local });
}

export function createGuard(cfg: GuardConfig, w: GuardWiring): Guard | undefined {
  if (cfg.jails.length === 0) return undefined;
  const log = w.log.child({ room: 'guard' });
  const firewall = createFirewall(cfg, log);
  let early = earlyFor(cfg, w);
  const enricher = new Enricher(cfg.enrich);
  const banIncident = new Map<AppliedBan, Promise<{ incidentId: number; individual: boolean }>>();
  /** Resolves a ban's wait for its enrichment (the attack's message waits for it, bounded). */
  const enrichedOf = new Map<AppliedBan, () => void>();
  const jailOf = new Map(cfg.jails.map((j) => [j.name, j]));
  /**
   * Bans whose note went into a counted window (ban-digest.ts): the note is durable only once the
   * window is written, so they are marked noted after the flush that surely wrote them.
   */
  const owed: { key: string; at: number }[] = [];
  /** Marks still being written: a clean stop waits for them before the store closes. */
  const marking = new Set<Promise<void>>();
  const noted = (key: string) => {
    const p = (w.store.banNoted?.(key) ?? Promise.resolve()).catch((err) => log.warn({ err }, 'could not mark a ban noted; it may be noted again at the next start'));
    marking.add(p);
    void p.finally(() => marking.delete(p));
  };
  const banFlush = new BanFlushTimer({
    incidents: {
      nextBanFlush: () => w.incidents.nextBanFlush(),
      flushBans: async (now, all) => {
        const news = await w.incidents.flushBans(now, all);
        for (let i = owed.length - 1; i >= 0; i--) {
          if (!all && owed[i]!.at + defaultBanDigestLimits.windowMs > now) continue;
          noted(owed[i]!.key);
          owed.splice(i, 1);
        }
        return news;
      },
    },
    clock: w.clock,
    tell: w.tell,
    log,
  });
  const local = createLocalExecutor();
  const jailsOf = (c: GuardConfig): GuardJail[] =>
    c.jails.map((j) => ({
      name: j.name,
      options: j,
      timeZone: j.time_zone,
      target: j.target ?? hostname(),
      signature: JSON.stringify(j),
      sources: j.sources.map((s, i) => sources[s.type as keyof typeof sources].create(s as never, { name: j.sources.length === 1 ? j.name : `${j.name}-${i + 1}`, stateDir: c.state_dir ?? join('data', 'guard'), log })),
    }));
  return new ReportingGuard(
    jailsOf(cfg),
    {
      firewall,
      store: w.store,
      allow: allowListOf(cfg),
      recidive: cfg.recidive ? new Recidive(cfg.recidive) : undefined,
      log,
      clock: w.clock,
      cut: cfg.cut_connections
        ? async (address) => {
            const r = await cutConnections(address, { log });
            return r.problems.length ? r.problems.join('; ') : `cut ${r.sockets ?? 0} open connection(s), ${r.flows ?? 0} tracked flow(s)`;
          }
        : undefined,
      enrich: (address) => enricher.enrich(address),
      connections: cfg.connection_table.enabled
        ? async (ports) => {
            const sockets = await readTcpTable(local);
            const out = new Map<number | undefined, { address: string; synRecv: number; established: number }[]>();
            for (const port of ports) {
              const sum = await summarizeConnectionsSliced(sockets, { ...(port === undefined ? {} : { localPort: port }), states: ['SYN_RECV', 'ESTABLISHED'], top: 50 });
              out.set(port, sum.topSources.map((src) => ({ address: src.address, synRecv: src.states.SYN_RECV ?? 0, established: src.states.ESTABLISHED ?? 0 })));
            }
            return out;
          }
        : undefined,
      connectionIntervalMs: cfg.connection_table.interval,
      reconcile: async (wanted, now) => {
        if (early) {
          // The first reconcile (at start) after the early restore: one read, and nothing done when equal.
          const e = early;
          early = undefined;
          const state = await firewall.state?.().catch(() => undefined);
          if (state && driftOf(wanted, state, now).length === 0) return `firewall restored before the daemon loaded (${e.bans} stored ban${e.bans === 1 ? '' : 's'} in one nft transaction, ${e.ms} ms); the kernel holds every ban in force`;
        }
        const r = await reconcile(wanted, firewall, now);
        const parts = [r.added.length ? `put back ${r.added.map((b) => b.address).join(', ')}` : '', r.removed.length ? `removed ${r.removed.map((b) => b.address).join(', ')}` : ''].filter(Boolean);
        return parts.length ? `firewall reconciled: ${parts.join('; ')}` : undefined;
      },
      onBan: (b) => {
        const text = `banned ${b.ban.address}${b.ban.port ? ` on port ${b.ban.port}` : ''} until ${new Date(b.ban.until).toISOString()}: ${b.ban.reason}`;
        const jail = jailOf.get(b.jail);
        const report = {
          address: b.ban.address,
          jail: b.jail,
          tried: triedOf(b.failure.filter, b.failure.raw, b.ban.port),
          failures: jail?.max_retry,
          windowMs: jail?.find_time,
          port: b.ban.port,
          until: b.ban.until,
          banCount: b.ban.banCount,
          severity: b.ban.severity,
          cut: b.cut,
          user: b.failure.user,
          line: b.failure.raw.slice(0, 500),
          // The lines that counted toward this ban (the last few), for the guard page.
          ...(b.ban.lines?.length ? { lines: b.ban.lines } : {}),
        };
        const enriched = new Promise<void>((resolve) => {
          const timer = w.clock.setTimeout(done, ENRICH_WAIT_MS);
          function done(): void {
            w.clock.clearTimeout(timer);
            enrichedOf.delete(b);
            resolve();
          }
          enrichedOf.set(b, done);
        });
        const key = banKey({ address: b.ban.address, port: b.ban.port, proto: b.ban.proto });
        // Owed from before a restart: written already if the kill came between the note and its mark.
        const written = b.restored && w.store.banNoteWritten ? w.store.banNoteWritten({ address: b.ban.address, until: b.ban.until, port: b.ban.port }, text, b.appliedAt) : Promise.resolve(false);
        const p = written.then(async (already) => {
          if (!already) return w.incidents.noteBan(b.target, text, report, w.clock.now());
          noted(key);
          return { incidentId: -1, news: [], individual: false, already };
        }).then(({ incidentId, news, individual, ...rest }) => {
          if ('already' in rest) return { incidentId, individual };
          // The note is in the store (an individual record) or waits in a counted window.
          if (individual) noted(key);
          else owed.push({ key, at: w.clock.now() });
          for (const n of news) {
            // An attack's own message says who the address is: it waits (bounded) for enrichment.
            if (n.incident.kind === 'attack' && individual) void enriched.then(() => w.tell(n));
            else w.tell(n);
          }
          banFlush.arm();
          return { incidentId, individual };
        });
        banIncident.set(b, p);
      },
      onEnriched: (b, e) => {
        void banIncident
          .get(b)
          ?.then(async ({ incidentId, individual }) => {
            if (individual) {
              await w.incidents.noteBanEnrichment(incidentId, e);
              return w.incidents.record(incidentId, 'evidence', `who is ${describeEnrichment(e)}`, { ...e }, w.clock.now());
            }
            // A counted ban's "who is" would be one row per address again: only its country goes into the counts.
            if (e.country) w.incidents.noteBanCountry(incidentId, e.country);
          })
          .finally(() => {
            banIncident.delete(b);
            enrichedOf.get(b)?.();
          });
      },
    },
    banFlush,
    jailsOf,
    JSON.stringify(cfg.firewall),
    async () => {
      await Promise.allSettled([...banIncident.values()]);
      while (marking.size) await Promise.allSettled([...marking]);
    },
  );
}
