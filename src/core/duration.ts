/**
 * Durations as people write them in config and on the command line: `30s`, `5m`, `1h30m`,
 * `250ms`, `2d`; a bare number means seconds (as in the Nagios plugins' `-t 10`).
 *
 * parseDuration reads any such text (the command line's `--for 1.5h` too); the config file is
 * held to `durationPattern`, the exact texts between a field's bounds, which its JSON Schema
 * carries as well: whole units, largest first, those after the first within their clock range
 * (`1h30m`, not `1h90m` or `1.5h`), or seconds with up to three decimals (`2.5s`).
 */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class DurationSyntaxError extends Error {
  constructor(
    readonly text: string,
    /** True when the text is a duration, only too long for any timer (past 2^53 ms). */
    readonly tooLong = false,
    message = `expected a duration like "10s", "5m", "1h30m" or "250ms", got "${text}"`,
  ) {
    super(message);
    this.name = 'DurationSyntaxError';
  }
}

/** Past 2^53 ms a duration is no longer exact (and no timer could wait for it). */
function safe(ms: number, text: string): number {
  if (!Number.isSafeInteger(ms)) throw new DurationSyntaxError(text, true, `"${text.length > 40 ? `${text.slice(0, 40)}…` : text}" is far too long for a duration; write one of at most ${MAX_DURATION_MS / 86_400_000}d`);
  return ms;
}

/** Milliseconds in a duration; throws DurationSyntaxError for anything else. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationSyntaxError(String(input));
    return safe(Math.round(input * 1000), String(input));
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return safe(Math.round(Number(text) * 1000), text);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length) throw new DurationSyntaxError(text);
  return safe(Math.round(total), text);
}

/** The shortest readable form: 90000 -> "1m30s", 250 -> "250ms". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let rest = Math.round(ms);
  let out = '';
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  if (rest > 0) out += `${rest}ms`;
  return out;
}

/** Every duration's upper bound unless its schema says otherwise: ten years (far below 2^53 ms). */
export const MAX_DURATION_MS = 3660 * 86_400_000;

const UNITS: readonly (readonly [string, number])[] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m(?!s)', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** Integers from `lo` to `hi` written with exactly `lo.length` digits (leading zeros kept). */
function fixedWidth(lo: string, hi: string): string {
  if (lo.length === 0) return '';
  if (lo === hi) return lo;
  const n = lo.length - 1;
  const [a, b] = [Number(lo[0]), Number(hi[0])];
  const tailLo = lo.slice(1);
  const tailHi = hi.slice(1);
  if (/^0*$/.test(tailLo) && /^9*$/.test(tailHi)) return `[${a}-${b}]${n ? `\\d{${n}}` : ''}`;
  if (a === b) return `${a}${fixedWidth(tailLo, tailHi)}`;
  const parts = [`${a}(?:${fixedWidth(tailLo, '9'.repeat(n))})`];
  if (b - a > 1) parts.push(`[${a + 1}-${b - 1}]${n ? `\\d{${n}}` : ''}`);
  parts.push(`${b}(?:${fixedWidth('0'.repeat(n), tailHi)})`);
  return `(?:${parts.join('|')})`;
}

/** A regular expression source for the decimal integers lo..hi, no leading zeros. */
export function integerRange(lo: number, hi: number): string {
  const parts: string[] = [];
  for (let len = String(lo).length; len <= String(hi).length; len++) {
    const from = len === String(lo).length ? lo : 10 ** (len - 1);
    const to = len === String(hi).length ? hi : 10 ** len - 1;
    if (from <= to) parts.push(fixedWidth(String(from), String(to)));
  }
  return parts.length === 1 ? parts[0]! : `(?:${parts.join('|')})`;
}

/**
 * The components after a leading one of unit index `i - 1`: each optional, largest unit first,
 * each under its clock range (60m, 24h, ...), adding up to lo..hi ms. Undefined when none can.
 */
