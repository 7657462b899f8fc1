/**
 * Drift: what differs between the bans mamoru wants and what its own table/chain/sets hold, read
 * cheaply and often (the guard's drift watch, every second) so that a ban deleted by hand, a set
 * or chain flushed or the table removed is put back within two seconds, and the log says what.
 *
 * Why a short periodic read rather than `nft monitor`: the read is one `nft -j list table` of
 * mamoru's own table (a few ms with hundreds of bans; the watch stretches its period to ten times
 * the read's cost when the table is huge, so it never takes more than a tenth of a core), it
 * works the same for every backend through `list()` (iptables and ipset have no monitor), it
 * needs no long-lived child to supervise and restart, and it cannot miss an event: a monitor
 * that lost its netlink socket or overflowed would see nothing while the table drifted.
 */
import { containsCidr, parseCidr } from '../guard/address.ts';
import { UNTIL_TOLERANCE_MS } from './reconcile.ts';
import { ruleKey } from './rule.ts';
import type { BanRule } from './types.ts';

/** What the backend's place in the kernel looks like: its bans, and what is broken in its structure. */
export interface FirewallState {
  rules: BanRule[];
  /** Structure gone or changed (`table inet mamoru is gone`, `chain input has 0 of 4 rules`). */
  problems: string[];
}

const samePort = (a: BanRule, b: BanRule) => a.port === b.port && (a.port === undefined || (a.proto ?? 'tcp') === (b.proto ?? 'tcp'));

/** True when `h` holds `w`: the same port, a network that covers it, an end at least as late. */
function covers(h: BanRule, w: BanRule): boolean {
  if (!samePort(h, w)) return false;
  const hc = parseCidr(h.address);
  const wc = parseCidr(w.address);
  if (!hc || !wc || !containsCidr(hc, wc)) return false;
  if (h.until === undefined) return true;
  return w.until !== undefined && h.until >= w.until - UNTIL_TOLERANCE_MS;
}

/**
 * What is wrong, in words (empty: nothing). A wanted ban is missing when no rule holds it; a
 * rule is extra when no wanted ban has its key. Rules about to expire are left to the kernel.
 */
export function driftOf(wanted: readonly BanRule[], state: FirewallState, now: number): string[] {
  const out = [...state.problems];
  const live = wanted.filter((w) => w.until === undefined || w.until > now + UNTIL_TOLERANCE_MS);
  const missing = live.filter((w) => !state.rules.some((h) => covers(h, w)));
  const keys = new Set(wanted.map((w) => ruleKey({ ...w, proto: w.port === undefined ? undefined : (w.proto ?? 'tcp') })));
  const extra = state.rules.filter((h) => (h.until === undefined || h.until > now + UNTIL_TOLERANCE_MS) && !keys.has(ruleKey(h)));
  const list = (rs: BanRule[]) => rs.slice(0, 10).map((r) => `${r.address}${r.port === undefined ? '' : ` ${r.proto ?? 'tcp'}/${r.port}`}`).join(', ') + (rs.length > 10 ? ` and ${rs.length - 10} more` : '');
  if (missing.length) out.push(`${missing.length} ban${missing.length === 1 ? '' : 's'} missing from the kernel (${list(missing)})`);
  if (extra.length) out.push(`${extra.length} rule${extra.length === 1 ? '' : 's'} in the kernel without a stored ban (${list(extra)})`);
  return out;
}
