/**
 * The notification judgement for one service, pure: `transition(state, input, policy, now)`
 * returns the new state and the effects the caller performs (send, re-check, wake me at).
 *
 * It works by reconciliation: the state remembers what people were last told (`notified`), and
 * after every input the engine compares that with the current hard state. When nothing suppresses
 * notifications (soft state, flapping, downtime, host not UP, awaiting a re-check) and the two
 * differ, it tells. That one rule gives the corner cases users want: a recovery hidden by flapping
 * or downtime comes out when they end, a problem still there when a downtime ends is sent then,
 * and a problem that came and went while suppressed is never sent at all.
 *
 * Acknowledgement is sticky (Nagios `sticky=2`): it stays through WARNING <-> CRITICAL changes and
 * is cleared only by OK. While acknowledged no problem, reminder or escalation is sent.
 */
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';
import { initialState as initialCheckState, nextState, type CheckState } from './check-state.ts';
import { activeDowntime, nextDowntimeBoundary, type Downtime } from './downtime.ts';
import { defaultFlapPolicy, initialFlapState, recordFlap, type FlapPolicy, type FlapState } from './flapping.ts';
import type { HostStatus } from './host-state.ts';

export interface Escalation {
  /** Time since the problem was first notified, unacknowledged, after which this level is reached. */
  afterMs: number;
  /** 1 for the first further contact, 2 for the next... Who they are is the contacts' business. */
  level: number;
}

export interface ServicePolicy {
  maxAttempts: number;
  /** Re-send the problem at this interval while it stays unacknowledged; 0 = never. @defaultValue 0 */
  reminderIntervalMs: number;
  escalations: Escalation[];
  flap: FlapPolicy | null;
  downtimes: Downtime[];
}

export const defaultServicePolicy: ServicePolicy = { maxAttempts: 3, reminderIntervalMs: 0, escalations: [], flap: defaultFlapPolicy, downtimes: [] };

export interface ServiceState {
  check: CheckState;
  flap: FlapState;
  host: HostStatus;
  /** Set when the host came back: hold everything until this service's next result. */
  awaitingRecheck: boolean;
  inDowntime: boolean;
  /** What people were last told: OK (nothing open) or the problem state they know of. */
  notified: NagiosState;
  /** When the open problem was first notified; reminders and escalations count from here. */
  problemNotifiedAt: number | null;
  lastNotifiedAt: number | null;
  escalationLevel: number;
  ack: { by: string; comment: string; at: number } | null;
}

export type ServiceInput =
  | { kind: 'result'; result: CheckResult }
  /** Time passed (the caller wakes the engine when asked to, and may at any other time). */
  | { kind: 'tick' }
  | { kind: 'ack'; by: string; comment: string }
  | { kind: 'host'; status: HostStatus };

export type SuppressReason = 'flapping' | 'downtime' | 'host-down' | 'awaiting-recheck' | 'acknowledged';

export type ServiceEffect =
  | { type: 'notify'; kind: 'problem' | 'recovery' | 'reminder'; state: NagiosState; escalationLevel: number }
  | { type: 'notify'; kind: 'acknowledgement'; state: NagiosState; by: string; comment: string }
  | { type: 'notify'; kind: 'flapping-start' | 'flapping-stop'; state: NagiosState; percent: number }
  | { type: 'notify'; kind: 'downtime-start' | 'downtime-end'; state: NagiosState }
  | { type: 'escalate'; level: number; state: NagiosState }
  /** A hard change nobody is told about now, with why; `foldedInto: 'host'` when the host's incident covers it. */
  | { type: 'suppressed'; reason: SuppressReason; state: NagiosState; foldedInto?: 'host' }
  | { type: 'recheck' }
  | { type: 'wake'; at: number };

export function initialServiceState(now: number): ServiceState {
  return { check: initialCheckState(now), flap: initialFlapState(), host: 'UP', awaitingRecheck: false, inDowntime: false, notified: NagiosState.OK, problemNotifiedAt: null, lastNotifiedAt: null, escalationLevel: 0, ack: null };
}

function suppression(s: ServiceState): SuppressReason | null {
  if (s.host !== 'UP') return 'host-down';
  if (s.awaitingRecheck) return 'awaiting-recheck';
  if (s.inDowntime) return 'downtime';
  if (s.flap.flapping) return 'flapping';
  return null;
}

