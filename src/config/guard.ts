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
import { parseCidr } from '../guard/address.ts';
import { BOUNDS, COUNTS, LISTS } from './bounds.ts';

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

/** An allow entry wider than this (0.0.0.0/0, 10.0.0.0/7) needs guard.allow_everything: true. */
const WIDEST_V4 = 8;
const WIDEST_V6 = 16;
/**
 * The same rule for the JSON Schema (a zod refinement does not show there): without
 * allow_everything: true, no allow entry may end in a prefix shorter than the above. An IPv4
 * entry has no ":", an IPv6 one has; an IPv4-mapped IPv6 network (`::ffff:0.0.0.0/96`) is the one
 * spelling this pattern cannot see.
 */
const wideAllowRule = {
  if: { not: { required: ['allow_everything'], properties: { allow_everything: { const: true } } } },
  then: { properties: { allow: { items: { not: { pattern: `^(?:[^:]*/[0-${WIDEST_V4 - 1}]|.*:.*/(?:[0-9]|1[0-${WIDEST_V6 - 11}]))$` } } } } },
};

export const guardJailSchema = jailSchema.safeExtend({
  name: nameSchema.meta({ description: 'unique name of the jail' }),
  filters: z
    .array(z.enum(filterNames as [string, ...string[]], { error: (i) => `unknown filter "${String(i.input).slice(0, 80)}"; known filters: ${filterNames.join(', ')}` }))
    .min(1, 'a jail needs at least one filter')
    .max(filterNames.length, 'each filter once is enough')
    .meta({ description: 'filters whose failures this jail counts' }),
  // The jail's own schema (src/guard/jail.ts) leaves these open; the config file bounds them.
  max_retry: z.number().int().min(COUNTS.maxRetry[0]).max(COUNTS.maxRetry[1]).default(5).meta({ description: 'failures within find_time that ban an address' }),
  find_time: duration('the sliding window in which failures are counted', BOUNDS.ban).prefault('10m'),
  ban_time: duration('how long the first ban lasts', BOUNDS.ban).prefault('10m'),
  ban_time_increment: z
    .strictObject({
      factor: z.number().min(COUNTS.banFactor[0]).max(COUNTS.banFactor[1]).default(2).meta({ description: 'each further ban of the same address lasts this many times longer (1: no growth)' }),
      max: duration('the longest a ban grows to', BOUNDS.ban).prefault('1w'),
    })
    .prefault({})
    .meta({ description: 'longer bans for repeat offenders' }),
  max_connections: z
    .number()
    .int()
    .min(COUNTS.maxConnections[0])
    .max(COUNTS.maxConnections[1])
    .optional()
    .meta({ description: 'ESTABLISHED connections from one address at once that count as one failure each time they are seen; off when absent' }),
  max_tracked: z.number().int().min(COUNTS.maxTracked[0]).max(COUNTS.maxTracked[1]).default(100_000).meta({ description: 'addresses kept in memory (least recently seen evicted)' }),
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
    allow: allowSchema.shape.allow.unwrap().max(LISTS.allow).default([]).meta({ description: 'addresses and networks never banned (loopback and this machine are always allowed)' }),
    allow_everything: z
      .boolean()
      .default(false)
      .meta({ description: `confirms an allow entry wider than /${WIDEST_V4} (IPv4) or /${WIDEST_V6} (IPv6), such as 0.0.0.0/0, which turns the guard off for most of the Internet` }),
    allow_ssh_session: allowSchema.shape.allow_ssh_session,
    ban_link_local: z
      .boolean()
      .default(false)
      .meta({ description: 'ban link-local sources (169.254.0.0/16, fe80::/10) too; off by default, as the router on this link has one' }),
    connection_table: z
      .strictObject({
        enabled: z.boolean().default(true),
        interval: duration('how often the TCP connection table is read', BOUNDS.poll).prefault('5s'),
      })
      .prefault({})
      .meta({ description: "SYN_RECV and ESTABLISHED per source on each jail's port: evidence that raises a ban's severity (a SYN flood alone never bans)" }),
    cut_connections: z.boolean().default(true).meta({ description: 'close the open connections of an address when it is banned' }),
    enrich: enrichSchema.prefault({}),
    state_dir: z.string().optional().meta({ description: 'where log positions are kept (default: beside the store, or ./data/guard)' }),
    jails: z.array(guardJailSchema).max(LISTS.jails).default([]),
    recidive: recidiveSchema
      .safeExtend({
        max_bans: z.number().int().min(COUNTS.maxBans[0]).max(COUNTS.maxBans[1]).default(3).meta({ description: 'bans of one address, by any jail, within find_time that earn the long ban' }),
        find_time: duration('the window in which bans are counted', BOUNDS.ban).prefault('1d'),
        ban_time: duration('how long the long ban (every port) lasts', BOUNDS.ban).prefault('1w'),
        max_tracked: z.number().int().min(COUNTS.maxTracked[0]).max(COUNTS.maxTracked[1]).default(100_000).meta({ description: 'addresses remembered (least recently banned forgotten first)' }),
      })
      .optional().meta({ description: 'an address banned again and again by any jail gets one long ban on every port (off when absent)' }),
  })
  .superRefine((g, ctx) => {
    if (!g.allow_everything)
      g.allow.forEach((text, i) => {
        const c = parseCidr(text);
        const widest = c?.family === 6 ? WIDEST_V6 : WIDEST_V4;
        if (c && c.prefix < widest)
          ctx.addIssue({
            code: 'custom',
            path: ['allow', i],
            message: `"${text}" covers ${c.prefix === 0 ? 'every address' : `a /${c.prefix}, a large part of the Internet`}: the guard would ban almost nothing. Allow a narrower network (at least /${widest}), or set guard.allow_everything: true if that is what you mean`,
          });
      });
    const seen = new Map<string, number>();
    g.jails.forEach((j, i) => {
      if (seen.has(j.name)) ctx.addIssue({ code: 'custom', path: ['jails', i, 'name'], message: `jail name "${j.name}" is already used by jails[${seen.get(j.name)}]` });
      else seen.set(j.name, i);
    });
  })
  .meta(wideAllowRule)
  .prefault({});

export type GuardConfig = z.output<typeof guardSchema>;
export type GuardJailConfig = GuardConfig['jails'][number];
