/**
 * The whole state engine for a set of targets, still pure (no I/O, time passed in): the host
 * engine for each target's host check, the service engine for every other check, and the link
 * between them (a host's status is passed to its services). Its output is a list of events in
 * the incident's terms; the caller stores them, re-runs checks and sets wake-up timers.
 */
import { NagiosState, stateName } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';
import type { CheckState } from './check-state.ts';
import { computeStatuses, initialHostsState, rootCauses, transitionHosts, type HostStatus, type HostsPolicy, type HostsState } from './host-state.ts';
import { initialServiceState, transition, type ServiceEffect, type ServicePolicy, type ServiceState, type SuppressReason } from './service-engine.ts';
import { activeDowntime } from './downtime.ts';

export interface EngineCheck {
  id: string;
  target: string;
  name: string;
  probe: string;
  /** The check that says whether the target itself is up. */
  isHostCheck: boolean;
  policy: ServicePolicy;
}

/** What an event is about: the target itself, or one of its checks. */
export type Subject = { kind: 'host' } | { kind: 'service'; checkId: string; name: string; probe: string };

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
  | { type: 'suppressed'; target: string; subject: Subject; reason: SuppressReason | 'unreachable' | 'awaiting-recheck'; state: string; text: string }
  | { type: 'flapping'; target: string; subject: Subject; started: boolean; percent: number }
  | { type: 'downtime'; target: string; subject: Subject; started: boolean }
  | { type: 'recheck'; checkIds: string[] }
  | { type: 'wake'; checkId: string; at: number };

const hostStateName = (s: HostStatus) => s;

/** Longest a problem waits for its host's or a parent's unconfirmed check before it is told anyway. */
export const HOLD_MAX_MS = 60_000;

/** A problem waiting for the hosts it depends on to be confirmed up or down. */
interface Held {
  event: ProblemEvent;
  since: number;
  checkId: string;
}

export class StateEngine {
  private checks = new Map<string, EngineCheck>();
  private services = new Map<string, ServiceState>();
  private hosts: HostsState = {};
  private hostsPolicy: HostsPolicy = {};
  /** target -> its host check id */
  private hostCheckOf = new Map<string, string>();
  /** Problems held back until the hosts they depend on are confirmed (keyed by check id). */
  private held = new Map<string, Held>();

  /** Installs (or re-installs after a reload) the checks and the parent graph; known state is kept. */
  configure(checks: readonly EngineCheck[], parents: Record<string, string[]>, now: number): void {
    this.checks = new Map(checks.map((c) => [c.id, c]));
    this.hostCheckOf = new Map(checks.filter((c) => c.isHostCheck).map((c) => [c.target, c.id]));
    const policy: HostsPolicy = {};
    for (const [target, ps] of Object.entries(parents)) {
      const hc = this.hostCheckOf.get(target);
      policy[target] = { parents: ps, maxAttempts: hc ? this.checks.get(hc)!.policy.maxAttempts : 1 };
    }
    this.hostsPolicy = policy;
    const fresh = initialHostsState(policy, now);
    for (const name of Object.keys(fresh)) if (this.hosts[name]) fresh[name] = this.hosts[name]!;
    this.hosts = fresh;
    const services = new Map<string, ServiceState>();
    for (const c of checks) if (!c.isHostCheck) services.set(c.id, this.services.get(c.id) ?? initialServiceState(now));
    this.services = services;
  }

  /**
   * After a restart: the check states from the store, and which problems people were told of
   * (the members of open incidents), so nothing is sent twice and nothing is forgotten.
   */
  restore(states: ReadonlyMap<string, CheckState>, told: ReadonlySet<string>): void {
    for (const [id, st] of states) {
      const c = this.checks.get(id);
      if (!c) continue;
      if (c.isHostCheck) {
        const h = this.hosts[c.target];
        if (h) h.check = { ...st, state: hostView(st.state) };
      } else {
        const s = this.services.get(id);
        if (s) this.services.set(id, { ...s, check: st, notified: told.has(id) ? (st.state === NagiosState.OK ? NagiosState.CRITICAL : st.state) : NagiosState.OK });
      }
    }
    const statuses = computeStatuses(this.hosts, this.hostsPolicy);
    for (const [name, h] of Object.entries(this.hosts)) {
      h.status = statuses[name]!;
      h.notified = told.has(`host:${name}`) ? 'DOWN' : h.status === 'DOWN' ? 'UP' : h.status;
    }
    for (const [id, s] of this.services) this.services.set(id, { ...s, host: this.hosts[this.checks.get(id)!.target]?.status ?? 'UP' });
  }

