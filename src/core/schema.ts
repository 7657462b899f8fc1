/**
 * Schema pieces shared by every plugin's options, so a duration or a port is written, checked
 * and explained the same way everywhere (config file, CLI flags, JSON Schema for editors).
 */
import { z } from 'zod';
import { parseDuration } from './duration.ts';
import { plainAbsolutePath } from './path.ts';
import { parseRange, type Range } from './range.ts';

/** A duration like "30s" (or a bare number of seconds), parsed to milliseconds. */
export function duration(description?: string) {
  return z
    .union([z.number(), z.string()], { error: 'expected a duration like "10s", "5m" or "250ms"' })
    .transform((v, ctx) => {
      try {
        return parseDuration(v);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
        return z.NEVER;
      }
    })
    .meta({ description: description ?? 'a duration like "10s", "5m", "1h30m" or "250ms"; a bare number is seconds' });
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
export const seconds = (description: string) => z.number({ error: 'expected a number of seconds' }).positive().meta({ description });

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
