/**
 * What the web room gets from the daemon: its parts (store, alerting, scheduler, guard config,
 * secrets, the auth service) turned into the plain functions of WebDeps. The only file besides
 * daemon.ts that knows those parts, so the web room never does.
 */
import type { AuthService } from './auth/types.ts';
import type { Config } from './config/schema.ts';
import type { IncidentRecord } from './core/incident.ts';
import type { Logger } from './core/log.ts';
import type { Alerting } from './daemon-alerts.ts';
import { allowListOf, createFirewall } from './daemon-guard.ts';
import { UsageError } from './core/errors.ts';
import type { Firewall } from './firewall/types.ts';
import { fromAlertmanager, fromNagiosJson } from './incidents/ingest.ts';
import type { Store } from './store/types.ts';
import type { WebDeps } from './web/deps.ts';
import type { Metrics } from './web/metrics.ts';
import type { IncidentView, NotificationView, StatusView } from './web/types.ts';

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

  return {
    auth: p.auth,
    metrics: p.metrics,
    status: () => p.status(),
    targets: () => p.config().targets.map((t) => ({ name: t.name, address: t.address, tags: [...t.tags], parents: [...t.parents] })),
    incidents: async ({ open, limit, before }) =>
      (await store.incidents({ ...(open ? { status: 'open' as const } : {}), limit: before === undefined ? limit : SCAN }))
        .filter((i) => before === undefined || i.id < before)
        .slice(0, limit)
        .map(incidentView),
    incident: async (id) => {
      const inc = await store.incident(id);
      if (!inc) return undefined;
      const timeline = (await store.incidentEvents(id)).map((e) => ({ at: iso(e.at), kind: e.kind, text: e.text }));
      return { ...incidentView(inc), timeline };
    },
    acknowledge: (id, by, comment) => alerting.acknowledge(id, by, comment),
    comment: async (id, by, text) => {
      if (!(await store.incident(id))) return false;
      // 'comment' is not in IncidentEventKind yet (core/incident.ts): stored as written, never sent to clients.
      await alerting.incidents.record(id, 'comment', `comment by ${by}: ${text}`, { by, comment: text });
      return true;
    },
    approvals: () =>
      alerting.approvals.pending().map((a) => ({ id: a.id, action: a.action, target: a.target, service: a.service, text: a.text, requested_at: iso(a.requestedAt), expires_at: iso(a.expiresAt) })),
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
  };
}
