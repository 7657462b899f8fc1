/** The firewall backend registry: the guard's config schema, the CLI help and the docs derive from this list. */
import type { FirewallDefinition } from './types.ts';
import dryRun from './dry-run.ts';
import ipset from './ipset.ts';
import iptables from './iptables.ts';
import nftables from './nftables.ts';

export const firewalls = {
  nftables,
  iptables,
  ipset,
  'dry-run': dryRun,
} satisfies Record<string, FirewallDefinition<any>>;

export type FirewallType = keyof typeof firewalls;

/** The backend used when the config names none. */
export const defaultFirewall: FirewallType = 'nftables';

export type { BanRequest, BanRule, Firewall, FirewallDefinition, FirewallDeps, Proto, Runner, RunResult } from './types.ts';
export { FirewallError } from './types.ts';
export { cutConnections, type CutResult } from './cut.ts';
export { reconcile, type ReconcileResult } from './reconcile.ts';
export { driftOf, type FirewallState } from './drift.ts';
export { localRunner } from './run.ts';
