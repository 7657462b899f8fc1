/**
 * From config to runnable checks: each check gets its id (`target/name`), its probe, its own
 * options (the probe's keys only) and its timing with the defaults filled in.
 */
import type { Target } from '../core/target.ts';
import { probes } from '../probes/index.ts';
import type { ProbeDefinition } from '../probes/types.ts';
import { commonKeyNames, type Config } from './schema.ts';

export interface PlannedCheck {
  /** `target/name`, stable across reloads: the key for state and results. */
  id: string;
  name: string;
  type: string;
  target: Target;
  probe: ProbeDefinition;
  options: Record<string, unknown>;
  intervalMs: number;
  retryIntervalMs: number;
  recheckDelayMs: number;
  maxAttempts: number;
  timeoutMs: number;
}

const common = new Set(['type', ...commonKeyNames]);

export function planChecks(config: Config): PlannedCheck[] {
  const d = config.defaults;
  const out: PlannedCheck[] = [];
  for (const t of config.targets) {
    const target: Target = { name: t.name, address: t.address, parents: t.parents, tags: t.tags };
    for (const c of t.checks as Array<Record<string, unknown> & { type: string }>) {
      const name = (c.name as string | undefined) ?? c.type;
      const options: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(c)) if (!common.has(k)) options[k] = v;
      out.push({
        id: `${t.name}/${name}`,
        name,
        type: c.type,
        target,
        probe: probes[c.type as keyof typeof probes] as ProbeDefinition,
        options,
        intervalMs: (c.interval as number | undefined) ?? d.interval,
        retryIntervalMs: (c.retry_interval as number | undefined) ?? d.retry_interval,
        recheckDelayMs: (c.recheck_delay as number | undefined) ?? d.recheck_delay,
        maxAttempts: (c.max_attempts as number | undefined) ?? d.max_attempts,
        timeoutMs: (c.timeout as number | undefined) ?? d.timeout,
      });
    }
  }
  return out;
}
