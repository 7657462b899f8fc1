/**
 * Incidents as every room sees them: one incident per outage of one target (a host that is down
 * and the services behind it are one incident), with an append-only timeline of what happened,
 * what mamoru found and did, and who was told. The incidents room decides; the store keeps.
 */

/**
 * `outage`: something the contacts rely on is wrong (the host, its services). `attack`: the guard
 * blocked an attack on the target; it is told on its own, and linked to the outages it explains.
 */
export type IncidentKind = 'outage' | 'attack';

/** One side of a link between an attack incident and the outage it explains (each side keeps its own). */
export interface IncidentLink {
  /** The other incident. */
  incident: number;
  /** `explains`: kept by the attack; `explained-by`: kept by the outage. */
  relation: 'explains' | 'explained-by';
  /** When the link was made, ms. */
  at: number;
  /** Why, for the operator: `10.233.0.3 banned on port 110` or `pop3-slow named 10.233.0.3`. */
  why: string;
  /** The outage's check that the attack explains (probe and name), for the contacts' words. */
  check?: { probe?: string | undefined; label: string } | undefined;
}

/** One ban of an attack incident, with what the guard and enrichment knew of the address. */
export interface AttackBan {
  address: string;
  /** The jail that banned it. */
  jail: string;
  /** What the address tried, as a key the messages word (`pop3`, `imap`, `ssh`, `ftp`, `smtp`, `http`, `connections`, `logins`). */
  tried: string;
  /** Failures counted for the ban and the window they fell in (the jail's max_retry and find_time). */
  failures?: number | undefined;
  windowMs?: number | undefined;
  /** The port blocked; undefined: every port. */
  port?: number | undefined;
  /** When the ban ends, ms; undefined: no end. */
  until?: number | undefined;
  at: number;
  country?: string | undefined;
  countryName?: string | undefined;
  owner?: string | undefined;
  network?: string | undefined;
}

/** What an attack incident knows: its first bans in full (bounded), and how many there were in all. */
export interface AttackFacts {
  bans: AttackBan[];
  /** Every ban of this attack, counted ones included. */
  total: number;
}

/** `open` while something is wrong; `resolved` once everything in it recovered (it may reopen during the cool-down). */
export type IncidentStatus = 'open' | 'resolved';

/** How bad the worst open member is, in the operator's words. */
export type IncidentSeverity = 'down' | 'critical' | 'warning' | 'unknown' | 'ok';

/** One thing that went wrong inside an incident: the host itself, one of its checks, or a host behind it. */
export interface IncidentMember {
  /**
   * `host` for the target itself, the check id (`web1/http`) for a service or a twin, `host:NAME`
   * for a host folded in, `target:NAME` for a target without a host check folded in.
   */
  key: string;
  /**
   * `folded-target`: a target with no host check of its own, unreachable behind this incident's
   * host (label: its name). `twin`: the same service seen through another target (label: that
   * target's name), failing with this incident's check.
   */
  kind: 'host' | 'service' | 'folded-host' | 'folded-target' | 'twin';
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
  /** Absent: `outage` (every incident before attacks had a kind of their own). */
  kind?: IncidentKind | undefined;
  /** Links to the incidents this one explains or is explained by. */
  links?: IncidentLink[] | undefined;
  /** The bans of an attack incident. */
  attack?: AttackFacts | undefined;
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
  | 'linked'
  /** A person's note on the incident (the console or the API); never sent to contacts. */
  | 'comment'
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
