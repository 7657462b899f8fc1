/**
 * The one shape every probe has (style.md 1): `{ type, summary, schema, run }`. A probe is a
 * function of (target, options, context) that never throws for a failing target; timing,
 * timeouts and storage belong to the runner (src/scheduler/run-check.ts).
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { Target } from '../core/target.ts';
import type { ProbeOutcome } from '../core/result.ts';
import type { SecretLookup } from '../core/secrets.ts';

export interface ProbeContext {
  /** Aborted when the check's timeout passes or mamoru stops; a probe must stop promptly. */
  signal: AbortSignal;
  /** The check's timeout in ms (for texts like "Socket timeout after 10 seconds"). */
  timeoutMs: number;
  log: Logger;
  /**
   * Reads a secret named by an option ending in `_secret` (e.g. `password_secret: pop3`).
   * Throws SecretError when it cannot; the runner turns that into UNKNOWN with the reason.
   */
  secret: SecretLookup;
}

export interface ProbeDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name and the config discriminator. */
  type: string;
  /** One line for the CLI help and the docs. */
  summary: string;
  /** The probe's own options (snake_case keys); merged with the common check keys in config. */
  schema: S;
  /** Nagios-plugin short flags for options, e.g. `{ port: 'p', warning: 'w' }`. */
  shortFlags?: Partial<Record<keyof z.input<S> & string, string>>;
  /** An array option that takes the CLI's positional arguments (nagios-plugin's command). */
  positional?: keyof z.input<S> & string;
  run(target: Target, options: z.output<S>, ctx: ProbeContext): Promise<ProbeOutcome>;
}

/** Identity helper that keeps the option types of each probe. */
export function defineProbe<S extends z.ZodObject>(def: ProbeDefinition<S>): ProbeDefinition<S> {
  return def;
}
