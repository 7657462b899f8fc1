/**
 * What one incident member is about and what is the matter with it, for the plain words. The
 * subject (the web site, disk space, the mail queue, the SNMP agent...) comes from the check
 * alone (its probe and name), so a recovery, which only has the OK text, names the same thing
 * as the problem did. The matter comes from the state and the text, read by triage's rules (the
 * same reading that chose the runbook), so the words and the runbook never disagree about the
 * cause. An UNKNOWN, or a failure to measure, is never worded as the measurement's bad news:
 * "mamoru cannot read disk space (the SNMP agent does not answer)", not "disk space is running out".
 */
import type { IncidentMember } from '../../core/incident.ts';
import { NagiosState, stateByName } from '../../core/nagios.ts';
import { parsePerfdataLenient } from '../../core/perfdata.ts';
import { classify } from '../../triage/index.ts';

/** What the check watches, in the client's terms. */
export type Subject =
  | { kind: 'server' }
  | { kind: 'service'; probe: string | undefined; label: string }
  | { kind: 'disk' }
  | { kind: 'mail-queue' }
  /** The SNMP agent itself (an snmp check that only asks "are you there?"). */
  | { kind: 'snmp-agent' }
  /** A value read over SNMP that is neither a disk nor the mail queue, named by its check. */
  | { kind: 'snmp-value'; label: string };

/** Why mamoru could not get a reading, in the order they are recognised. */
export type Why = 'agent-silent' | 'agent-credentials' | 'agent-unreadable' | 'unreachable' | 'timeout' | 'refused' | 'auth' | 'no-reading';

/** A number taken from the check's words, to say how bad (or how good again) it is. */
export type Reading =
  | { kind: 'count'; count: number; limit?: number | undefined }
  | { kind: 'disk'; percent: number; path: string; inodes: boolean }
  | { kind: 'value'; shown: string };

export type Matter =
  | { kind: 'refused' | 'timeout' | 'slow' | 'auth' | 'unreachable' | 'other' }
  /** A measured quantity over its warning or critical level. */
  | { kind: 'over'; warning: boolean; reading?: Reading | undefined }
  /** Nothing was measured: the check's meaning (full, over the limit) is not implied. */
  | { kind: 'unreadable'; why: Why };

/**
 * A check name that says mail queue (`mail-queue`, `Mail Queue`, `mailq`): triage reads check
 * names the same way (src/triage/rules.ts, `mailQueueHint`).
 */
const MAIL_QUEUE_NAME = /mail[\s_-]*q(?:ueue)?\b|mailq/i;
/** snmp check names that stand for the agent itself rather than a value it serves. */
const AGENT_NAME = /^(?:snmpd?|snmp[\s_-]*agent|agent|(?:sys)?uptime)$/i;

/** The subject of a member, from its check alone (never from the state or the text). */
export function subjectOf(m: Pick<IncidentMember, 'kind' | 'probe' | 'label'>): Subject {
  if (m.kind !== 'service') return { kind: 'server' };
  if (m.probe === 'mailq' || MAIL_QUEUE_NAME.test(m.label)) return { kind: 'mail-queue' };
  if (m.probe === 'disk' || m.probe === 'disk-snmp') return { kind: 'disk' };
  if (m.probe === 'snmp') return AGENT_NAME.test(m.label) ? { kind: 'snmp-agent' } : { kind: 'snmp-value', label: m.label };
  return { kind: 'service', probe: m.probe, label: m.label };
}

/** Subjects that are a measured quantity: their bad news is "over the limit", not "down". */
const quantities = new Set<Subject['kind']>(['disk', 'mail-queue', 'snmp-value']);

const SNMP_SILENT = /Timeout|No Response|No data received/i;
const SNMP_CREDENTIALS = /Unknown user name|Authentication failure|security error/i;
const AUTH = /\bauth|login|password|access denied/i;

function why(kind: string, text: string): Why {
  if (kind === 'snmp-agent-error') return SNMP_SILENT.test(text) ? 'agent-silent' : SNMP_CREDENTIALS.test(text) ? 'agent-credentials' : 'agent-unreadable';
  if (kind === 'host-unreachable') return 'unreachable';
  if (kind === 'service-timeout') return 'timeout';
  if (kind === 'service-refused') return 'refused';
  if (AUTH.test(text)) return 'auth';
  return 'no-reading';
}

