/**
 * What the operator sees of a cluster (`GET /api/v1/cluster`): which brain leads and with what
 * epoch, the live pollers of every zone the targets list, and the warnings that need a person: a
 * zone with no live poller (its checks are not run from there: the quorum is counted over the
 * zones that can still see) and checks seen failing from a minority of zones only (a network
 * problem between those zones and the server). Read from the bus with a bound, never waited on
 * longer than `BUS_WAIT_MS`.
 */
import type { Bus } from '../bus/index.ts';
import type { BrainBus } from './brain-bus.ts';
import { BRAIN_LEASE, type Cluster } from './leader.ts';

const BUS_WAIT_MS = 2_000;

export interface ClusterView {
  bus: string;
  brain: { leader: string | null; this_brain: string; epoch: number };
  zones: Array<{ zone: string; targets: number; pollers: Array<{ name: string; version: string; seen_at: string }>; warning: string | null }>;
  /** Members of zones no target lists (a poller started with a wrong --zone). */
  other_members: Array<{ zone: string; name: string }>;
  partial: Array<{ check: string; failing_from: string[] }>;
  warnings: string[];
}

function bounded<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the bus did not answer ${what} within ${BUS_WAIT_MS} ms`)), BUS_WAIT_MS)))]).finally(() => clearTimeout(timer));
}

/** The cluster as it stands now; undefined without a cluster (bus: local). */
export async function clusterView(cluster: Cluster | undefined, brainBus: BrainBus | undefined, targets: ReadonlyArray<{ zones: readonly string[] }>): Promise<ClusterView | undefined> {
  if (!cluster) return undefined;
  const bus: Bus = cluster.bus;
  const [members, leader] = await Promise.all([bounded(bus.members(), 'with its members'), bounded(bus.leaseHolder(BRAIN_LEASE), 'with the lead')]);
  const listed = new Map<string, number>();
  for (const t of targets) for (const z of t.zones) listed.set(z, (listed.get(z) ?? 0) + 1);
  const zones = [...listed.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([zone, n]) => {
      const pollers = members.filter((m) => m.zone === zone).map((m) => ({ name: m.name, version: m.version, seen_at: new Date(m.seenAt).toISOString() }));
      return { zone, targets: n, pollers, warning: pollers.length === 0 ? `no live poller in zone ${zone}: its checks are not run from there, and the quorum counts the other zones` : null };
    });
  const partial = [...(brainBus?.partialChecks() ?? new Map<string, string>())].map(([check, z]) => ({ check, failing_from: z.split(', ') }));
  const warnings = [
    ...zones.flatMap((z) => (z.warning ? [z.warning] : [])),
    ...partial.map((p) => `${p.check}: seen failing from ${p.failing_from.join(', ')} only: a network problem between those zones and the server`),
  ];
  return {
    bus: bus.type,
    brain: { leader: leader ?? null, this_brain: cluster.lead.holder, epoch: cluster.lead.epoch },
    zones,
    other_members: members.filter((m) => !listed.has(m.zone)).map((m) => ({ zone: m.zone, name: m.name })),
    partial,
    warnings,
  };
}
