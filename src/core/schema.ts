/**
 * Schema pieces shared by every plugin's options, so a duration or a port is written, checked
 * and explained the same way everywhere (config file, CLI flags, JSON Schema for editors).
 */
import { z } from 'zod';
import { DurationSyntaxError, durationPattern, formatDuration, MAX_DURATION_MS, parseDuration } from './duration.ts';
import { plainAbsolutePath } from './path.ts';
import { parseRange, type Range } from './range.ts';

/** Bounds of a duration in ms. @defaultValue min 1 (zero is refused), max MAX_DURATION_MS (ten years) */
export interface DurationBounds {
  min?: number;
  max?: number;
}

/**
 * A duration like "30s" (or a bare number of seconds), parsed to milliseconds, bounded.
 *
 * The bounds live in the schema itself, as a number range and as the exact pattern of the texts
 * in range (`durationPattern`), so the JSON Schema an editor reads refuses what `config validate`
 * refuses; the checks here only word the refusal (which bound, or how to write it).
 */
export function duration(description?: string, bounds: DurationBounds = {}) {
  const min = bounds.min ?? 1;
  const max = bounds.max ?? MAX_DURATION_MS;
  const pattern = durationPattern(min, max);
  const re = new RegExp(pattern);
  const range = `${min === 0 ? '0' : formatDuration(min)} to ${formatDuration(max)}`;
  const atLeast = `must be at least ${formatDuration(min)}`;
  const atMost = `must be at most ${formatDuration(max)}`;
  const text = z.string().superRefine((v, ctx) => {
    if (re.test(v)) return;
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: e instanceof DurationSyntaxError && e.tooLong ? `${atMost}, got "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"` : (e as Error).message });
      return;
    }
    const message =
      ms < min
        ? `${atLeast}, got "${v}"`
        : ms > max
          ? `${atMost}, got "${v}"`
          : `write "${v}" in whole units, largest first, each unit after the first under its clock range (60m, 24h, 7d, 1000ms), like "1h30m"; or seconds with up to three decimals, like "2.5s"`;
    ctx.addIssue({ code: 'custom', message });
  });
  return z
    .union([z.number().min(min / 1000, `${atLeast} (a bare number is seconds)`).max(max / 1000, `${atMost} (a bare number is seconds)`), text.meta({ pattern })], {
      error: 'expected a duration like "10s", "5m" or "250ms"',
    })
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    })
    .meta({ description: `${description ?? 'a duration like "10s", "5m", "1h30m" or "250ms"; a bare number is seconds'} (${range})` });
}

export const port = () => z.number({ error: 'expected a port number from 1 to 65535' }).int().min(1, 'expected a port number from 1 to 65535').max(65535, 'expected a port number from 1 to 65535');

/** A regular expression, compiled at load so a typo is a config error and not a failing check. */
export function regex(description: string) {
  return z
    .string()
    .superRefine((v, ctx) => {
      try {
        new RegExp(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(e as Error).message}` });
      }
    })
    .meta({ description });
}

/** Seconds as a plain number, like check_tcp's -w/-c. */
export const seconds = (description: string) =>
  z.number({ error: 'expected a number of seconds' }).positive().max(86_400, 'must be at most 86400 seconds (a day)').meta({ description });

/**
 * A Nagios threshold range (`10`, `1:`, `~:20`, `5:10`, `@5:10`; a bare number in YAML too),
 * parsed when the config loads so a typo is a config error.
 */
export function nagiosRange(description: string) {
  return z
    .union([z.number(), z.string()], { error: 'expected a Nagios range like 10, 1:, ~:20, 5:10 or @5:10' })
    .transform((v, ctx): Range => {
      try {
        return parseRange(String(v));
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    })
    .meta({ description });
}

/**
 * A path on a server that may reach a command: absolute, plain (no `.`, `..`, `//`), never
 * starting with "-", no control characters.
 */
export function absolutePath(description: string) {
  return z
    .string()
    .superRefine((v, ctx) => {
      const bad = plainAbsolutePath(v);
      if (bad) ctx.addIssue({ code: 'custom', message: `"${v.replace(/[\u0000-\u001f\u007f]/g, '?')}" ${bad}; write it like /etc/apache2/apache2.conf` });
    })
    .meta({ description });
}