/** What is wrong with a member that is still a problem. */
export function matterOf(m: Pick<IncidentMember, 'kind' | 'probe' | 'label' | 'state' | 'text'>, subject: Subject = subjectOf(m)): Matter {
  const state = stateByName(m.state) ?? NagiosState.CRITICAL;
  // An ingested alert's member has no probe of ours; triage reads its text and name all the same.
  const kind = classify({ probeType: m.probe ?? 'nagios-plugin', state, text: m.text, check: m.label }).kind;
  const unknown = state === NagiosState.UNKNOWN;
  if (subject.kind === 'snmp-agent') {
    if (kind === 'snmp-agent-error') {
      const w = why(kind, m.text);
      return { kind: w === 'agent-silent' ? 'timeout' : w === 'agent-credentials' ? 'auth' : 'other' };
    }
    if (kind === 'service-timeout') return { kind: 'timeout' };
    if (kind === 'host-unreachable') return { kind: 'unreachable' };
    const value = starred(m.text);
    return !unknown && value !== undefined ? { kind: 'over', warning: state === NagiosState.WARNING, reading: { kind: 'value', shown: value } } : { kind: 'other' };
  }
  if (quantities.has(subject.kind)) {
    const over = !unknown && (subject.kind === 'disk' ? kind === 'disk-full' : subject.kind === 'mail-queue' ? kind === 'mail-queue' : starred(m.text) !== undefined);
    return over ? { kind: 'over', warning: state === NagiosState.WARNING, reading: readingOf(subject, m.text, state) } : { kind: 'unreadable', why: why(kind, m.text) };
  }
  if (unknown) return { kind: 'unreadable', why: why(kind, m.text) };
  switch (kind) {
    case 'service-refused':
      return { kind: 'refused' };
    case 'service-timeout':
      return { kind: 'timeout' };
    case 'service-slow':
      return { kind: 'slow' };
    case 'host-unreachable':
      return { kind: 'unreachable' };
    default:
      return { kind: AUTH.test(m.text) ? 'auth' : 'other' };
  }
}

/** check_snmp's starred value (`SNMP CRITICAL - *1500*`): the one over its threshold. */
function starred(text: string): string | undefined {
  const m = /\*("?)([^*]*?)\1\*/.exec(text);
  return m ? m[2] : undefined;
}

/** The perfdata after `|`, when the text carries it (alerts ingested from Nagios do). */
function perfLimit(text: string, state: NagiosState): number | undefined {
  const bar = text.indexOf('|');
  if (bar === -1) return undefined;
  const [p] = parsePerfdataLenient(text.slice(bar + 1).split('\n')[0]!).perfdata;
  const range = state === NagiosState.WARNING ? p?.warn : (p?.crit ?? p?.warn);
  return range && !range.inside && Number.isFinite(range.end) ? range.end : undefined;
}

/**
 * The number in the check's words: the queue's length and its limit (check_mailq's `mailq is
 * 1500 (threshold c = 1000)`, check_snmp's `*1500*` with the limit from perfdata when given), the
 * fullest filesystem (`[Disk use 95% /var]`), or the value over its range.
 */
export function readingOf(subject: Subject, text: string, state: NagiosState = NagiosState.OK): Reading | undefined {
  if (subject.kind === 'disk') {
    let worst: Reading | undefined;
    for (const m of text.matchAll(/\[(Disk|Inum) use (\d+)% ([^\]]+)\]/g)) {
      const percent = Number(m[2]);
      if (!worst || (worst.kind === 'disk' && percent > worst.percent)) worst = { kind: 'disk', percent, path: m[3]!.trim(), inodes: m[1] === 'Inum' };
    }
    return worst;
  }
  if (subject.kind === 'mail-queue') {
    if (/queue is empty/i.test(text)) return { kind: 'count', count: 0 };
    const mailq = /mailq (?:is |\()(\d+)\)?(?: \(threshold [cw] = (\d+)\))?/i.exec(text);
    if (mailq) return { kind: 'count', count: Number(mailq[1]), limit: mailq[2] === undefined ? undefined : Number(mailq[2]) };
    const value = starred(text) ?? /^\s*SNMP OK - "?(\d+)"?/.exec(text)?.[1];
    if (value !== undefined && /^\d+$/.test(value)) return { kind: 'count', count: Number(value), limit: perfLimit(text, state) };
    return undefined;
  }
  const value = starred(text);
  return value === undefined ? undefined : { kind: 'value', shown: value };
}

/**
 * Members and the SNMP agent they are read through: `agent`, the member is the agent itself;
 * `unreadable`, its reading was lost because the agent does not answer (or refuses mamoru). The
 * incidents room keeps such readings quiet while the agent's own problem is the news.
 */
export const agentCause = {
  agent: (m: IncidentMember): boolean => m.kind === 'service' && subjectOf(m).kind === 'snmp-agent',
  unreadable: (m: IncidentMember): boolean => {
    if (m.kind !== 'service' || m.recoveredAt !== undefined) return false;
    const matter = matterOf(m);
    return matter.kind === 'unreadable' && matter.why.startsWith('agent-');
  },
};
