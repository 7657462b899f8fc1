/**
 * The whole state engine for a set of targets, still pure (no I/O, time passed in): the host
 * engine for each target's host check, the service engine for every other check, and the link
 * between them (a host's status is passed to its services). Its output is a list of events in
 * the incident's terms; the caller stores them, re-runs checks and sets wake-up timers.
 */
import { NagiosState, stateName } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';
import type { CheckState } from './check-state.ts';
import { computeStatuses, initialHostsState, reachStatuses, rootCauses, transitionHosts, type HostStatus, type HostsPolicy, type HostsState } from './host-state.ts';
import { initialServiceState, transition, type ServiceState } from './service-engine.ts';
import { hostView, serviceEvent, type EngineCheck, type EngineEvent, type FoldReason, type ProblemEvent, type Subject } from './engine-events.ts';
import { activeDowntime } from './downtime.ts';

export type { EngineCheck, EngineEvent, FoldReason, ProblemEvent, ServiceSubject, Subject } from './engine-events.ts';

const NONE = Object.freeze([]) as unknown as EngineEvent[]; // what most results yield: one shared list, frozen so a push throws

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
  /** target -> its checks, in config order: a host's change reaches its services without a scan of every check. */
  private byTarget = new Map<string, EngineCheck[]>();
  private services = new Map<string, ServiceState>();
  private hosts: HostsState = {};
  private hostsPolicy: HostsPolicy = {};
  /** target -> its host check id */
  private hostCheckOf = new Map<string, string>();
  /** Problems held back until the hosts they depend on are confirmed (keyed by check id). */
  private held = new Map<string, Held>();
  /** Checks whose problem is a member of another target's incident (folded-service), and where. */
  private folded = new Map<string, { how: FoldReason; into: string[] }>();
  /** Targets without a host check whose `target:NAME` member is open in a parent's incident. */
  private behindTold = new Set<string>();
  /** When each service's host (or parents) came back, until a result started after that arrives. */
  private backSince = new Map<string, number>();

  /** Installs (or re-installs after a reload) the checks and the parent graph; known state is kept. */
  configure(checks: readonly EngineCheck[], parents: Record<string, string[]>, now: number): void {
    this.checks = new Map(checks.map((c) => [c.id, c]));
    this.byTarget = new Map();
    for (const c of checks) (this.byTarget.get(c.target) ?? this.byTarget.set(c.target, []).get(c.target)!).push(c);
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
    for (const id of this.folded.keys()) if (!services.has(id)) this.folded.delete(id);
  }

  /**
   * After a restart: the check states from the store, and which problems people were told of
   * (the members of open incidents), so nothing is sent twice and nothing is forgotten; problems
   * a person had acknowledged stay acknowledged (no reminder or escalation) until they recover.
   */
  restore(states: ReadonlyMap<string, CheckState>, told: ReadonlySet<string>, acks: ReadonlyMap<string, { by: string; comment: string; at: number }> = new Map()): void {
    for (const [id, st] of states) {
      const c = this.checks.get(id);
      if (!c) continue;
      if (c.isHostCheck) {
        const h = this.hosts[c.target];
        if (h) h.check = { ...st, state: hostView(st.state) };
      } else {
        const s = this.services.get(id);
        const ack = st.state !== NagiosState.OK ? (acks.get(id) ?? null) : null;
        if (s) this.services.set(id, { ...s, check: st, notified: told.has(id) ? (st.state === NagiosState.OK ? NagiosState.CRITICAL : st.state) : NagiosState.OK, ack });
      }
    }
    const statuses = computeStatuses(this.hosts, this.hostsPolicy);
    for (const [name, h] of Object.entries(this.hosts)) {
      h.status = statuses[name]!;
      h.notified = told.has(`host:${name}`) ? 'DOWN' : h.status === 'DOWN' ? 'UP' : h.status;
    }
    const reach = this.reach();
    for (const [id, s] of this.services) this.services.set(id, { ...s, host: reach[this.checks.get(id)!.target] ?? 'UP' });
    // A target told as unreachable behind its parent: its failing checks are still folded there.
    for (const key of told) {
      if (!key.startsWith('target:')) continue;
      const target = key.slice('target:'.length);
      this.behindTold.add(target);
      for (const c of this.byTarget.get(target) ?? []) if (!c.isHostCheck && this.services.get(c.id)?.check.state !== NagiosState.OK) this.folded.set(c.id, { how: 'behind', into: [] });
    }
  }

  /** Host statuses, with targets that have no host check reached (or not) through their parents. */
  private reach(): Record<string, HostStatus> {
    return reachStatuses(computeStatuses(this.hosts, this.hostsPolicy), this.hostsPolicy, (n) => this.hostCheckOf.has(n));
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
    const back = this.backSince.get(checkId);
    // Started while its host was still away (a run in flight when it came back): stale, not the re-check.
    if (back !== undefined && result.startedAt < back) return this.holdAndRelease([{ type: 'recheck', checkIds: [checkId] }], now);
    this.backSince.delete(checkId);
    const out = c.isHostCheck ? this.hostResult(c, result, now) : this.service(c, { kind: 'result', result }, now);
    return this.holdAndRelease(out, now);
  }

  /**
   * A problem is not told while the host it runs on, or a host in front of it, is failing but not
   * yet confirmed (soft): those hosts are re-checked at once, and the problem is told, folded into
   * the host's incident, or dropped when they are. This is what keeps a dead router from sending
   * one message per server behind it when the servers' checks happen to fail first. A target with
   * no host check of its own is reached through its parents, so its problems wait for them; and a
   * twin (the same service seen through another target) waits for its primary, re-checked at once.
   */
  private holdAndRelease(events: EngineEvent[], now: number): EngineEvent[] {
    if (events.length === 0 && this.held.size === 0) return events; // the usual result: nothing made for it
    const out: EngineEvent[] = [];
    const rechecks = new Set<string>();
    const fresh = new Set<Held>();
    for (const e of events) {
      if (e.type === 'problem' && e.level === 0) {
        const waits = e.subject.kind === 'service' ? this.serviceWaits(e.target, e.subject.checkId, now) : this.unconfirmed(this.hostsPolicy[e.target]?.parents ?? [], now).map((h) => this.hostCheckOf.get(h)!);
        const checkId = e.subject.kind === 'service' ? e.subject.checkId : this.hostCheckOf.get(e.target)!;
        if (waits.length) {
          const h = { event: e, since: now, checkId };
          this.held.set(checkId, h);
          fresh.add(h);
          for (const w of waits) rechecks.add(w);
          continue;
        }
        if (e.subject.kind === 'service') {
          out.push(...this.settle(e, checkId));
          continue;
        }
      }
      out.push(e);
    }
    // Releasing one problem (a primary told) can settle another (its twin): again until nothing moves.
    for (let moved = true; moved; ) {
      moved = false;
      for (const [id, h] of this.held) {
        if (fresh.has(h)) continue;
        const r = this.release(h, now);
        if (r === 'wait') continue;
        this.held.delete(id);
        out.push(...r);
        moved = true;
      }
    }
    if (rechecks.size) out.push({ type: 'recheck', checkIds: [...rechecks] });
    return out;
  }

  /** Checks to look at before a service problem is told: the host (or the parents) it is reached through, and its primary. */
  private serviceWaits(target: string, checkId: string, since: number): string[] {
    const through = this.hostCheckOf.has(target) ? [target] : (this.hostsPolicy[target]?.parents ?? []);
    const out = this.unconfirmed(through, since).map((h) => this.hostCheckOf.get(h)!);
    const p = this.primaryOf(checkId);
    const ps = p === undefined ? undefined : this.services.get(p);
    if (p && ps && !this.folded.has(checkId)) {
      // Not known to be up or down: stale, still soft, held for its own host, or stale since its host came back.
      const unknown = ps.check.state === NagiosState.OK ? ps.check.lastCheck < since : ps.check.stateType === 'soft' || ps.awaitingRecheck || this.held.has(p);
      if (unknown) out.push(p);
    }
    return out;
  }

  /**
   * Hosts among these (and, behind a failing one, its ancestors) whose host check has not spoken
   * since `since` or is failing but not yet hard: the ones to look at before telling anyone. A
   * target without a host check stands for its parents.
   */
  private unconfirmed(names: string[], since: number, seen = new Set<string>()): string[] {
    const out: string[] = [];
    for (const n of names) {
      if (seen.has(n)) continue;
      seen.add(n);
      const h = this.hosts[n];
      if (!h) continue;
      if (!this.hostCheckOf.has(n)) {
        out.push(...this.unconfirmed(this.hostsPolicy[n]?.parents ?? [], since, seen));
        continue;
      }
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
    // The host (or every parent) is confirmed down, or the problem went away: nothing more to wait for.
    if (svc.host !== 'UP' || svc.check.state === NagiosState.OK) return this.settle(e, h.checkId);
    return this.serviceWaits(e.target, h.checkId, h.since).length && now - h.since < HOLD_MAX_MS ? 'wait' : this.settle(e, h.checkId);
  }

  /**
   * What becomes of a service problem once what it depends on is known: dropped (it went away),
   * suppressed under its down host, folded behind a down parent (a target without a host check),
   * folded into its primary's incident (a twin whose primary fails too), or told on its own.
   */
  private settle(e: ProblemEvent, checkId: string): EngineEvent[] {
    const svc = this.services.get(checkId);
    const c = this.checks.get(checkId);
    if (!svc || !c || e.subject.kind !== 'service') return [];
    const untold = () => this.services.set(checkId, { ...svc, notified: NagiosState.OK, problemNotifiedAt: null, lastNotifiedAt: null });
    if (svc.check.state === NagiosState.OK) {
      // Not told after all: forget it was, so a problem still there later is told then.
      untold();
      return [];
    }
    if (svc.host !== 'UP') {
      untold();
      if (!this.hostCheckOf.has(e.target)) return this.foldBehind(c, e.state, svc.check.text);
      return [{ type: 'suppressed', target: e.target, subject: e.subject, reason: 'host-down', state: e.state, text: e.text }];
    }
    const into = this.twinInto(checkId);
    if (into?.length) {
      this.folded.set(checkId, { how: 'twin', into });
      return [{ type: 'folded-service', how: 'twin', target: e.target, subject: e.subject, into, primary: this.primaryOf(checkId), state: e.state, text: svc.check.text }];
    }
    return [{ ...e, text: svc.check.text }];
  }

  /** The primary of a twin check, when configured and known. */
  private primaryOf(checkId: string): string | undefined {
    const p = this.checks.get(checkId)?.primary;
    return p !== undefined && p !== checkId && this.services.has(p) ? p : undefined;
  }

  /** The targets whose incident a twin's problem joins: where its primary's problem is told, if it is. */
  private twinInto(checkId: string): string[] | undefined {
    const known = this.folded.get(checkId);
    if (known?.how === 'twin') return known.into;
    const p = this.primaryOf(checkId);
    const ps = p === undefined ? undefined : this.services.get(p);
    const pc = p === undefined ? undefined : this.checks.get(p);
    if (!p || !ps || !pc || ps.check.state === NagiosState.OK) return undefined;
    if (ps.notified !== NagiosState.OK && !this.held.has(p)) return [pc.target];
    if (ps.host === 'UP') return undefined;
    // The primary is silenced by its own host's outage: the twin joins the host's incident.
    const reach = this.reach();
    if (reach[pc.target] === 'DOWN') return this.hosts[pc.target]?.notified === 'DOWN' ? [pc.target] : undefined;
    const roots = rootCauses(pc.target, reach, this.hostsPolicy);
    return roots.length ? roots : undefined;
  }

  /** A problem of a target without a host check whose parents are all down: a member of the root cause's incident. */
  private foldBehind(c: EngineCheck, state: string, text: string): EngineEvent[] {
    const into = rootCauses(c.target, this.reach(), this.hostsPolicy);
    this.folded.set(c.id, { how: 'behind', into });
    this.behindTold.add(c.target);
    return [{ type: 'folded-service', how: 'behind', target: c.target, subject: { kind: 'service', checkId: c.id, name: c.name, probe: c.probe }, into, state, text }];
  }

  /** A folded check is over; the `target:NAME` member closes with the last of its target's. */
  private unfold(c: EngineCheck, text: string): EngineEvent[] {
    const was = this.folded.get(c.id);
    this.folded.delete(c.id);
    if (was?.how === 'twin') return [{ type: 'unfolded', how: 'twin', target: c.target, key: c.id, text }];
    if (!this.behindTold.has(c.target)) return [];
    for (const [id, f] of this.folded) if (f.how === 'behind' && this.checks.get(id)?.target === c.target) return [];
    this.behindTold.delete(c.target);
    return [{ type: 'unfolded', how: 'behind', target: c.target, key: `target:${c.target}`, text }];
  }

  /** Time passed for one check (the caller wakes it when asked to by a `wake` event). */
  tick(checkId: string, now: number): EngineEvent[] {
    const c = this.checks.get(checkId);
    return c && !c.isHostCheck ? this.service(c, { kind: 'tick' }, now) : [];
  }

  /** The checks whose problem a person has acknowledged (until they recover). */
  acknowledgedChecks(): string[] {
    const out: string[] = [];
    for (const [id, s] of this.services) if (s.ack) out.push(id);
    return out;
  }

  /** A person takes a problem: every failing service of the target is acknowledged. */
  acknowledge(target: string, by: string, comment: string, now: number): EngineEvent[] {
    const out: EngineEvent[] = [];
    for (const c of this.byTarget.get(target) ?? []) if (!c.isHostCheck) out.push(...this.service(c, { kind: 'ack', by, comment }, now));
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
          for (const s of this.byTarget.get(e.host) ?? []) if (!s.isHostCheck) out.push(...this.service(s, { kind: 'host', status: e.to }, now));
          break;
        case 'notify': {
          const text = e.host === c.target ? result.text : (this.hosts[e.host]?.check.text ?? '');
          const state = e.status;
          if (e.kind === 'host-problem' && hostDowntime && e.host === c.target) out.push({ type: 'suppressed', target: e.host, subject: { kind: 'host' }, reason: 'downtime', state, text });
          else if (e.kind === 'host-problem') out.push({ type: 'problem', target: e.host, subject: { kind: 'host' }, state, text, level: 0 });
          else out.push({ type: 'recovery', target: e.host, subject: { kind: 'host' }, state, text, level: 0 });
          break;
        }
        case 'suppressed':
          if (e.reason === 'unreachable') out.push({ type: 'folded', target: e.host, into: e.foldedInto, text: this.hosts[e.host]?.check.text ?? '' });
          else out.push({ type: 'suppressed', target: e.host, subject: { kind: 'host' }, reason: e.reason, state: e.status, text: '' });
          break;
        case 'recheck':
          if (this.hostCheckOf.has(e.host)) out.push({ type: 'recheck', checkIds: [this.hostCheckOf.get(e.host)!] });
          break;
      }
    }
    // Targets without a host check are up or unreachable with their parents; their services hear it.
    const reach = this.reach();
    for (const [target, list] of this.byTarget) {
      if (this.hostCheckOf.has(target)) continue;
      const to = reach[target] ?? 'UP';
      for (const s of list) {
        const svc = this.services.get(s.id);
        if (!s.isHostCheck && svc && svc.host !== to) out.push(...this.service(s, { kind: 'host', status: to }, now));
      }
    }
    return out;
  }

  private service(c: EngineCheck, input: Parameters<typeof transition>[1], now: number): EngineEvent[] {
    const prev = this.services.get(c.id);
    if (!prev) return [];
    const { state, effects } = transition(prev, input, c.policy, now);
    this.services.set(c.id, state);
    if (input.kind === 'host' && input.status === 'UP' && prev.host !== 'UP') this.backSince.set(c.id, now);
    // The usual result (nothing to tell, nothing folded): no subject or event lists made for it.
    if (effects.length === 0 && !this.folded.has(c.id) && !this.behindTold.has(c.target)) return NONE;
    const subject: Subject = { kind: 'service', checkId: c.id, name: c.name, probe: c.probe };
    // An escalation comes with the problem re-sent at its level: one event says both.
    const escalated = effects.some((e) => e.type === 'escalate');
    const events = effects
      .filter((e) => !(escalated && e.type === 'notify' && e.kind === 'problem'))
      .map((e) => serviceEvent(c, subject, e, state.check.text)).filter((e): e is EngineEvent => e !== undefined);
    return this.refold(c, input, state, events);
  }

  /** The service engine's events for a check whose problem lives (or is to live) in another target's incident. */
  private refold(c: EngineCheck, input: Parameters<typeof transition>[1], state: ServiceState, events: EngineEvent[]): EngineEvent[] {
    const fold = this.folded.get(c.id)?.how;
    const out: EngineEvent[] = [];
    for (const e of events) {
      // Newly failing behind a parent that is already down: straight into the parent's incident.
      if (e.type === 'suppressed' && e.reason === 'host-down' && !this.hostCheckOf.has(c.target)) out.push(...this.foldBehind(c, e.state, e.text));
      // Its incident is the primary's: reminders and escalations are the primary's to send.
      else if (fold === 'twin' && (e.type === 'reminder' || e.type === 'escalation' || e.type === 'acknowledged')) continue;
      else if (fold === 'twin' && e.type === 'recovery') out.push(...this.unfold(c, e.text));
      // Reachable again and still failing: the member behind closes, the problem is told on its own.
      else if (fold === 'behind' && e.type === 'problem') out.push(...this.unfold(c, e.text), e);
      else out.push(e);
      // The primary is back: its twins are looked at now, so one recovery says both.
      const twins = e.type === 'recovery' ? [...this.folded].filter(([id, f]) => f.how === 'twin' && this.primaryOf(id) === c.id).map(([id]) => id) : [];
      if (twins.length) out.push({ type: 'recheck', checkIds: twins });
    }
    // Reachable again and working: the member behind closes without a word of its own.
    if (input.kind === 'result' && state.check.state === NagiosState.OK && (fold === 'behind' || (!fold && this.behindTold.has(c.target)))) out.push(...this.unfold(c, state.check.text));
    return out;
  }
}
