/**
 * From config to runnable checks: each check gets its id (`target/name`), its probe, its own
 * options (the probe's keys only) and its timing with the defaults filled in.
 */
import { z } from 'zod';
import { NagiosState } from '../core/nagios.ts';
import { outcome } from '../core/result.ts';
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

/**
 * The check `agent` of a target that names its agent (`agent: web1`): the brain decides it from
 * the agent's heartbeats (daemon/agents.ts) and the scheduler never runs it; one failure is the
 * problem, since the agent's TTL already waited.
 */
export const AGENT_CHECK = 'agent';
const agentProbe: ProbeDefinition = { type: AGENT_CHECK, summary: "the target's mamoru agent heard within its TTL (decided by the brain, never run)", schema: z.strictObject({}), run: async () => outcome(NagiosState.UNKNOWN, 'AGENT UNKNOWN - decided by the brain from the heartbeats') };

/**
 * One options object for every check of the same type with the same options: 100,000 checks of
 * a few definitions hold a few objects, not 100,000 copies. Keyed by the options' values (plain
 * data from the config; JSON for nested ones); the probes read options and never change them.
 */
function sharedOptions(): (type: string, c: Record<string, unknown>) => Record<string, unknown> {
  const known = new Map<string, Record<string, unknown>>();
  return (type, c) => {
    const options: Record<string, unknown> = {};
    for (const k in c) if (!common.has(k)) options[k] = c[k];
    // Flat options of plain values (the usual check) are keyed without JSON's replacer walk.
    let flat = '';
    for (const k in options) {
      const v = options[k];
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') flat += `${k}\0${JSON.stringify(v)}\0`;
      else {
        flat = '';
        break;
      }
    }
    if (flat || Object.keys(options).length === 0) {
      const key = `${type}\0${flat}`;
      const same = known.get(key);
      if (same) return same;
      known.set(key, options);
      return options;
    }
    let plain = true;
    const json = JSON.stringify(options, (_k, v: unknown) => {
      if (v instanceof RegExp) return `\0re ${v.flags} ${v.source}`;
      if (typeof v === 'string' && v.startsWith('\0re ')) plain = false;
      if (typeof v === 'function' || typeof v === 'bigint' || typeof v === 'symbol' || (v === undefined && _k !== '')) plain = false;
      else if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) plain = false;
      return v;
    });
    // Anything JSON would not tell apart (a class instance, a function) keeps its own object.
    if (!plain) return options;
    const key = `${type}\0\0json\0${json}`;
    const same = known.get(key);
    if (same) return same;
    known.set(key, options);
    return options;
  };
}

export function planChecks(config: Config): PlannedCheck[] {
  const d = config.defaults;
  const out: PlannedCheck[] = [];
  const optionsOf = sharedOptions();
  for (const t of config.targets) {
    const target: Target = { name: t.name, address: t.address, parents: t.parents, tags: t.tags };
    for (const c of t.checks as Array<Record<string, unknown> & { type: string }>) {
      const name = (c.name as string | undefined) ?? c.type;
      const options = optionsOf(c.type, c);
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
    if (t.agent) out.push({ id: `${t.name}/${AGENT_CHECK}`, name: AGENT_CHECK, type: AGENT_CHECK, target, probe: agentProbe, options: {}, intervalMs: d.interval, retryIntervalMs: d.retry_interval, recheckDelayMs: d.recheck_delay, maxAttempts: 1, timeoutMs: d.timeout });
  }
  return out;
}

/** The scheduler's settings from the config's `scheduler:` block (the brain's and a poller's scheduler alike). */
export function schedulerSettings(s: Config['scheduler']): { concurrency: number; perHostConcurrency: number; jitter: number } {
  return { concurrency: s.concurrency, perHostConcurrency: s.per_host_concurrency, jitter: s.jitter };
}
