/**
 * Reconcile: make the kernel hold exactly the bans mamoru wants. At start it re-applies the
 * stored bans; on a timer it repairs what someone changed by hand (a ban deleted, a rule added
 * in mamoru's own table/chain/sets, the table itself removed) and, for iptables, which has no
 * timeouts, removes the rules whose time is up. It works through the Firewall interface only,
 * so it never sees, let alone touches, anything outside the backend's own place.
 */
import { normalize } from '../guard/address.ts';
import { ruleKey } from './rule.ts';
import type { BanRule, Firewall } from './types.ts';

/** Ends closer than this are the same end (kernels keep timeouts in whole seconds). */
export const UNTIL_TOLERANCE_MS = 2000;

export interface ReconcileResult {
  /** Bans (re-)applied: missing, or with another end than wanted. */
  added: BanRule[];
  /** Rules removed: not wanted, or over. */
  removed: BanRule[];
}

function sameEnd(a: number | undefined, b: number | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.abs(a - b) <= UNTIL_TOLERANCE_MS;
}

/**
 * Brings `fw` to `wanted` (bans whose end has passed are not wanted). Calls setup() first so a
 * removed table or jump comes back. Addresses with a rule that is not wanted are unbanned whole
 * and their wanted rules applied again.
 */
export async function reconcile(wanted: BanRule[], fw: Firewall, now: number = Date.now()): Promise<ReconcileResult> {
  await fw.setup();
  const want = new Map<string, BanRule>();
  for (const w of wanted) {
    const address = normalize(w.address);
    if (!address || (w.until !== undefined && w.until <= now)) continue;
    const rule: BanRule = { ...w, address, ...(w.port !== undefined ? { proto: w.proto ?? 'tcp' } : {}) };
    const prev = want.get(ruleKey(rule));
    // The same rule twice: the longer end wins (no end is the longest).
    if (prev && (prev.until === undefined || (rule.until !== undefined && prev.until >= rule.until))) continue;
    want.set(ruleKey(rule), rule);
  }
  const have = await fw.list();
  const haveKeys = new Map(have.map((h) => [ruleKey(h), h]));
  const result: ReconcileResult = { added: [], removed: [] };

  const reset = new Set<string>();
  for (const h of have) {
    const w = want.get(ruleKey(h));
    if (!w || (h.until !== undefined && h.until <= now)) reset.add(h.address);
  }
  for (const address of reset) {
    await fw.unban(address);
    for (const h of have) if (h.address === address) result.removed.push(h);
  }
  for (const [key, w] of want) {
    const h = haveKeys.get(key);
    if (h && !reset.has(h.address) && sameEnd(h.until, w.until)) continue;
    await fw.ban(w);
    result.added.push(w);
  }
  return result;
}
