/**
 * The guard as config: jails (which logs, which filters, how many failures in what window, how
 * long a ban), the firewall backend, the allow list and enrichment. Assembled from the registries
 * of sources, filters and firewall backends, like the checks' union from the probes.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { firewalls } from '../firewall/index.ts';
import { allowSchema } from '../guard/allow.ts';
import { schema as enrichSchema } from '../guard/enrich/enrich.ts';
import { filters } from '../guard/filters/index.ts';
import { jailSchema } from '../guard/jail.ts';
import { checkTimeZone } from '../guard/zone-clock.ts';
import { sources } from '../guard/sources/index.ts';
import { recidiveSchema } from '../guard/recidive.ts';

const nameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a name of letters, digits, "_", "." and "-"');

const sourceEntries = Object.entries(sources) as [string, (typeof sources)[keyof typeof sources]][];
const sourceSchema = z.discriminatedUnion(
  'type',
  sourceEntries.map(([type, s]) => (s.schema as z.ZodObject).safeExtend({ type: z.literal(type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const firewallEntries = Object.entries(firewalls) as [string, (typeof firewalls)[keyof typeof firewalls]][];
const firewallSchema = z.discriminatedUnion(
  'type',
  firewallEntries.map(([type, f]) => (f.schema as z.ZodObject).safeExtend({ type: z.literal(type) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const filterNames = Object.keys(filters);

export const guardJailSchema = jailSchema.safeExtend({
  name: nameSchema.meta({ description: 'unique name of the jail' }),
  filters: z
    .array(z.string().refine((f) => f in filters, { error: (i) => `unknown filter "${String(i.input)}"; known filters: ${filterNames.join(', ')}` }))
    .min(1, 'a jail needs at least one filter'),
  sources: z.array(sourceSchema).min(1, 'a jail needs at least one source (a log file or journald)'),
  time_zone: z
    .string()
    .refine((tz) => {
      try {
        checkTimeZone(tz);
        return true;
      } catch {
        return false;
      }
    }, 'expected an IANA time zone like "Asia/Tokyo"')
    .optional()
    .meta({ description: "the logs' time zone, for lines without an offset (default: this machine's)" }),
  target: z.string().optional().meta({ description: 'the target whose incidents bans are recorded in (default: this host)' }),
});

export const guardSchema = z
  .strictObject({
    firewall: firewallSchema.prefault({ type: 'nftables' }).meta({ description: 'where bans are applied' }),
    allow: allowSchema.shape.allow,
    allow_ssh_session: allowSchema.shape.allow_ssh_session,
    connection_table: z
      .strictObject({
        enabled: z.boolean().default(true),
        interval: duration('how often the TCP connection table is read').prefault('5s'),
      })
      .prefault({})
      .meta({ description: "SYN_RECV and ESTABLISHED per source on each jail's port: evidence that raises a ban's severity (a SYN flood alone never bans)" }),
    cut_connections: z.boolean().default(true).meta({ description: 'close the open connections of an address when it is banned' }),
    enrich: enrichSchema.prefault({}),
    state_dir: z.string().optional().meta({ description: 'where log positions are kept (default: beside the store, or ./data/guard)' }),
    jails: z.array(guardJailSchema).default([]),
    recidive: recidiveSchema.optional().meta({ description: 'an address banned again and again by any jail gets one long ban on every port (off when absent)' }),
  })
  .superRefine((g, ctx) => {
    const seen = new Map<string, number>();
    g.jails.forEach((j, i) => {
      if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: ['jails', i, 'name'], message: `jail name "${j.name}" is already used by jails[${seen.get(j.name)}]` });
      else seen.set(j.name, i);
    });
  })
  .prefault({});

export type GuardConfig = z.output<typeof guardSchema>;
export type GuardJailConfig = GuardConfig['jails'][number];
