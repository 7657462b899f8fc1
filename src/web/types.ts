/** What the web room shows, as plain data the daemon hands it: the web never reaches into parts. */
import type { StateName } from '../core/nagios.ts';

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
