/**
 * The state engine's vocabulary: the checks it is told about and the events it says, in the
 * incident's terms, and how a service engine's effect becomes one (engine.ts uses these; the
 * incidents room and the daemon read them).
 */
import { NagiosState, stateName } from '../core/nagios.ts';
import type { ServiceEffect, ServicePolicy, SuppressReason } from './service-engine.ts';

export interface EngineCheck {
  id: string;
  target: string;
  name: string;
  probe: string;
  /** The check that says whether the target itself is up. */
  isHostCheck: boolean;
  policy: ServicePolicy;
  /**
   * The check this one is a twin of: the same service (same port, same address or a parent) seen
   * through another target, whose incident a problem here joins when that check fails too.
   */
  primary?: string | undefined;
}

/** What an event is about: the target itself, or one of its checks. */
export type Subject = { kind: 'host' } | ServiceSubject;
export type ServiceSubject = { kind: 'service'; checkId: string; name: string; probe: string };

/** Why a service problem is told inside another target's incident: its target is `behind` a down parent, or it is the `twin` of a failing check there. */
export type FoldReason = 'behind' | 'twin';

export interface ProblemEvent {
  type: 'problem';
  target: string;
  subject: Subject;
  state: string;
  text: string;
  level: number;
}

export type EngineEvent =
  | ProblemEvent
  | { type: 'recovery' | 'reminder'; target: string; subject: Subject; state: string; text: string; level: number }
  | { type: 'escalation'; target: string; subject: Subject; state: string; text: string; level: number }
  | { type: 'acknowledged'; target: string; subject: Subject; state: string; by: string; comment: string }
  /** A host that went UNREACHABLE behind `into`, whose incident covers it. */
  | { type: 'folded'; target: string; into: string[]; text: string }
  /**
   * A service problem that is a member of the incident(s) of `into` instead of an incident of its
   * own: `behind` (its target has no host check and every parent is down; one member per target,
   * `target:NAME`) or `twin` (the same service as `primary`, failing too; member key = check id).
   */
  | { type: 'folded-service'; how: FoldReason; target: string; subject: ServiceSubject; into: string[]; primary?: string | undefined; state: string; text: string }
  /** A folded member is over: the target behind can be reached again, or the twin's problem is gone. `key` is the member's. */
  | { type: 'unfolded'; how: FoldReason; target: string; key: string; text: string }
  | { type: 'suppressed'; target: string; subject: Subject; reason: SuppressReason | 'unreachable' | 'awaiting-recheck'; state: string; text: string }
  | { type: 'flapping'; target: string; subject: Subject; started: boolean; percent: number }
  | { type: 'downtime'; target: string; subject: Subject; started: boolean }
  | { type: 'recheck'; checkIds: string[] }
  | { type: 'wake'; checkId: string; at: number };

/** A host check's WARNING counts as UP for the host (as in Nagios). */
export function hostView(s: NagiosState): NagiosState {
  return s === NagiosState.WARNING ? NagiosState.OK : s;
}

/** The event a service engine's effect stands for (none for effects that are not news). */
export function serviceEvent(c: EngineCheck, subject: Subject, e: ServiceEffect, text: string): EngineEvent | undefined {
  const target = c.target;
  switch (e.type) {
    case 'notify':
      switch (e.kind) {
        case 'problem':
          return { type: 'problem', target, subject, state: stateName(e.state), text, level: e.escalationLevel };
        case 'recovery':
        case 'reminder':
          return { type: e.kind, target, subject, state: stateName(e.state), text, level: e.escalationLevel };
        case 'acknowledgement':
          return { type: 'acknowledged', target, subject, state: stateName(e.state), by: e.by, comment: e.comment };
        case 'flapping-start':
        case 'flapping-stop':
          return { type: 'flapping', target, subject, started: e.kind === 'flapping-start', percent: e.percent };
        case 'downtime-start':
        case 'downtime-end':
          return { type: 'downtime', target, subject, started: e.kind === 'downtime-start' };
      }
      return undefined;
    case 'escalate':
      return { type: 'escalation', target, subject, state: stateName(e.state), text, level: e.level };
    case 'suppressed':
      return { type: 'suppressed', target, subject, reason: e.reason, state: stateName(e.state), text };
    case 'recheck':
      return { type: 'recheck', checkIds: [c.id] };
    case 'wake':
      return { type: 'wake', checkId: c.id, at: e.at };
  }
}
