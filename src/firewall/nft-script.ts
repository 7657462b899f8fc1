/**
 * The text of nftables scripts, shared by the backend (nftables.ts) and the early restore at
 * `mamoru start` (restore-early.ts), so both build mamoru's table the same way. Pure: no zod, no
 * process, no I/O (the early restore loads this before the rest of mamoru). Everything printed
 * comes from parsed numbers (rule.ts), never from the caller's text.
 */
import { containsCidr, type Cidr } from '../guard/address.ts';
import { isHost, ruleKey, secondsLeft, untilComment, type CheckedBan } from './rule.ts';
import type { Proto } from './types.ts';

export type SetName = 'ban4' | 'ban6' | 'port4' | 'port6';
export const SETS: SetName[] = ['ban4', 'ban6', 'port4', 'port6'];

/** What the table looks like: its name (in the inet family), the chains' priority, a forward chain or not. */
export interface NftLayout {
  table: string;
  priority: number;
  forward: boolean;
}

export function setOf(c: Cidr, port: number | undefined): SetName {
  return `${port === undefined ? 'ban' : 'port'}${c.family}` as SetName;
}

/** The element's key in nft syntax: `1.2.3.4`, `2001:db8::/64`, `1.2.3.4 . tcp . 110`. */
export function elementKey(r: { address: string; port?: number | undefined; proto?: Proto | undefined }): string {
  return r.port === undefined ? r.address : `${r.address} . ${r.proto ?? 'tcp'} . ${r.port}`;
}

/** An element with its timeout (seconds left from `now`) and the comment that keeps its exact end. */
export function elementText(b: CheckedBan, now: number): string {
  const timeout = b.until === undefined ? '' : ` timeout ${secondsLeft(b.until, now)}s`;
  return `${elementKey(b)}${timeout} comment "${untilComment(b.until)}"`;
}

/**
 * The table, its four sets and its chains, as script lines (one transaction with whatever
 * follows). The sets are kept if they exist; the chains are recreated each time (atomically): a
 * changed priority applies, the rules are never doubled. Flushed before the delete because older
 * kernels refuse to delete a chain that has rules.
 */
export function setupLines(o: NftLayout): string[] {
  const t = `inet ${o.table}`;
  const chains = [['input', true] as const, ['forward', o.forward] as const];
  const lines = [`add table ${t}`];
  for (const s of SETS) {
    const key = `${s.endsWith('4') ? 'ipv4_addr' : 'ipv6_addr'}${s.startsWith('port') ? ' . inet_proto . inet_service' : ''}`;
    lines.push(`add set ${t} ${s} { type ${key}; flags interval, timeout; }`);
  }
  for (const [chain, wanted] of chains) {
    lines.push(`add chain ${t} ${chain}`, `flush chain ${t} ${chain}`, `delete chain ${t} ${chain}`);
    if (!wanted) continue;
    lines.push(`add chain ${t} ${chain} { type filter hook ${chain} priority ${o.priority}; policy accept; }`);
    lines.push(`add rule ${t} ${chain} ip saddr @ban4 drop`, `add rule ${t} ${chain} ip6 saddr @ban6 drop`);
    lines.push(`add rule ${t} ${chain} ip saddr . meta l4proto . th dport @port4 drop`, `add rule ${t} ${chain} ip6 saddr . meta l4proto . th dport @port6 drop`);
  }
  return lines;
}

/** The later of two ends (no end is the latest). */
const later = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : Math.max(a, b));

/**
 * Bans as one set of elements an interval set accepts in a single transaction: the same rule
 * twice keeps the later end; a network covering narrower bans of the same port replaces them
 * and lasts as long as the longest of them (what ban() does one at a time); ended bans dropped.
 */
export function elementsOf(bans: readonly CheckedBan[], now: number): CheckedBan[] {
  const live = bans.filter((b) => b.until === undefined || b.until > now);
  // Widest first, so every ban meets the network that covers it before it is kept on its own.
  const sorted = [...live].sort((a, b) => a.cidr.prefix - b.cidr.prefix);
  const kept = new Map<string, CheckedBan>();
  /** The networks kept (few): only they can cover another ban. */
  const nets: CheckedBan[] = [];
  for (const b of sorted) {
    const key = ruleKey(b);
    const same = kept.get(key);
    const cover = same ?? nets.find((k) => k.port === b.port && k.proto === b.proto && k.cidr.family === b.cidr.family && containsCidr(k.cidr, b.cidr));
    if (cover) {
      cover.until = later(cover.until, b.until);
      continue;
    }
    const k = { ...b };
    kept.set(key, k);
    if (!isHost(b.cidr)) nets.push(k);
  }
  return [...kept.values()];
}

/**
 * The whole table in one transaction: set up, every set emptied, and exactly `bans` added. The
 * kernel applies it all or nothing, so no instant holds fewer bans than before it.
 */
export function restoreScript(o: NftLayout, bans: readonly CheckedBan[], now: number): string {
  const t = `inet ${o.table}`;
  const lines = setupLines(o);
  for (const s of SETS) lines.push(`flush set ${t} ${s}`);
  for (const b of elementsOf(bans, now)) lines.push(`add element ${t} ${setOf(b.cidr, b.port)} { ${elementText(b, now)} }`);
  return lines.join('\n') + '\n';
}