/** One step of the engine. */
export function transition(prev: ServiceState, input: ServiceInput, policy: ServicePolicy, now: number): { state: ServiceState; effects: ServiceEffect[] } {
  let s: ServiceState = { ...prev };
  const effects: ServiceEffect[] = [];
  let hardChange = false;

  // Downtime boundaries are noticed on any input, ticks included.
  const inDowntime = activeDowntime(policy.downtimes, now) !== undefined;
  if (inDowntime !== s.inDowntime) {
    s.inDowntime = inDowntime;
    if (s.host === 'UP') effects.push({ type: 'notify', kind: inDowntime ? 'downtime-start' : 'downtime-end', state: s.check.state });
  }

  switch (input.kind) {
    case 'result': {
      const out = nextState(s.check, input.result, policy.maxAttempts, now);
      s.check = out.state;
      s.awaitingRecheck = false;
      hardChange = out.transition?.type === 'hard' && out.state.stateType === 'hard';
      if (policy.flap) {
        const f = recordFlap(s.flap, input.result.state, policy.flap);
        s.flap = f.state;
        const quiet = s.host !== 'UP' || s.inDowntime;
        if (f.started && !quiet) effects.push({ type: 'notify', kind: 'flapping-start', state: s.check.state, percent: f.state.percent });
        if (f.stopped && !quiet) effects.push({ type: 'notify', kind: 'flapping-stop', state: s.check.state, percent: f.state.percent });
      }
      if (s.check.state === NagiosState.OK) s.ack = null;
      break;
    }
    case 'ack':
      if (s.check.state !== NagiosState.OK && !s.ack) {
        s.ack = { by: input.by, comment: input.comment, at: now };
        if (s.notified !== NagiosState.OK) effects.push({ type: 'notify', kind: 'acknowledgement', state: s.check.state, by: input.by, comment: input.comment });
      }
      break;
    case 'host':
      if (input.status === 'UP' && s.host !== 'UP') {
        // Whatever we knew of this service is stale: look again before saying anything.
        s.awaitingRecheck = true;
        effects.push({ type: 'recheck' });
      }
      s.host = input.status;
      break;
    case 'tick':
      break;
  }

  reconcile(s, policy, now, hardChange, effects);
  const wake = nextWake(s, policy, now);
  if (wake !== undefined) effects.push({ type: 'wake', at: wake });
  return { state: s, effects };
}

function reconcile(s: ServiceState, policy: ServicePolicy, now: number, hardChange: boolean, effects: ServiceEffect[]): void {
  const current = s.check.stateType === 'hard' ? s.check.state : s.notified;
  const reason = suppression(s);
  if (current !== s.notified) {
    if (reason) {
      if (hardChange) effects.push({ type: 'suppressed', reason, state: current, ...(reason === 'host-down' ? { foldedInto: 'host' as const } : {}) });
      return;
    }
    if (current === NagiosState.OK) {
      effects.push({ type: 'notify', kind: 'recovery', state: current, escalationLevel: s.escalationLevel });
      Object.assign(s, { notified: current, problemNotifiedAt: null, lastNotifiedAt: now, escalationLevel: 0 });
      return;
    }
    if (s.notified !== NagiosState.OK && s.ack) {
      // A sticky ack covers WARNING <-> CRITICAL: remember the new state, tell no one.
      if (hardChange) effects.push({ type: 'suppressed', reason: 'acknowledged', state: current });
      s.notified = current;
      return;
    }
    effects.push({ type: 'notify', kind: 'problem', state: current, escalationLevel: s.escalationLevel });
    Object.assign(s, { notified: current, problemNotifiedAt: s.problemNotifiedAt ?? now, lastNotifiedAt: now });
    return;
  }
  if (reason || s.ack || s.notified === NagiosState.OK || s.problemNotifiedAt === null) return;
  // An open, told, unacknowledged problem: escalations first, then reminders.
  const due = policy.escalations.filter((e) => e.level > s.escalationLevel && now >= s.problemNotifiedAt! + e.afterMs).sort((a, b) => a.level - b.level);
  const top = due[due.length - 1];
  if (top) {
    s.escalationLevel = top.level;
    effects.push({ type: 'escalate', level: top.level, state: s.notified });
    effects.push({ type: 'notify', kind: 'problem', state: s.notified, escalationLevel: top.level });
    s.lastNotifiedAt = now;
    return;
  }
  if (policy.reminderIntervalMs > 0 && s.lastNotifiedAt !== null && now >= s.lastNotifiedAt + policy.reminderIntervalMs) {
    effects.push({ type: 'notify', kind: 'reminder', state: s.notified, escalationLevel: s.escalationLevel });
    s.lastNotifiedAt = now;
  }
}

/** When the engine next has something to do without a new result: a reminder, an escalation, a downtime edge. */
function nextWake(s: ServiceState, policy: ServicePolicy, now: number): number | undefined {
  const times: number[] = [];
  const edge = nextDowntimeBoundary(policy.downtimes, now);
  if (edge !== undefined) times.push(edge);
  if (s.notified !== NagiosState.OK && !s.ack && s.problemNotifiedAt !== null) {
    for (const e of policy.escalations) if (e.level > s.escalationLevel) times.push(s.problemNotifiedAt + e.afterMs);
    if (policy.reminderIntervalMs > 0 && s.lastNotifiedAt !== null) times.push(s.lastNotifiedAt + policy.reminderIntervalMs);
  }
  const future = times.filter((t) => t > now);
  return future.length ? Math.min(...future) : undefined;
}
