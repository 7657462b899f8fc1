/**
 * The tables as Kysely sees them (what migrations create). Times are integer milliseconds since
 * the epoch in `bigint` columns so SQLite and PostgreSQL store them the same way; drivers that
 * hand back int8 as strings are normalised when rows are read.
 */
import type { Generated } from 'kysely';

export interface ResultsTable {
  /** Ever increasing (never reused): rollups remember the last id they folded in. */
  id: Generated<number>;
  check_id: string;
  target: string;
  state: number;
  text: string;
  /** JSON array of PerfDatum; null when there is none. */
  perfdata: string | null;
  /** The first perfdata value, kept apart so rollups can aggregate it in SQL. */
  perf_value: number | null;
  long_output: string | null;
  started_at: number;
  duration_ms: number;
}

/** rollups_minute and rollups_hour have this shape; averages are sum / count on read. */
export interface RollupsTable {
  check_id: string;
  target: string;
  bucket_start: number;
  count: number;
  ok: number;
  warning: number;
  critical: number;
  unknown: number;
  duration_min: number;
  duration_sum: number;
  duration_max: number;
  perf_count: number;
  perf_min: number | null;
  perf_sum: number | null;
  perf_max: number | null;
}

export interface CheckStatesTable {
  check_id: string;
  target: string;
  state: number;
  state_type: string;
  attempt: number;
  last_result: string;
  last_change: number;
  last_check: number;
}

export interface ConfigRevisionsTable {
  id: Generated<number>;
  sha256: string;
  text: string;
  bytes: number;
  loaded_at: number;
}

/** Small named numbers: `schema_version`, `rolled_up_to_id`. */
export interface StoreMetaTable {
  key: string;
  value: number;
}

export interface IncidentsTable {
  id: Generated<number>;
  target: string;
  status: string;
  severity: string;
  title: string;
  opened_at: number;
  resolved_at: number | null;
  updated_at: number;
  /** JSON array of IncidentMember. */
  members: string;
  /** `outage` or `attack` (schema 4). */
  kind: string;
  /** JSON array of IncidentLink; null when none. */
  links: string | null;
  /** JSON AttackFacts of an attack incident; null otherwise. */
  attack: string | null;
}

/** The timeline: rows are only ever inserted. */
export interface IncidentEventsTable {
  id: Generated<number>;
  incident_id: number;
  at: number;
  kind: string;
  text: string;
  /** JSON object; null when the event has no details. */
  data: string | null;
}

export interface BansTable {
  ban_key: string;
  address: string;
  port: number | null;
  proto: string | null;
  jail: string;
  reason: string;
  created_at: number;
  until: number | null;
  ban_count: number;
  /** JSON object; null when nothing was found. */
  enrichment: string | null;
}

/** The guard's counted failures (schema 7), keyed by the log line they came from. */
export interface GuardFailuresTable {
  id: string;
  jail: string;
  ban_key: string;
  address: string;
  filter: string;
  at: number;
}

/** Bans whose incident note is still owed (schema 7). */
export interface GuardBanNotesTable {
  ban_key: string;
  created_at: number;
}

/** Accounts (schema 5): see auth/types.ts for the records. Scopes are JSON; null is everything. */
export interface UsersTable {
  id: Generated<number>;
  name: string;
  role: string;
  scope: string | null;
  password_hash: string;
  created_at: number;
  password_changed_at: number;
  /** Schema 8: the user's language and time zone for the console; null: not chosen. */
  lang: string | null;
  zone: string | null;
}

export interface SessionsTable {
  id_hash: string;
  user_id: number;
  csrf: string;
  created_at: number;
  last_seen_at: number;
  address: string;
}

export interface TokensTable {
  id: Generated<number>;
  name: string;
  user_id: number | null;
  role: string;
  scope: string | null;
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** Rows are only ever inserted. */
export interface AuditTable {
  id: Generated<number>;
  at: number;
  actor: string;
  address: string | null;
  action: string;
  subject: string;
  detail: string;
}

/** News a contact must be told (schema 6); `news` is JSON, `done_at` null while something is owed. */
export interface OutboxTable {
  id: Generated<number>;
  incident_id: number;
  event: string;
  at: number;
  news: string;
  done_at: number | null;
}

/** One row per news, contact and channel; the rows of one message share its key. */
export interface OutboxDeliveriesTable {
  outbox_id: number;
  contact: string;
  channel: number;
  key: string;
  status: string;
  created_at: number;
  done_at: number | null;
  error: string | null;
}

/** Questions to a person (schema 6), kept across a restart. */
export interface ApprovalsTable {
  id: string;
  action: string;
  target: string;
  service: string;
  text: string;
  requested_at: number;
  expires_at: number;
  status: string;
  decided_by: string | null;
  decided_at: number | null;
  /** ApprovalPlan as JSON (schema 10); null on older rows. */
  plan: string | null;
}

export interface Database {
  results: ResultsTable;
  rollups_minute: RollupsTable;
  rollups_hour: RollupsTable;
  check_states: CheckStatesTable;
  config_revisions: ConfigRevisionsTable;
  store_meta: StoreMetaTable;
  incidents: IncidentsTable;
  incident_events: IncidentEventsTable;
  bans: BansTable;
  users: UsersTable;
  sessions: SessionsTable;
  tokens: TokensTable;
  audit: AuditTable;
  outbox: OutboxTable;
  outbox_deliveries: OutboxDeliveriesTable;
  approvals: ApprovalsTable;
  guard_failures: GuardFailuresTable;
  guard_ban_notes: GuardBanNotesTable;
}

export type RollupTable = 'rollups_minute' | 'rollups_hour';
