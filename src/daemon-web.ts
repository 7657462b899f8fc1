/**
 * What the web room gets from the daemon: its parts (store, alerting, scheduler, guard config,
 * secrets, the auth service) turned into the plain functions of WebDeps. The only file besides
 * daemon.ts that knows those parts, so the web room never does.
 */
import type { AuthService } from './auth/types.ts';
import type { Config } from './config/schema.ts';
import type { IncidentRecord } from './core/incident.ts';
import type { Logger } from './core/log.ts';
import { downtimeOf, type Alerting } from './daemon-alerts.ts';
import { activeDowntime } from './state/downtime.ts';
import { allowListOf, createFirewall } from './daemon-guard.ts';
import { UsageError } from './core/errors.ts';
import { consoleDeps } from './daemon-web-console.ts';
import type { Firewall } from './firewall/types.ts';
import { fromAlertmanager, fromNagiosJson } from './incidents/ingest.ts';
import type { Store } from './store/types.ts';
import type { WebDeps } from './web/deps.ts';
import type { Metrics } from './web/metrics.ts';
import type { LiveHub } from './web/live.ts';
import { bucketOf, type OverviewIndex } from './web/overview-index.ts';
import { planChecks, type PlannedCheck } from './config/checks.ts';
import type { CheckView, IncidentView, NotificationView, StatusView } from './web/types.ts';
import { stateName } from './core/nagios.ts';
import type { CheckState } from './state/check-state.ts';

export interface WebParts {
  status(): StatusView;
  config(): Config;
  secret(name: string): string;
  alerting: Alerting;
  store: Store;
  metrics: Metrics;
  auth: AuthService;
  /** Runs a check now; false when it is not configured. */
  runNow(checkId: string): boolean;
  log: Logger;
  live: LiveHub;
  overview: OverviewIndex;
}

