/**
 * Durations as people write them in config and on the command line: `30s`, `5m`, `1h30m`,
 * `250ms`, `2d`; a bare number means seconds (as in the Nagios plugins' `-t 10`).
 */
const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export class DurationSyntaxError extends Error {
  constructor(readonly text: string) {
    super(`expected a duration like "10s", "5m", "1h30m" or "250ms", got "${text}"`);
    this.name = 'DurationSyntaxError';
  }
}

/** Milliseconds in a duration; throws DurationSyntaxError for anything else. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) throw new DurationSyntaxError(String(input));
    return Math.round(input * 1000);
  }
  const text = input.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * units[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched === 0 || matched !== text.length) throw new DurationSyntaxError(text);
  return Math.round(total);
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
