/**
 * Remediation as config: per target, how mamoru reaches the server (an executor: this machine, or
 * SSH) and which services run there (how to start them, which checks concern them); globally, the
 * guard policy for actions (dry-run, ask, auto, rate limits) and how long the first message waits
 * for the runbook, so it can say what was found and done.
 */
import { z } from 'zod';
import { serviceSchema } from '../actions/service-config.ts';
import { policySchema } from '../actions/policy.ts';
import { duration } from '../core/schema.ts';
import { executors } from '../executors/index.ts';

const executorEntries = Object.entries(executors) as [string, (typeof executors)[keyof typeof executors]][];
export const executorSchema = z.discriminatedUnion(
  'type',
  executorEntries.map(([type, e]) => (e.schema as z.ZodObject).safeExtend({ type: z.literal(type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

/** A service on a target, and the checks whose problems are about it. */
export const targetServiceSchema = serviceSchema.safeExtend({
  checks: z.array(z.string()).default([]).meta({ description: "names of this target's checks that watch this service (default: checks on one of its ports)" }),
});

export const remediationSchema = z
  .strictObject({
    enabled: z.boolean().default(true).meta({ description: 'run runbooks for new problems on targets with an executor' }),
    policy: policySchema.prefault({}),
    wait: duration('how long the first message of an incident waits for the runbook, so it can say what was found and done').prefault('8s'),
  })
  .prefault({});

export type RemediationConfig = z.output<typeof remediationSchema>;
export type TargetServiceConfig = z.output<typeof targetServiceSchema>;
