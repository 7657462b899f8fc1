/** What the web room shows, as plain data the daemon hands it: the web never reaches into parts. */
import type { StateName } from '../core/nagios.ts';
import type { ApprovalPlan } from '../store/types.ts';

export interface CheckView {
  id: string;
  target: string;
  address: string;
  type: string;
  state: number;
  state_name: StateName;
  state_type: 'soft' | 'hard';
  attempt: number;
  max_attempts: number;
  text: string;
  /** ISO time of the last result, null before the first. */
  last_check: string | null;
  last_change: string;
  duration_ms: number | null;
}

export interface StatusView {
  version: string;
  started_at: string;
  config_file: string;
  summary: Record<StateName, number> & { pending: number };
  scheduler: { configured: number; running: number; queued: number };
  checks: CheckView[];
  /** Open incidents, newest first. */
  incidents: IncidentView[];
}

/** An incident as the page and the API show it. */
export interface IncidentView {
  id: number;
  target: string;
  status: 'open' | 'resolved';
  severity: string;
  title: string;
  opened_at: string;
  resolved_at: string | null;
  members: { key: string; kind: string; state: string; text: string; recovered: boolean }[];
}

/** What a person can do through the API, and what came of it. */
export type AckOutcome = { ok: true } | { ok: false; status: 404 | 409; error: string };

/** An action waiting for a person's yes or no. */
export interface ApprovalView {
  id: string;
  action: string;
  target: string;
  service: string;
  text: string;
  requested_at: string;
  expires_at: string;
  /** Each command's argv and each config change; absent for questions stored before it was kept (the text says it). */
  plan?: ApprovalPlan | undefined;
}

/** A target as the API lists it: what it is, its tags (what viewer scopes match), its checks' ids. */
export interface TargetView {
  name: string;
  address: string;
  tags: string[];
  parents: string[];
}

/** One line of an incident's timeline. */
export interface TimelineView {
  at: string;
  kind: string;
  text: string;
}

/** A ban in force, as the API shows it. */
export interface BanView {
  address: string;
  port: number | null;
  proto: 'tcp' | 'udp' | null;
  jail: string;
  reason: string;
  created_at: string;
  until: string | null;
  ban_count: number;
}

/** A message mamoru sent (or failed to send) about an incident: a `notified`/`notify-failed` timeline line. */
export interface NotificationView {
  incident: number;
  target: string;
  at: string;
  kind: 'notified' | 'notify-failed';
  text: string;
}

/** One timeline record with its facts, as the console's incident page tells it. */
export interface RecordView {
  at: number;
  kind: string;
  text: string;
  data?: Record<string, unknown> | undefined;
}

/** An incident with what the console tells of it: its kind, members in full, links and every record. */
export interface IncidentStory {
  id: number;
  target: string;
  kind: 'outage' | 'attack';
  status: 'open' | 'resolved';
  severity: string;
  title: string;
  openedAt: number;
  resolvedAt: number | null;
  members: { key: string; kind: 'host' | 'service' | 'folded-host' | 'folded-target' | 'twin'; probe?: string | undefined; label: string; state: string; text: string; since: number; recoveredAt?: number | undefined }[];
  links: { incident: number; relation: 'explains' | 'explained-by'; why: string }[];
  records: RecordView[];
}

/** A row of the console's incident list. */
export interface IncidentRow {
  id: number;
  target: string;
  kind: 'outage' | 'attack';
  status: 'open' | 'resolved';
  severity: string;
  title: string;
  openedAt: number;
  resolvedAt: number | null;
}

/** A ban as the guard page shows it: in force or ended, with who the address is and what it did. */
export interface GuardBan {
  address: string;
  port: number | null;
  proto: 'tcp' | 'udp' | null;
  jail: string;
  reason: string;
  /** In force now (in the store and not past its end). */
  active: boolean;
  firstSeen: number;
  lastSeen: number;
  until: number | null;
  banCount: number;
  country: string | null;
  countryName: string | null;
  owner: string | null;
  network: string | null;
  /** The target whose jail banned it, from its attack incident (null: a manual ban, or not recorded). */
  target: string | null;
  incident: number | null;
  /** The log lines that earned it (as the guard read them: hostile text, shown escaped). */
  lines: string[];
}

/** The guard as the console shows it. */
export interface GuardView {
  bans: GuardBan[];
  /** The allow list in force: configured entries and the automatic ones, each with why. */
  allow: { cidr: string; why: string }[];
}

/** One message told (or not) to one contact's channel. */
export interface DeliveryView {
  incident: number;
  target: string;
  at: number;
  /** `sending`: written to the outbox and not final yet. */
  status: 'delivered' | 'failed' | 'sending';
  contact: string;
  channel: string;
  subject: string;
  attempts: { at: number; ok: boolean; status?: number | undefined; error?: string | undefined }[];
  error: string | null;
}

/** A configured contact, for "send a test message". */
export interface ContactView {
  name: string;
  language: string;
  channels: string[];
  targets: string[];
  tags: string[];
}

/** One channel's answer to a test message. */
export interface TestOutcome {
  channel: string;
  ok: boolean;
  attempts: number;
  error: string | null;
}
