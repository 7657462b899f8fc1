/**
 * What the web room needs from the daemon, as plain functions over plain data (daemon-web.ts
 * builds them from the daemon's parts): the web never reaches into the scheduler, the store or the
 * firewall itself, and every answer here is unfiltered: scoping a viewer is the routes' job.
 */
import type { AuthService } from '../auth/types.ts';
import type { IncidentPageQuery } from '../store/incident-queries.ts';
import type { Rollup, RollupResolution, StoredResult } from '../store/types.ts';
import type { LiveHub } from './live.ts';
import type { Metrics } from './metrics.ts';
import type { OverviewIndex } from './overview-index.ts';
import type { AckOutcome, ApprovalView, BanView, ContactView, DeliveryView, GuardView, IncidentRow, IncidentStory, IncidentView, NotificationView, StatusView, TargetView, TestOutcome, TimelineView } from './types.ts';

export type IngestKind = 'nagios' | 'icinga' | 'alertmanager';

export interface WebDeps {
  auth: AuthService;
  metrics: Metrics;
  /** Live news for /api/v1/events. */
  live: LiveHub;
  /** Every check's current row in the overview's orders (kept by the daemon as results arrive). */
  overview: OverviewIndex;
  /** A check's configuration as the console shows it (secrets masked); undefined when not configured. */
  checkConfig(checkId: string): { type: string; interval_ms: number; retry_interval_ms: number; timeout_ms: number; max_attempts: number; options: Record<string, unknown> } | undefined;
  status(): StatusView;
  /** The configured targets, in config order. */
  targets(): TargetView[];
  /** Incidents newest first, only those with an id below `before` when given. */
  incidents(opts: { open: boolean; limit: number; before?: number | undefined }): Promise<IncidentView[]>;
  /**
   * One keyset page of incidents newest first by opening time (store/incident-queries.ts): status,
   * target and kind filters, `see` the viewer's scope (the page is still filled), opaque cursors to
   * the older (`next`) and newer (`prev`) pages. Rejects with an IncidentCursorError for a bad cursor.
   */
  incidentPage(q: IncidentPageQuery): Promise<{ items: (IncidentView & IncidentRow)[]; next: string | null; prev: string | null }>;
  /** One incident with its timeline. */
  incident(id: number): Promise<(IncidentView & { timeline: TimelineView[] }) | undefined>;
  /** A person takes an open incident: no more reminders or escalations until it recovers. */
  acknowledge(id: number, by: string, comment: string): AckOutcome;
  /** Adds a comment to an incident's timeline; false when there is no such incident. */
  comment(id: number, by: string, text: string): Promise<boolean>;
  /** Actions waiting for a person (guard policy `ask`). */
  approvals(): ApprovalView[];
  /** Approves or denies one; false when it is unknown or already decided. */
  decide(id: string, approve: boolean, by: string): boolean;
  /** The newest results of a check, newest first, only those older than `before` (ms) when given. */
  results(checkId: string, opts: { limit: number; before?: number | undefined }): Promise<StoredResult[]>;
  rollups(checkId: string, resolution: RollupResolution, range: { from: number; to: number }): Promise<Rollup[]>;
  /** Runs a check now; false when no such check is configured. */
  runCheck(checkId: string): boolean;
  /** Bans in force, oldest first. */
  bans(): Promise<BanView[]>;
  /** Bans an address or network in the firewall and the store, like `mamoru bans add`. */
  ban(b: { address: string; port?: number | undefined; proto?: 'tcp' | 'udp' | undefined; untilMs?: number | undefined; reason: string }): Promise<void>;
  /** Lifts every ban of an address or network; returns how many stored bans there were. */
  unban(address: string): Promise<number>;
  /** Messages sent (or failed) about the newest incidents, newest first. */
  notifications(opts: { limit: number }): Promise<NotificationView[]>;
  /** The token ingest requests may bring besides ingest-role tokens (`ingest.token_secret`); undefined when not configured. */
  ingestToken(): string | undefined;
  /** Takes an alert body of a kind; resolves with what became of it, or rejects with a reason for the sender. */
  ingest(kind: IngestKind, body: unknown): Promise<{ incidents: number[] }>;
  /** The bearer token /metrics requires (`web.metrics_token_secret`); undefined: loopback only. */
  metricsToken(): string | undefined;
  // The console's incident, guard and notification pages (daemon-web-console.ts).
  /** One incident with every timeline record and its facts. */
  incidentStory(id: number): Promise<IncidentStory | undefined>;
  /** Bans in force and those of recent attack incidents (in force first, then newest), with the allow list. */
  guardView(): Promise<GuardView>;
  /** Why banning this address by hand is refused (the allow list), or undefined. */
  banRefusal(address: string): string | undefined;
  /** Deliveries about the newest incidents (and those being sent), newest first. */
  deliveries(opts: { limit: number }): Promise<DeliveryView[]>;
  /** The configured contacts. */
  contacts(): ContactView[];
  /** A test message through each of a contact's channels, like `mamoru notify test`; undefined: no such contact. */
  testContact(name: string): Promise<TestOutcome[] | undefined>;
}

/** How the console is served, known once the server listens (the port may be 0 until then). */
export interface WebSettings {
  /** The bound address (`web.host`). */
  host: string;
  /** Extra names the Host header may carry (`web.hostnames`). */
  hostnames: readonly string[];
  /** Largest request body in bytes (`web.body_limit`). */
  bodyLimit: number;
  /** Served over TLS (cookies get `Secure`). */
  tls: boolean;
  /** Plain HTTP on purpose behind something that encrypts: an `https://` Origin of the same host is the served one. */
  insecureHttp: boolean;
}