  /** The hard states people were last told of, per member key (for tests and the status page). */
  notified(checkId: string): string | undefined {
    const c = this.checks.get(checkId);
    if (!c) return undefined;
    if (c.isHostCheck) return this.hosts[c.target]?.notified;
    const s = this.services.get(checkId);
    return s ? stateName(s.notified) : undefined;
  }

  onResult(checkId: string, result: CheckResult, now: number): EngineEvent[] {
    const c = this.checks.get(checkId);
    if (!c) return [];
    const out = c.isHostCheck ? this.hostResult(c, result, now) : this.service(c, { kind: 'result', result }, now);
    return this.holdAndRelease(out, now);
  }

  /**
   * A problem is not told while the host it runs on, or a host in front of it, is failing but not
   * yet confirmed (soft): those hosts are re-checked at once, and the problem is told, folded into
   * the host's incident, or dropped when they are. This is what keeps a dead router from sending
   * one message per server behind it when the servers' checks happen to fail first.
   */
  private holdAndRelease(events: EngineEvent[], now: number): EngineEvent[] {
    const out: EngineEvent[] = [];
    const rechecks = new Set<string>();
    for (const e of events) {
      if (e.type === 'problem' && e.level === 0) {
        // A service looks at its own host (and behind it only if that fails); a host at its parents.
        const waits = this.unconfirmed(e.subject.kind === 'service' ? [e.target] : (this.hostsPolicy[e.target]?.parents ?? []), now);
        if (waits.length) {
          const checkId = e.subject.kind === 'service' ? e.subject.checkId : this.hostCheckOf.get(e.target)!;
          this.held.set(checkId, { event: e, since: now, checkId });
          for (const w of waits) rechecks.add(this.hostCheckOf.get(w)!);
          continue;
        }
      }
      out.push(e);
    }
    for (const [id, h] of this.held) {
      if (h.since === now && events.includes(h.event)) continue;
      const r = this.release(h, now);
      if (r === 'wait') continue;
      this.held.delete(id);
      out.push(...r);
    }
    if (rechecks.size) out.push({ type: 'recheck', checkIds: [...rechecks] });
    return out;
  }

  /**
   * Hosts among these (and, behind a failing one, its ancestors) whose host check has not spoken
   * since `since` or is failing but not yet hard: the ones to look at before telling anyone.
   */
  private unconfirmed(names: string[], since: number, seen = new Set<string>()): string[] {
    const out: string[] = [];
    for (const n of names) {
      if (seen.has(n)) continue;
      seen.add(n);
      const h = this.hosts[n];
      if (!h || !this.hostCheckOf.has(n)) continue;
      const failing = h.check.state !== NagiosState.OK;
      if (h.check.lastCheck < since || (failing && h.check.stateType === 'soft')) out.push(n);
      else if (failing) out.push(...this.unconfirmed(this.hostsPolicy[n]?.parents ?? [], since, seen));
    }
    return out;
  }

  private release(h: Held, now: number): EngineEvent[] | 'wait' {
    const e = h.event;
    const host = this.hosts[e.target];
    if (e.subject.kind === 'host') {
      if (!host || host.status === 'UP') return [];
      if (host.status === 'UNREACHABLE') {
        host.notified = 'UNREACHABLE';
        return [{ type: 'folded', target: e.target, into: rootCauses(e.target, computeStatuses(this.hosts, this.hostsPolicy), this.hostsPolicy), text: e.text }];
      }
      return this.unconfirmed(this.hostsPolicy[e.target]?.parents ?? [], h.since).length && now - h.since < HOLD_MAX_MS ? 'wait' : [e];
    }
    const svc = this.services.get(h.checkId);
    if (!svc) return [];
    if (svc.host !== 'UP' || svc.check.state === NagiosState.OK) {
      // Not told after all: forget it was, so a problem still there later is told then.
      this.services.set(h.checkId, { ...svc, notified: NagiosState.OK, problemNotifiedAt: null, lastNotifiedAt: null });
      return svc.host !== 'UP' ? [{ type: 'suppressed', target: e.target, subject: e.subject, reason: 'host-down', state: e.state, text: e.text }] : [];
    }
    return this.unconfirmed([e.target], h.since).length && now - h.since < HOLD_MAX_MS ? 'wait' : [{ ...e, text: svc.check.text }];
  }

