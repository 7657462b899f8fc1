/**
 * Hosts UP / DOWN / UNREACHABLE, Nagios semantics, pure. A host whose own check is hard-failing
 * is DOWN when it has no parents or at least one parent is UP, and UNREACHABLE when every parent
 * is DOWN or UNREACHABLE: only the cause of an outage is announced, the hosts behind it are folded
 * into its incident. When a host comes back, the hosts behind it are re-checked before anything
 * is said about them, so a recovered router does not release a burst of stale alerts.
 */
import { NagiosState } from '../core/nagios.ts';
import type { CheckResult } from '../core/result.ts';
import { initialState as initialCheckState, nextState, type CheckState } from './check-state.ts';

export type HostStatus = 'UP' | 'DOWN' | 'UNREACHABLE';

export interface HostPolicy {
  parents: string[];
  maxAttempts: number;
}

/** Every host's policy by name. */
export type HostsPolicy = Record<string, HostPolicy>;

export interface HostEntry {
  check: CheckState;
  status: HostStatus;
  /** What people were last told about this host. */
  notified: HostStatus;
  /** A parent came back while this host was not UP: hold its news until its next result. */
  awaitingRecheck: boolean;
}

export type HostsState = Record<string, HostEntry>;

export type HostEffect =
  /** The caller passes this on to the host's services (`{ kind: 'host', status }`). */
  | { type: 'host-status'; host: string; from: HostStatus; to: HostStatus }
  | { type: 'notify'; kind: 'host-problem' | 'host-recovery'; host: string; status: HostStatus }
  /** Not announced: `foldedInto` names the DOWN host(s) whose incident covers it. */
  | { type: 'suppressed'; host: string; status: HostStatus; reason: 'unreachable' | 'awaiting-recheck'; foldedInto: string[] }
  | { type: 'recheck'; host: string };

export function initialHostsState(policy: HostsPolicy, now: number): HostsState {
  const out: HostsState = {};
  for (const name of Object.keys(policy)) out[name] = { check: initialCheckState(now), status: 'UP', notified: 'UP', awaitingRecheck: false };
  return out;
}

/** Statuses of every host from their checks' hard states and the parent graph (a cycle counts as no parent). */
export function computeStatuses(hosts: HostsState, policy: HostsPolicy): Record<string, HostStatus> {
  const memo: Record<string, HostStatus> = {};
  const visiting = new Set<string>();
  const statusOf = (name: string): HostStatus => {
    if (memo[name]) return memo[name];
    const h = hosts[name];
    const failing = h !== undefined && h.check.state !== NagiosState.OK && h.check.stateType === 'hard';
    if (!failing) return (memo[name] = 'UP');
    visiting.add(name);
    const parents = (policy[name]?.parents ?? []).filter((p) => !visiting.has(p) && hosts[p] !== undefined);
    const st: HostStatus = parents.length === 0 || parents.some((p) => statusOf(p) === 'UP') ? 'DOWN' : 'UNREACHABLE';
    visiting.delete(name);
    return (memo[name] = st);
  };
  for (const name of Object.keys(hosts)) statusOf(name);
  return memo;
}

/** The DOWN hosts at the root of an UNREACHABLE host's outage. */
export function rootCauses(name: string, statuses: Record<string, HostStatus>, policy: HostsPolicy, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const out = new Set<string>();
  for (const p of policy[name]?.parents ?? []) {
    if (statuses[p] === 'DOWN') out.add(p);
    else if (statuses[p] === 'UNREACHABLE') for (const r of rootCauses(p, statuses, policy, seen)) out.add(r);
  }
  return [...out].sort();
}

function childrenOf(name: string, policy: HostsPolicy): string[] {
  return Object.keys(policy).filter((h) => policy[h]!.parents.includes(name));
}

/** One host check result in; every host whose status moved, and what to tell or re-check, out. */
export function transitionHosts(prev: HostsState, input: { host: string; result: CheckResult }, policy: HostsPolicy, now: number): { state: HostsState; effects: HostEffect[] } {
  const hp = policy[input.host];
  if (!hp) throw new RangeError(`unknown host "${input.host}"`);
  const state: HostsState = {};
  for (const [k, v] of Object.entries(prev)) state[k] = { ...v };
  const own = state[input.host] ?? { check: initialCheckState(now), status: 'UP', notified: 'UP', awaitingRecheck: false };
  own.check = nextState(own.check, input.result, hp.maxAttempts, now).state;
  own.awaitingRecheck = false;
  state[input.host] = own;

  const effects: HostEffect[] = [];
  const statuses = computeStatuses(state, policy);
  const names = Object.keys(state).sort();
  for (const name of names) {
    const h = state[name]!;
    const to = statuses[name]!;
    if (to === h.status) continue;
    effects.push({ type: 'host-status', host: name, from: h.status, to });
    if (to === 'UP' && h.status !== 'UP') {
      for (const c of childrenOf(name, policy)) {
        const child = state[c]!;
        if (statuses[c] === 'UP' || c === input.host) continue;
        child.awaitingRecheck = true;
        effects.push({ type: 'recheck', host: c });
      }
    }
    h.status = to;
  }
  // Reconcile what people were told with what is now true.
  for (const name of names) {
    const h = state[name]!;
    if (h.status === h.notified) continue;
    if (h.awaitingRecheck) {
      effects.push({ type: 'suppressed', host: name, status: h.status, reason: 'awaiting-recheck', foldedInto: [] });
      continue;
    }
    if (h.status === 'UNREACHABLE') {
      // Folded into the parent's incident; a host that was announced DOWN keeps that open until it is UP.
      if (h.notified === 'UP') {
        effects.push({ type: 'suppressed', host: name, status: h.status, reason: 'unreachable', foldedInto: rootCauses(name, statuses, policy) });
        h.notified = 'UNREACHABLE';
      }
      continue;
    }
    if (h.status === 'DOWN') {
      if (h.notified === 'UP' || h.notified === 'UNREACHABLE') effects.push({ type: 'notify', kind: 'host-problem', host: name, status: 'DOWN' });
      h.notified = 'DOWN';
      continue;
    }
    if (h.notified === 'DOWN') effects.push({ type: 'notify', kind: 'host-recovery', host: name, status: 'UP' });
    h.notified = 'UP';
  }
  return { state, effects };
}

/**
 * Statuses with the targets that have no host check of their own filled in from their parents: a
 * target reached only through parents that are all DOWN or UNREACHABLE is UNREACHABLE (a vhost on a
 * dead server), otherwise UP. `hasCheck` says which targets speak for themselves; their status is
 * taken as it is. The result also serves `rootCauses`, which then walks through such targets.
 */
export function reachStatuses(statuses: Record<string, HostStatus>, policy: HostsPolicy, hasCheck: (name: string) => boolean): Record<string, HostStatus> {
  const out: Record<string, HostStatus> = { ...statuses };
  const memo: Record<string, HostStatus> = {};
  const visiting = new Set<string>();
  const reach = (name: string): HostStatus => {
    if (hasCheck(name) || visiting.has(name)) return statuses[name] ?? 'UP';
    if (memo[name]) return memo[name];
    visiting.add(name);
    const parents = (policy[name]?.parents ?? []).filter((p) => policy[p] !== undefined && !visiting.has(p));
    const st: HostStatus = parents.length > 0 && parents.every((p) => reach(p) !== 'UP') ? 'UNREACHABLE' : 'UP';
    visiting.delete(name);
    return (memo[name] = st);
  };
  for (const name of Object.keys(policy)) out[name] = reach(name);
  return out;
}
