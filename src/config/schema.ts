/**
 * The configuration schema, assembled from the plugin registries: each probe's own options
 * become one member of the checks' discriminated union, each store's options one member of the
 * store union. Nothing here names a probe; adding one to src/probes/index.ts is enough.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { BOUNDS, LISTS } from './bounds.ts';
import { ADDRESS_PATTERN } from './address.ts';
import { probes } from '../probes/index.ts';
import { stores } from '../store/index.ts';
import { buses } from '../bus/index.ts';
import { BUS_NAME } from '../bus/types.ts';
import { contactSchema, templatesSchema } from '../notify/contacts.ts';
import { downtimeSchema, notificationsSchema } from './policy.ts';
import { guardSchema } from './guard.ts';
import { authSchema, webSchema } from './web.ts';
import { executorSchema, remediationSchema, targetServiceSchema } from './remediation.ts';

// A problem is confirmed in seconds, not in max_attempts × retry_interval; half a second lets a
// one-packet hiccup pass while a real outage is seen again at once.
const RECHECK_DELAY = 'when a check turns from OK to a problem, the time before it is checked again (one of max_attempts), ahead of retry_interval';

/** Keys every check has, whatever its type; unset ones fall back to `defaults`. */
export const commonCheckKeys = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected a name of letters, digits, "_", ".", ":" and "-"')
    .optional()
    .meta({ description: 'unique within the target (default: the check type)' }),
  interval: duration('time between checks while OK', BOUNDS.interval).optional(),
  retry_interval: duration('time between checks while a problem is not yet confirmed', BOUNDS.interval).optional(),
  recheck_delay: duration(RECHECK_DELAY, BOUNDS.recheckDelay).optional(),
  max_attempts: z.number().int().min(1).max(100).optional().meta({ description: 'failures in a row before a problem is confirmed (hard)' }),
  timeout: duration('time after which a check is abandoned', BOUNDS.checkTimeout).optional(),
} as const;
export const commonKeyNames = Object.keys(commonCheckKeys);

function checkVariant<T extends string>(type: T, schema: z.ZodObject) {
  return schema.extend({ type: z.literal(type), ...commonCheckKeys });
}

