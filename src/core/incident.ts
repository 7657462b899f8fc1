/**
 * Incidents as every room sees them: one incident per outage of one target (a host that is down
 * and the services behind it are one incident), with an append-only timeline of what happened,
 * what mamoru found and did, and who was told. The incidents room decides; the store keeps.
 */

/** `open` while something is wrong; `resolved` once everything in it recovered (it may reopen during the cool-down). */
export type IncidentStatus = 'open' | 'resolved';

/** How bad the worst open member is, in the operator's words. */
export type IncidentSeverity = 'down' | 'critical' | 'warning' | 'unknown' | 'ok';

/** One thing that went wrong inside an incident: the host itself, one of its checks, or a host behind it. */
export interface IncidentMember {
  /** `host` for the target itself, the check id (`web1/http`) for a service, `host:NAME` for a host folded in. */
  key: string;
  kind: 'host' | 'service' | 'folded-host';
  /** The check's probe type (`http`, `ping`...), when a check is behind it. */
  probe?: string | undefined;
  /** Check name or host name, for messages. */
  label: string;
  /** Nagios state name (`CRITICAL`, `DOWN`, `UNREACHABLE`, `OK`, `UP`). */
  state: string;
  /** The last result's text, in the plugin's words. */
  text: string;
  /** When this member first went wrong, ms. */
  since: number;
  /** When it recovered, ms; undefined while still wrong. */
  recoveredAt?: number | undefined;
}

export interface IncidentRecord {
  id: number;
  target: string;
  status: IncidentStatus;
  severity: IncidentSeverity;
  /** One line: what is wrong, e.g. `web1: HTTP CRITICAL - Connection refused`. */
  title: string;
  openedAt: number;
  resolvedAt: number | null;
  updatedAt: number;
  members: IncidentMember[];
}

/** What a timeline entry records. */
export type IncidentEventKind =
  | 'opened'
  | 'problem'
  | 'recovered'
  | 'resolved'
  | 'reopened'
  | 'suppressed'
  | 'acknowledged'
  | 'escalated'
  | 'reminder'
  | 'flapping'
  | 'downtime'
  | 'evidence'
  | 'action'
  | 'ban'
  | 'notified'
  | 'notify-failed';

export interface IncidentEvent {
  id: number;
  incidentId: number;
  at: number;
  kind: IncidentEventKind;
  /** One readable line for the terminal and the dashboard. */
  text: string;
  /** Structured details (delivery attempts, evidence...), JSON-serialisable. */
  data?: Record<string, unknown> | undefined;
}
