/**
 * The incident manager's shapes (what it needs, what it returns) and its rules about members:
 * a member's key and severity, which members keep an incident open, the service a port stands for.
 */
import type { Logger } from 'pino';
import type { IncidentMember, IncidentRecord, IncidentSeverity } from '../core/incident.ts';
import type { Said } from '../core/said.ts';
import type { Subject } from '../state/engine.ts';
import type { Store } from '../store/types.ts';
import type { BanDigestLimits } from './ban-digest.ts';
import type { AttackPolicy } from './attacks.ts';

export type IncidentStore = Pick<Store, 'createIncident' | 'updateIncident' | 'appendIncidentEvent' | 'incidents' | 'incident' | 'incidentEvents'> & Partial<Pick<Store, 'bans'>>;

export type NewsEvent = 'open' | 'update' | 'recovered' | 'reminder' | 'escalation' | 'acknowledged';

/** Something people should hear about one incident. */
export interface IncidentNews {
  incident: IncidentRecord;
  event: NewsEvent;
  /** What changed, one line each, for update messages: an operator's line, or a sentence in both languages. */
  changes: (string | Said)[];
  level: number;
  by?: string;
  comment?: string;
}

export interface IncidentManagerOptions {
  store: IncidentStore;
  coolDownMs: number;
  log: Logger;
  /** How bans are aggregated (ban-digest.ts); the defaults suit every deployment so far. */
  bans?: Partial<BanDigestLimits> | undefined;
  /** A check's effective port (config/check-port.ts), by check id: a ban on it explains the check's problem. */
  checkPort?: ((checkId: string) => number | undefined) | undefined;
  /** Which blocked attacks the contacts hear of (`notifications.attacks`). @defaultValue 'linked' */
  attacks?: (() => AttackPolicy) | undefined;
  /**
   * What the notify room reads in a member (notify/templates/cause.ts): `agent`, the member is an
   * SNMP agent itself; `unreadable`, its reading was lost because the agent does not answer. A
   * reading lost while the agent is down, and the agent's return while those readings are still
   * to be taken again, are recorded but are no news of their own.
   */
  cause?: { agent(m: IncidentMember): boolean; unreadable(m: IncidentMember): boolean } | undefined;
}

export const severityRank: Record<IncidentSeverity, number> = { ok: 0, unknown: 1, warning: 2, critical: 3, down: 4 };

export function memberKey(target: string, s: Subject): string {
  return s.kind === 'host' ? `host:${target}` : s.checkId;
}

export function severityOf(m: IncidentMember): IncidentSeverity {
  if (m.recoveredAt !== undefined) return 'ok';
  // A target behind the host has no state of its own to tell: mamoru cannot see it.
  if (m.kind === 'folded-target') return 'unknown';
  if (m.kind !== 'service' && m.kind !== 'twin') return m.kind === 'host' ? 'down' : 'ok';
  return m.state === 'CRITICAL' ? 'critical' : m.state === 'WARNING' ? 'warning' : m.state === 'UNKNOWN' ? 'unknown' : 'ok';
}

/**
 * Members that keep an incident open: the host, its services, their twins, and the targets behind
 * it until they are seen again (folded hosts only ride along: they speak for themselves).
 */
export const open = (m: IncidentMember) => m.kind !== 'folded-host' && m.recoveredAt === undefined;

/** The service a port stands for, for a ban whose filter is not known here. */
export const PORT_SERVICE: Record<number, string> = { 21: 'ftp', 22: 'ssh', 25: 'smtp', 465: 'smtp', 587: 'smtp', 80: 'http', 443: 'http', 110: 'pop3', 995: 'pop3', 143: 'imap', 993: 'imap' };