const probeEntries = Object.entries(probes) as [string, (typeof probes)[keyof typeof probes]][];
export const checkSchema = z.discriminatedUnion(
  'type',
  probeEntries.map(([type, p]) => checkVariant(type, p.schema)) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const storeEntries = Object.entries(stores) as [string, (typeof stores)[keyof typeof stores]][];
export const storeSchema = z.discriminatedUnion(
  'type',
  storeEntries.map(([type, s]) => s.schema.extend({ type: z.literal(type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const busEntries = Object.entries(buses) as [string, (typeof buses)[keyof typeof buses]][];
export const busSchema = z.discriminatedUnion(
  'type',
  busEntries.map(([type, b]) => (b.schema as unknown as z.ZodObject).extend({ type: z.literal(type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const zoneName = z.string().regex(BUS_NAME, 'expected a zone name of letters, digits, "_" and "-"');

const nameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected a name of letters, digits, "_", ".", ":" and "-"');

export const targetSchema = z.strictObject({
  name: nameSchema.meta({ description: 'unique name of the server' }),
  address: z
    .string()
    .regex(new RegExp(ADDRESS_PATTERN), { error: (i) => `expected an IP address (192.0.2.10, 2001:db8::10) or a host name (mail.example.com), got "${String(i.input).slice(0, 80)}"` })
    .meta({ description: 'IP address or DNS name' }),
  parents: z.array(nameSchema).max(LISTS.names).default([]).meta({ description: 'targets this one is reached through' }),
  tags: z.array(z.string().max(200)).max(LISTS.names).default([]),
  executor: executorSchema.optional().meta({ description: 'how runbooks reach this server: { type: local } for this machine, { type: ssh, ... } for another; none: diagnose and fix nothing' }),
  services: z.array(targetServiceSchema).default([]).meta({ description: 'services on this server that runbooks may inspect, start and reload' }),
  host_check: nameSchema.optional().meta({ description: "the check that tells whether the host itself is up (default: its first ping check)" }),
  zones: z.array(zoneName).max(16).default([]).meta({ description: "the zones whose pollers run this target's checks (mamoru poller --zone NAME; needs bus: { type: nats }); none: the brain runs them itself" }),
  quorum: z.number().int().min(1).max(16).optional().meta({ description: 'how many zones must see a check fail before it is a problem (default: a majority of the zones that have a live poller)' }),
  agent: z.string().regex(BUS_NAME, 'expected an agent name of letters, digits, "_" and "-"').optional().meta({ description: "the mamoru agent on this server (its config's name:); needs bus: { type: nats }; its silence is the check `agent` of this target (src/daemon/agents.ts)" }),
  checks: z.array(checkSchema).max(LISTS.checksPerTarget).default([]),
});

export const defaultsSchema = z.strictObject({
  interval: duration('time between checks while OK', BOUNDS.interval).prefault('60s'),
  retry_interval: duration('time between checks while a problem is not yet confirmed', BOUNDS.interval).prefault('15s'),
  recheck_delay: duration(RECHECK_DELAY, BOUNDS.recheckDelay).prefault('500ms'),
  max_attempts: z.number().int().min(1).max(100).default(3),
  timeout: duration('time after which a check is abandoned', BOUNDS.checkTimeout).prefault('10s'),
});

const secretName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a secret name of letters, digits, "_", "." and "-"');
export const secretsSchema = z
  .record(
    secretName,
    z.union([z.strictObject({ env: z.string().min(1).meta({ description: 'environment variable holding the value' }) }), z.strictObject({ file: z.string().min(1).meta({ description: 'file holding the value (a trailing newline is ignored)' }) })], {
      error: 'expected { env: VARIABLE } or { file: /path/to/file }',
    }),
  )
  .default({})
  .meta({ description: 'named secrets, read when needed from a file or the environment; options ending in _secret name one' });

export const configSchema = z
  .strictObject({
    secrets: secretsSchema,
    defaults: defaultsSchema.prefault({}),
    scheduler: z
      .strictObject({
        concurrency: z.number().int().min(1).max(10_000).default(64).meta({ description: 'checks running at once, in all' }),
        per_host_concurrency: z.number().int().min(1).max(1000).default(4).meta({ description: 'checks running at once against one address' }),
        jitter: z.number().min(0).max(0.5).default(0.1).meta({ description: 'random spread of each run, as a fraction of the interval' }),
      })
      .prefault({}),
    store: storeSchema.prefault({ type: 'sqlite' }),
    bus: busSchema.prefault({ type: 'local' }).meta({ description: "how pollers hand results to the brain: local (in this process, the default) or nats (JetStream, for pollers in zones on other machines)" }),
    web: webSchema,
    metrics: z
      .strictObject({
        per_check: z
          .enum(['auto', 'all', 'none'])
          .default('auto')
          .meta({ description: "a mamoru_check_state and mamoru_check_duration_seconds series per check: auto (up to 10,000 checks; past that only the counts by type and state, mamoru_checks), all, or none" }),
      })
      .prefault({})
      .meta({ description: 'what /metrics shows' }),
    auth: authSchema,
    log: z.strictObject({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info') }).prefault({}),
    targets: z.array(targetSchema).max(LISTS.targets).default([]),
    contacts: z.array(contactSchema).max(LISTS.contacts).default([]).meta({ description: 'who is told about incidents, in which language and through which channels' }),
    templates: templatesSchema.meta({ description: 'message template overrides per language and event; {{field}} names a field' }),
    notifications: notificationsSchema,
    downtimes: z.array(downtimeSchema).max(LISTS.downtimes).default([]).meta({ description: 'scheduled downtime: no messages about the covered targets while a window is active' }),
    remediation: remediationSchema,
    ingest: z
      .strictObject({ token_secret: z.string().min(1).optional().meta({ description: 'secret holding the token that /api/ingest/* requests must bring (Authorization: Bearer); ingest is off without it' }) })
      .prefault({})
      .meta({ description: 'alerts from Nagios, Icinga and Alertmanager' }),
    guard: guardSchema.meta({ description: 'attack detection: jails that follow logs and ban in the firewall' }),
  })
  .superRefine((cfg, ctx) => {
    // Cross-references a per-field schema cannot see: unique names, known parents, no cycles.
    const index = new Map<string, number>();
    cfg.targets.forEach((t, i) => {
      if (index.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `target name "${t.name}" is already used by targets[${index.get(t.name)}]; names must be unique` });
      else index.set(t.name, i);
      const seen = new Map<string, number>();
      t.checks.forEach((c, j) => {
        for (const [key, value] of Object.entries(c))
          if (key.endsWith('_secret') && typeof value === 'string' && !(value in cfg.secrets))
            ctx.addIssue({ code: 'custom', path: ['targets', i, 'checks', j, key], message: `unknown secret "${value}"; define it under "secrets:" with { env: VARIABLE } or { file: PATH }` });
        const id = (c.name as string | undefined) ?? (c.type as string);
        if (seen.has(id))
          ctx.addIssue({
            code: 'custom',
            path: ['targets', i, 'checks', j, c.name ? 'name' : 'type'],
            message: `check "${id}" is already defined on target "${t.name}" (checks[${seen.get(id)}]); give each check of the same type its own "name"`,
          });
        else seen.set(id, j);
      });
    });
    cfg.targets.forEach((t, i) =>
      t.parents.forEach((p, j) => {
        if (!index.has(p)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'parents', j], message: `unknown parent "${p}"; expected the name of another target` });
        else if (p === t.name) ctx.addIssue({ code: 'custom', path: ['targets', i, 'parents', j], message: 'a target cannot be its own parent' });
      }),
    );
    const secretRefs = (obj: Record<string, unknown>, path: (string | number)[]) => {
      for (const [key, value] of Object.entries(obj))
        if (key.endsWith('_secret') && typeof value === 'string' && !(value in cfg.secrets))
          ctx.addIssue({ code: 'custom', path: [...path, key], message: `unknown secret "${value}"; define it under "secrets:" with { env: VARIABLE } or { file: PATH }` });
    };
    // The store's and the bus's passwords are named secrets too: a typo is found now, not at start.
    secretRefs(cfg.store as Record<string, unknown>, ['store']);
    secretRefs(cfg.bus as Record<string, unknown>, ['bus']);
    cfg.targets.forEach((t, i) => {
      const zones = new Set<string>();
      t.zones.forEach((z, j) => {
        if (zones.has(z)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'zones', j], message: `zone "${z}" is listed twice` });
        zones.add(z);
      });
      if (t.zones.length > 0 && (cfg.bus as { type: string }).type === 'local')
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'zones'], message: 'zones are checked by pollers on the bus: set bus: { type: nats, url: ... } or remove zones' });
      if (t.agent !== undefined && (cfg.bus as { type: string }).type === 'local')
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'agent'], message: 'agents are heard over the bus: set bus: { type: nats, url: ... } or remove agent' });
      if (t.agent !== undefined && t.checks.some((c) => ((c.name as string | undefined) ?? (c.type as string)) === 'agent'))
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'agent'], message: `target "${t.name}" names an agent, whose check is called "agent": rename its own check "agent"` });
      if (t.quorum !== undefined && t.quorum > t.zones.length)
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'quorum'], message: `quorum ${t.quorum} is more than the ${t.zones.length} zone(s) listed in zones` });
      if (t.host_check !== undefined && !t.checks.some((c) => ((c.name as string | undefined) ?? (c.type as string)) === t.host_check))
        ctx.addIssue({ code: 'custom', path: ['targets', i, 'host_check'], message: `no check named "${t.host_check}" on target "${t.name}"` });
    });
    if (cfg.ingest.token_secret !== undefined && !(cfg.ingest.token_secret in cfg.secrets))
      ctx.addIssue({ code: 'custom', path: ['ingest', 'token_secret'], message: `unknown secret "${cfg.ingest.token_secret}"; define it under "secrets:" with { env: VARIABLE } or { file: PATH }` });
    const contactNames = new Map<string, number>();
    cfg.contacts.forEach((c, i) => {
      if (contactNames.has(c.name)) ctx.addIssue({ code: 'custom', path: ['contacts', i, 'name'], message: `contact name "${c.name}" is already used by contacts[${contactNames.get(c.name)}]; names must be unique` });
      else contactNames.set(c.name, i);
      c.targets.forEach((t, j) => {
        if (!index.has(t)) ctx.addIssue({ code: 'custom', path: ['contacts', i, 'targets', j], message: `unknown target "${t}"` });
      });
      c.channels.forEach((ch, j) => secretRefs(ch as Record<string, unknown>, ['contacts', i, 'channels', j]));
    });
    cfg.downtimes.forEach((d, i) =>
      d.targets.forEach((t, j) => {
        if (!index.has(t)) ctx.addIssue({ code: 'custom', path: ['downtimes', i, 'targets', j], message: `unknown target "${t}"` });
      }),
    );
    const byName = new Map(cfg.targets.map((t) => [t.name, t]));
    for (const [i, t] of cfg.targets.entries()) {
      const seen = new Set<string>();
      const walk = (name: string): boolean => {
        if (name === t.name && seen.size > 0) return true;
        if (seen.has(name)) return false;
        seen.add(name);
        return (byName.get(name)?.parents ?? []).some(walk);
      };
      if (t.parents.some(walk)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'parents'], message: `parents form a loop back to "${t.name}"; a target cannot depend on itself` });
    }
  });

export type Config = z.output<typeof configSchema>;
export type CheckConfig = z.output<typeof checkSchema> & { type: string; name?: string };
export type TargetConfig = Config['targets'][number];

/** JSON Schema of the config file, for editors (yaml-language-server) and docs. */
export function configJsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
