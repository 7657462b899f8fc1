/**
 * Which poller of a zone runs which check: rendezvous (highest random weight) hashing over the
 * zone's live members. Every poller computes the same answer from the same member list, with no
 * coordinator; when a member leaves, only its own checks move (each to the member that scores
 * next highest for it), and when it comes back exactly those checks move back.
 */

/** FNV-1a, 32 bits, over the member name, a separator and the check id. */
function score(member: string, checkId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < member.length; i++) h = Math.imul(h ^ member.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0, 0x01000193);
  for (let i = 0; i < checkId.length; i++) h = Math.imul(h ^ checkId.charCodeAt(i), 0x01000193);
  // A final mix, so ids that differ only in their last characters still spread over members.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** The member that runs `checkId`: the highest score, ties to the smaller name (never undefined for a non-empty list). */
export function ownerOf(checkId: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const m of members) {
    const s = score(m, checkId);
    if (s > bestScore || (s === bestScore && best !== undefined && m < best)) {
      best = m;
      bestScore = s;
    }
  }
  return best;
}

/** The checks among `checkIds` that `me` runs, given the zone's live members (`me` counted even when the bus has not listed it yet). */
export function ownedBy<T extends { id: string }>(me: string, checks: readonly T[], members: readonly string[]): T[] {
  const all = members.includes(me) ? members : [...members, me];
  return checks.filter((c) => ownerOf(c.id, all) === me);
}