  /** Time passed for one check (the caller wakes it when asked to by a `wake` event). */
  tick(checkId: string, now: number): EngineEvent[] {
    const c = this.checks.get(checkId);
    return c && !c.isHostCheck ? this.service(c, { kind: 'tick' }, now) : [];
  }

  /** A person takes a problem: every failing service of the target is acknowledged. */
  acknowledge(target: string, by: string, comment: string, now: number): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (const c of this.checks.values()) if (c.target === target && !c.isHostCheck) out.push(...this.service(c, { kind: 'ack', by, comment }, now));
    return out;
  }

  private hostResult(c: EngineCheck, result: CheckResult, now: number): EngineEvent[] {
    // A slow ping is a service matter; for the host, WARNING still means up (as Nagios treats it).
    const seen = { ...result, state: hostView(result.state) };
    const { state, effects } = transitionHosts(this.hosts, { host: c.target, result: seen }, this.hostsPolicy, now);
    this.hosts = state;
    const out: EngineEvent[] = [];
    const hostDowntime = activeDowntime(c.policy.downtimes, now) !== undefined;
    for (const e of effects) {
      switch (e.type) {
        case 'host-status':
          for (const s of this.checks.values()) if (s.target === e.host && !s.isHostCheck) out.push(...this.service(s, { kind: 'host', status: e.to }, now));
          break;
        case 'notify': {
          const text = e.host === c.target ? result.text : (this.hosts[e.host]?.check.text ?? '');
          const state = hostStateName(e.status);
          if (e.kind === 'host-problem' && hostDowntime && e.host === c.target) out.push({ type: 'suppressed', target: e.host, subject: { kind: 'host' }, reason: 'downtime', state, text });
          else if (e.kind === 'host-problem') out.push({ type: 'problem', target: e.host, subject: { kind: 'host' }, state, text, level: 0 });
          else out.push({ type: 'recovery', target: e.host, subject: { kind: 'host' }, state, text, level: 0 });
          break;
        }
        case 'suppressed':
          if (e.reason === 'unreachable') out.push({ type: 'folded', target: e.host, into: e.foldedInto, text: this.hosts[e.host]?.check.text ?? '' });
          else out.push({ type: 'suppressed', target: e.host, subject: { kind: 'host' }, reason: e.reason, state: e.status, text: '' });
          break;
        case 'recheck': {
          const hc = this.hostCheckOf.get(e.host);
          if (hc) out.push({ type: 'recheck', checkIds: [hc] });
          break;
        }
      }
    }
    return out;
  }

  private service(c: EngineCheck, input: Parameters<typeof transition>[1], now: number): EngineEvent[] {
    const prev = this.services.get(c.id);
    if (!prev) return [];
    const { state, effects } = transition(prev, input, c.policy, now);
    this.services.set(c.id, state);
    const subject: Subject = { kind: 'service', checkId: c.id, name: c.name, probe: c.probe };
    // An escalation comes with the problem re-sent at its level: one event says both.
    const escalated = effects.some((e) => e.type === 'escalate');
    return effects
      .filter((e) => !(escalated && e.type === 'notify' && e.kind === 'problem'))
      .map((e) => serviceEvent(c, subject, e, state.check.text)).filter((e): e is EngineEvent => e !== undefined);
  }
}

function hostView(s: NagiosState): NagiosState {
  return s === NagiosState.WARNING ? NagiosState.OK : s;
}

function serviceEvent(c: EngineCheck, subject: Subject, e: ServiceEffect, text: string): EngineEvent | undefined {
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