function rest(i: number, lo: number, hi: number): string | undefined {
  if (i >= UNITS.length) return lo === 0 ? '' : undefined;
  const [unit, size] = UNITS[i]!;
  const n = UNITS[i - 1]![1] / size;
  const comp = (a: number, b: number) => (a === 0 ? `(?:${integerRange(0, b)}${unit})?` : `${integerRange(a, b)}${unit}`);
  if (lo === 0 && hi === n * size - 1) return UNITS.slice(i).map(([u, sz], j) => `(?:${integerRange(0, UNITS[i + j - 1]![1] / sz - 1)}${u})?`).join('');
  const alts: string[] = [];
  const add = (a: number, b: number, r: string | undefined) => {
    if (a <= b && r !== undefined) alts.push(comp(a, b) + r);
  };
  const qlo = Math.floor(lo / size);
  const qhi = Math.floor(hi / size);
  if (qlo === qhi) add(qlo, qlo, rest(i + 1, lo - qlo * size, hi - qlo * size));
  else {
    // Values whose rest may be anything form one middle range; the two ends keep their bounds.
    let a = qlo;
    let b = qhi;
    if (lo - qlo * size > 0) add(a++, qlo, rest(i + 1, lo - qlo * size, size - 1));
    if (hi - qhi * size < size - 1) add(b--, qhi, rest(i + 1, 0, hi - qhi * size));
    add(a, b, rest(i + 1, 0, size - 1));
  }
  if (alts.length === 0) return undefined;
  return alts.length === 1 ? alts[0] : `(?:${alts.join('|')})`;
}

/** Up to three decimals of a second, as ms lo..hi (`5` is 500, `05` is 50). */
function fraction(lo: number, hi: number): string | undefined {
  const alts: string[] = [];
  for (let k = 1; k <= 3; k++) {
    const scale = 10 ** (3 - k);
    const a = Math.ceil(lo / scale);
    const b = Math.floor(hi / scale);
    if (a <= b) alts.push(fixedWidth(String(a).padStart(k, '0'), String(b).padStart(k, '0')));
  }
  return alts.length ? `(?:${alts.join('|')})` : undefined;
}

/**
 * Leading values `L` of a unit `size` whose value `L * size + rest` can fall in min..max, each
 * with the range of the rest that keeps it there.
 */
function leading(size: number, min: number, max: number, restMax: number, leadMin: number, emit: (a: number, b: number, lo: number, hi: number) => void): void {
  const first = Math.max(leadMin, Math.floor(min / size));
  const last = Math.floor(max / size);
  if (first > last) return;
  const lo = (l: number) => Math.max(0, min - l * size);
  const hi = (l: number) => Math.min(restMax, max - l * size);
  const put = (a: number, b: number, l: number, h: number) => {
    if (a <= b && l <= h) emit(a, b, l, h);
  };
  if (first === last) return put(first, first, lo(first), hi(first));
  let a = first;
  let b = last;
  if (lo(first) > 0) put(a++, first, lo(first), hi(first));
  if (hi(last) < restMax) put(b--, last, 0, hi(last));
  put(a, b, 0, restMax);
}

const patternCache = new Map<string, string>();

/**
 * The exact set of duration texts from `min` to `max` ms as one regular expression source
 * (anchored), so the JSON Schema an editor reads and `config validate` refuse the same texts:
 * `90s`, `1h30m` (largest unit first, each unit once, the ones after the first under their clock
 * range: 60m, 24h, 7d, 1000ms), `2` or `2.5` (seconds, up to three decimals), `0` when zero is
 * allowed. Parts within the bounds are spelled out digit by digit.
 */
export function durationPattern(min: number, max: number): string {
  const key = `${min}:${max}`;
  const cached = patternCache.get(key);
  if (cached) return cached;
  const alts: string[] = [];
  if (min === 0) alts.push('0(?:ms|s|m|h|d|w)?');
  // Bare seconds, whole or with up to three decimals (what `-t 2.5` on the command line gives).
  leading(1000, min, max, 0, 1, (a, b) => alts.push(integerRange(a, b)));
  leading(1000, min, max, 999, 0, (a, b, lo, hi) => {
    const f = fraction(lo, hi);
    if (f !== undefined) alts.push(`${integerRange(a, b)}\\.${f}s?`);
  });
  UNITS.forEach(([unit, size], i) => {
    leading(size, min, max, size - 1, 1, (a, b, lo, hi) => {
      const r = rest(i + 1, lo, hi);
      if (r !== undefined) alts.push(`${integerRange(a, b)}${unit}${r}`);
    });
  });
  const pattern = `^(?:${alts.join('|')})$`;
  patternCache.set(key, pattern);
  return pattern;
}