export function incidentView(i: IncidentRecord): IncidentView {
  return {
    id: i.id,
    target: i.target,
    status: i.status,
    severity: i.severity,
    title: i.title,
    opened_at: new Date(i.openedAt).toISOString(),
    resolved_at: i.resolvedAt === null ? null : new Date(i.resolvedAt).toISOString(),
    members: i.members.map((m) => ({ key: m.key, kind: m.kind, state: m.state, text: m.text, recovered: m.recoveredAt !== undefined })),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** A check's options as the console shows them: values of keys that may hold a secret are masked. */
function withoutSecrets(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = /secret|password|passwd|token|key|auth|community/i.test(k) ? '•••' : v !== null && typeof v === 'object' && !Array.isArray(v) ? withoutSecrets(v as Record<string, unknown>) : v;
  return out;
}
// The store has no cursor for incidents or results yet: pages are cut from at most this many rows.
const SCAN = 10_000;

export function webDeps(p: WebParts): WebDeps {
  const { store, alerting, log } = p;
  let firewall: Promise<Firewall> | undefined;
  /** The configured firewall backend, set up once (like `mamoru bans add` does). */
  const fw = () =>
    (firewall ??= (async () => {
      const f = createFirewall(p.config().guard, log);
      await f.setup();
      return f;
    })().catch((e: unknown) => {
      firewall = undefined;
      throw e;
    }));
  const secretOf = (name: string | undefined, what: string) => {
    if (name === undefined) return undefined;
    try {
      return p.secret(name);
    } catch (err) {
      log.error({ err }, `${what} secret "${name}" cannot be read`);
      return undefined;
    }
  };

  // Checks running late (lag p99 over a minute past 1 s) are said in the log, at most once a minute.
  p.metrics.health.warnTo(log);
  // A check's state change is news for live pages (the hub sends a check's newest news only).
  p.overview.onChange(({ row, was }) =>
    p.live.publish({ type: 'check', target: row.target, key: `check:${row.id}`, data: { id: row.id, name: row.name, type: row.type, bucket: bucketOf(row), was, state_type: row.stateType, attempt: row.attempt, max_attempts: row.maxAttempts, text: row.text.slice(0, 500), last_check: row.lastCheck === null ? null : iso(row.lastCheck) } }),
  );
  // A problem in a scheduled downtime is shown as handled (the config's downtimes, matched as the engine matches them).
  p.overview.setDowntime((r) => {
    const now = Date.now();
    return p.config().downtimes.some((d) => (d.targets.includes(r.target) || d.tags.some((t) => r.tags.includes(t))) && (d.checks.length === 0 || d.checks.includes(r.name)) && activeDowntime([downtimeOf(d)], now) !== undefined);
  });
  // Problems acknowledged before a restart are shown as handled again (the engine restored them).
  for (const id of p.alerting.acknowledgedChecks()) p.overview.acknowledgeCheck(id);
  let planned: { config: Config; checks: Map<string, PlannedCheck> } | undefined;
  const plannedCheck = (id: string) => {
    const config = p.config();
    if (planned?.config !== config) planned = { config, checks: new Map(planChecks(config).map((c) => [c.id, c])) };
    return planned.checks.get(id);
  };

  return {
    auth: p.auth,
    live: p.live,
    overview: p.overview,
    checkConfig: (id) => {
      const c = plannedCheck(id);
      return c && { type: c.type, interval_ms: c.intervalMs, retry_interval_ms: c.retryIntervalMs, timeout_ms: c.timeoutMs, max_attempts: c.maxAttempts, options: withoutSecrets(c.options) };
    },
    metrics: p.metrics,
    status: () => p.status(),
    targets: () => p.config().targets.map((t) => ({ name: t.name, address: t.address, tags: [...t.tags], parents: [...t.parents] })),
    incidents: async ({ open, limit, before }) =>
      (await store.incidents({ ...(open ? { status: 'open' as const } : {}), limit: before === undefined ? limit : SCAN }))
        .filter((i) => before === undefined || i.id < before)
        .slice(0, limit)
        .map(incidentView),
    incidentPage: async (q) => {
      const pg = await store.incidentPage(q);
      return { ...pg, items: pg.items.map((i) => ({ ...incidentView(i), kind: i.kind ?? 'outage', openedAt: i.openedAt, resolvedAt: i.resolvedAt })) };
    },
    incident: async (id) => {
      const inc = await store.incident(id);
      if (!inc) return undefined;
      const timeline = (await store.incidentEvents(id)).map((e) => ({ at: iso(e.at), kind: e.kind, text: e.text }));
      return { ...incidentView(inc), timeline };
    },
    acknowledge: (id, by, comment) => {
      const target = alerting.incidents.targetOf(id);
      const r = alerting.acknowledge(id, by, comment);
      if (r.ok && target !== undefined) p.overview.acknowledge(target);
      return r;
    },
    comment: async (id, by, text) => {
      if (!(await store.incident(id))) return false;
      // 'comment' is not in IncidentEventKind yet (core/incident.ts): stored as written, never sent to clients.
      await alerting.incidents.record(id, 'comment', `comment by ${by}: ${text}`, { by, comment: text });
      return true;
    },
    approvals: () =>
      alerting.approvals.pending().map((a) => ({ id: a.id, action: a.action, target: a.target, service: a.service, text: a.text, requested_at: iso(a.requestedAt), expires_at: iso(a.expiresAt), ...(a.plan ? { plan: a.plan } : {}) })),
    decide: (id, approve, by) => (approve ? alerting.approvals.approve(id, by) : alerting.approvals.deny(id, by)),
    results: async (checkId, { limit, before }) => {
      if (before === undefined) return store.latestResults(checkId, limit);
      return (await store.latestResults(checkId, SCAN)).filter((r) => r.startedAt < before).slice(0, limit);
    },
    rollups: (checkId, resolution, range) => store.rollups(checkId, resolution, range),
    runCheck: (checkId) => p.runNow(checkId),
    bans: async () =>
      (await store.bans({ activeAt: Date.now() })).map((b) => ({ address: b.address, port: b.port ?? null, proto: b.port === undefined ? null : (b.proto ?? 'tcp'), jail: b.jail, reason: b.reason, created_at: iso(b.createdAt), until: b.until === undefined ? null : iso(b.until), ban_count: b.banCount })),
    ban: async ({ address, port, proto, untilMs, reason }) => {
      // The never-ban rules hold for a person too: loopback, this machine, the operator's session,
      // guard.allow, and what cannot be an attacker (guard/allow.ts).
      const why = allowListOf(p.config().guard).refusal(address);
      if (why) throw new UsageError(`not banning ${why}`);
      await (await fw()).ban({ address, until: untilMs, port, proto });
      await store.saveBan({ address, port, proto, jail: 'manual', reason, createdAt: Date.now(), until: untilMs, banCount: 1 });
    },
    unban: async (address) => {
      await (await fw()).unban(address);
      return store.removeBans(address);
    },
    notifications: async ({ limit }) => {
      const out: NotificationView[] = [];
      for (const inc of await store.incidents({ limit: 50 })) {
        for (const e of await store.incidentEvents(inc.id))
          if (e.kind === 'notified' || e.kind === 'notify-failed') out.push({ incident: inc.id, target: inc.target, at: iso(e.at), kind: e.kind, text: e.text });
      }
      return out.sort((a, b) => b.at.localeCompare(a.at)).slice(0, limit);
    },
    ingestToken: () => secretOf(p.config().ingest.token_secret, 'ingest token'),
    ingest: async (kind, body) => {
      const alerts = kind === 'alertmanager' ? fromAlertmanager(body) : [fromNagiosJson(body, kind)];
      const incidents: number[] = [];
      for (const a of alerts) {
        const r = await alerting.ingest(a);
        if (r.incident !== undefined && !incidents.includes(r.incident)) incidents.push(r.incident);
      }
      return { incidents };
    },
    metricsToken: () => secretOf(p.config().web.metrics_token_secret, 'metrics token'),
    // The hub counts every incident, ban and delivery written: the guard view is kept until it moves.
    ...consoleDeps({ config: p.config, secret: p.secret, store, log, revision: () => p.live.revision }),
  };
}

/** One check as the status API shows it (ISO times, rounded duration). */
export function checkView({ check, state, lastDurationMs }: { check: PlannedCheck; state: CheckState; lastDurationMs: number | null }): CheckView {
  return {
    id: check.id,
    target: check.target.name,
    address: check.target.address,
    type: check.type,
    state: state.state,
    state_name: stateName(state.state),
    state_type: state.stateType,
    attempt: state.attempt,
    max_attempts: check.maxAttempts,
    text: state.text,
    last_check: state.lastCheck ? new Date(state.lastCheck).toISOString() : null,
    last_change: new Date(state.lastChange).toISOString(),
    duration_ms: lastDurationMs === null ? null : Math.round(lastDurationMs * 1000) / 1000,
  };
}
