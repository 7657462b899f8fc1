/**
 * The state engine's view of a config: which check says a target is up, each check's
 * notification policy and downtimes, and the twins (one service seen through several targets).
 * Part of the wiring layer (daemon-alerts.ts configures the engine with it).
 */
import { effectivePort } from './config/check-port.ts';
import type { PlannedCheck } from './config/checks.ts';
import { weekdayNumber, type DowntimeConfig } from './config/policy.ts';
import type { Config } from './config/schema.ts';
import type { Downtime } from './state/downtime.ts';
import type { EngineCheck } from './state/engine.ts';
import type { ServicePolicy } from './state/service-engine.ts';

/** A configured downtime as the engine reads it. */
export function downtimeOf(d: DowntimeConfig): Downtime {
  if (d.weekly) return { kind: 'weekly', days: d.weekly.days.map(weekdayNumber), time: d.weekly.time, durationMs: d.weekly.duration, utcOffsetMinutes: d.weekly.utc_offset, comment: d.comment };
  return { kind: 'once', start: d.start!, end: d.end!, comment: d.comment };
}

/** The check of a target that says whether the host is up: `host_check`, or its first ping. */
export function hostCheckName(t: Config['targets'][number]): string | undefined {
  if (t.host_check) return t.host_check;
  const ping = t.checks.find((c) => c.type === 'ping');
  return ping ? ((ping.name as string | undefined) ?? 'ping') : undefined;
}

/** The engine's view of the planned checks under a config's notification policy. */
export function engineChecks(cfg: Config, planned: readonly PlannedCheck[]): EngineCheck[] {
  const n = cfg.notifications;
  const hostChecks = new Map(cfg.targets.map((t) => [t.name, hostCheckName(t)]));
  // Twins: the same service seen through several targets (same effective port, and the same address
  // or one target the other's parent) is one incident; its primary is the check on the parent, else
  // on the target listed first. Groups are joined transitively (union-find), found through indexes
  // by (port, address) and (target, port): linear in the checks (a pairwise scan took 110 s at 50,000).
  const group = planned.map((_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : (group[i] = root(group[i]!)));
  const join = (a: number, b: number) => {
    const ra = root(a);
    const rb = root(b);
    if (ra !== rb) group[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const ports = planned.map((c) => (hostChecks.get(c.target.name) === c.name ? undefined : effectivePort(c)));
  const byAddress = new Map<string, number[]>();
  const byTarget = new Map<string, number[]>();
  planned.forEach((c, i) => {
    if (ports[i] === undefined) return;
    for (const [index, key] of [[byAddress, `${ports[i]} ${c.target.address}`], [byTarget, `${ports[i]} ${c.target.name}`]] as const) {
      const list = index.get(key);
      if (list) list.push(i);
      else index.set(key, [i]);
    }
  });
  // The same port on the same address through two targets or more: one group.
  for (const list of byAddress.values()) if (list.some((j) => planned[j]!.target.name !== planned[list[0]!]!.target.name)) for (const j of list) join(list[0]!, j);
  // The same port on a target's parent.
  planned.forEach((c, i) => {
    if (ports[i] === undefined) return;
    for (const parent of c.target.parents) if (parent !== c.target.name) for (const j of byTarget.get(`${ports[i]} ${parent}`) ?? []) join(i, j);
  });
  const targetsOf = new Map<number, Set<string>>();
  planned.forEach((c, i) => {
    if (ports[i] === undefined) return;
    const r = root(i);
    const set = targetsOf.get(r) ?? new Set<string>();
    set.add(c.target.name);
    targetsOf.set(r, set);
  });
  const primaries = new Map<number, number>();
  planned.forEach((c, i) => {
    if (ports[i] === undefined || primaries.has(root(i))) return;
    const inGroup = targetsOf.get(root(i))!;
    if (!c.target.parents.some((p) => inGroup.has(p))) primaries.set(root(i), i);
  });
  const primaryOf = (i: number) => {
    const p = primaries.get(root(i));
    return p === undefined || ports[i] === undefined || planned[p]!.target.name === planned[i]!.target.name ? undefined : planned[p]!.id;
  };
  // One policy object for every check with the same attempts and the same downtimes (most share
  // one): the engine only reads them, and 100,000 copies of the same escalations cost megabytes.
  const escalations = n.escalations.map((e) => ({ afterMs: e.after, level: e.level }));
  const flap = n.flapping.enabled ? { window: n.flapping.window, highThreshold: n.flapping.high, lowThreshold: n.flapping.low } : null;
  const downtimes = cfg.downtimes.map(downtimeOf);
  const policies = new Map<string, ServicePolicy>();
  const plain = new Map<number, ServicePolicy>();
  const policyFor = (c: PlannedCheck): ServicePolicy => {
    if (downtimes.length === 0) {
      let p = plain.get(c.maxAttempts);
      if (!p) plain.set(c.maxAttempts, (p = { maxAttempts: c.maxAttempts, reminderIntervalMs: n.reminder_interval, escalations, flap, downtimes: [] }));
      return p;
    }
    const which: number[] = [];
    cfg.downtimes.forEach((d, k) => {
      if ((d.targets.includes(c.target.name) || d.tags.some((t) => c.target.tags.includes(t))) && (d.checks.length === 0 || d.checks.includes(c.name))) which.push(k);
    });
    const key = `${c.maxAttempts} ${which.join(',')}`;
    let policy = policies.get(key);
    if (!policy) policies.set(key, (policy = { maxAttempts: c.maxAttempts, reminderIntervalMs: n.reminder_interval, escalations, flap, downtimes: which.map((k) => downtimes[k]!) }));
    return policy;
  };
  return planned.map((c, i) => ({ id: c.id, target: c.target.name, name: c.name, probe: c.type, isHostCheck: hostChecks.get(c.target.name) === c.name, policy: policyFor(c), primary: primaryOf(i) }));
}
