/**
 * Shell wildcards as Apache's Include matches them against directory entries (apr_fnmatch with
 * APR_FNM_PATHNAME): `*` any run of characters, `?` one character, `[abc]`, `[a-z]`, `[!...]` or
 * `[^...]` one character of (or not of) a set, `\x` the character x. None of them matches "/".
 *
 * Names come from a server's `ls`, which an attacker who owns that server writes. Turning the
 * pattern into a RegExp let `*a*a*a*a*a*a*a*a*b` against a 100-character name run for seconds;
 * here the pattern is compiled once into tokens and matched with the two-pointer algorithm,
 * which backtracks only to the latest `*`: at most (name length × pattern tokens) steps.
 */

const STAR = 0;
const ONE = 1;
const LIT = 2;
const SET = 3;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;

type Token = { kind: typeof STAR } | { kind: typeof ONE } | { kind: typeof LIT; code: number } | { kind: typeof SET; negate: boolean; ranges: number[] };

/** A pattern compiled for one path segment at a time; `/` in the pattern separates segments. */
export interface Glob {
  readonly pattern: string;
  /** Tokens per path segment. */
  readonly segments: readonly (readonly Token[])[];
}

/** Whether the text has a wildcard at all (Apache lists a directory only for those parts). */
export function hasGlob(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2a || c === 0x3f || c === 0x5b) return true;
  }
  return false;
}

/** A `[...]` set starting at `open`: its token and the index after its `]`, or undefined when unclosed. */
function parseSet(p: string, open: number): { token: Token; next: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (p[i] === '!' || p[i] === '^') {
    negate = true;
    i++;
  }
  const ranges: number[] = [];
  let first = true;
  while (i < p.length) {
    let c = p.charCodeAt(i);
    // A "]" right after "[" or "[!" is a member, as in fnmatch; elsewhere it closes the set.
    if (c === 0x5d && !first) return { token: { kind: SET, negate, ranges }, next: i + 1 };
    first = false;
    if (c === BACKSLASH && i + 1 < p.length) c = p.charCodeAt(++i);
    let hi = c;
    if (p[i + 1] === '-' && i + 2 < p.length && p[i + 2] !== ']') {
      i += 2;
      hi = p.charCodeAt(i);
      if (hi === BACKSLASH && i + 1 < p.length) hi = p.charCodeAt(++i);
    }
    ranges.push(c, hi);
    i++;
  }
  return undefined;
}

function compileSegment(p: string): Token[] {
  const out: Token[] = [];
  for (let i = 0; i < p.length; ) {
    const c = p.charCodeAt(i);
    if (c === 0x2a) {
      // "**" is one "*": keeping one keeps the matcher's backtracking to a single point.
      if (out[out.length - 1]?.kind !== STAR) out.push({ kind: STAR });
      i++;
    } else if (c === 0x3f) {
      out.push({ kind: ONE });
      i++;
    } else if (c === 0x5b) {
      const set = parseSet(p, i);
      if (set) {
        out.push(set.token);
        i = set.next;
      } else {
        out.push({ kind: LIT, code: c });
        i++;
      }
    } else if (c === BACKSLASH && i + 1 < p.length) {
      out.push({ kind: LIT, code: p.charCodeAt(i + 1) });
      i += 2;
    } else {
      out.push({ kind: LIT, code: c });
      i++;
    }
  }
  return out;
}

/** Compiles a pattern once; match it against many names with `matchGlob`. Linear in its length. */
export function compileGlob(pattern: string): Glob {
  return { pattern, segments: pattern.split('/').map(compileSegment) };
}

function single(t: Token, c: number): boolean {
  if (t.kind === LIT) return t.code === c;
  if (c === SLASH) return false;
  if (t.kind === ONE) return true;
  if (t.kind !== SET) return false;
  let inSet = false;
  for (let k = 0; k < t.ranges.length && !inSet; k += 2) inSet = c >= t.ranges[k]! && c <= t.ranges[k + 1]!;
  return inSet !== t.negate;
}

/** One segment against one name part, by the two-pointer algorithm. */
function matchSegment(tokens: readonly Token[], name: string, from: number, to: number): boolean {
  let p = 0;
  let s = from;
  let starP = -1;
  let starS = from;
  while (s < to) {
    const t = tokens[p];
    if (t?.kind === STAR) {
      starP = p++;
      starS = s;
      continue;
    }
    if (t && single(t, name.charCodeAt(s))) {
      p++;
      s++;
      continue;
    }
    // Let the latest "*" take one more character and retry what follows it from there.
    if (starP < 0) return false;
    p = starP + 1;
    s = ++starS;
  }
  while (tokens[p]?.kind === STAR) p++;
  return p === tokens.length;
}

/**
 * Whether `name` matches the pattern: segment by segment, so neither `*`, `?` nor a set ever
 * takes a "/". At most (name length × pattern length) steps.
 */
export function matchGlob(glob: Glob, name: string): boolean {
  let from = 0;
  for (let k = 0; k < glob.segments.length; k++) {
    const slash = name.indexOf('/', from);
    const last = k === glob.segments.length - 1;
    if (last !== (slash < 0)) return false;
    const to = last ? name.length : slash;
    if (!matchSegment(glob.segments[k]!, name, from, to)) return false;
    from = to + 1;
  }
  return true;
}
