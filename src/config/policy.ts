/**
 * The notification policy and downtimes as config: how long to gather related changes into one
 * message, the cool-down against reopening, reminders, escalations, flap detection, delivery
 * retries, and scheduled downtime windows. daemon.ts turns these into the state engine's policies.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';
import { BOUNDS, LISTS } from './bounds.ts';

export const notificationsSchema = z
  .strictObject({
    settle: duration('wait this long after the first change of an incident before telling, so related changes go out as one message', BOUNDS.settle).prefault('1s'),
    cool_down: duration('a problem coming back within this time after recovery reopens the same incident', BOUNDS.longOrZero).prefault('5m'),
    reminder_interval: duration('repeat an open, unacknowledged problem this often (0: never)', BOUNDS.longOrZero).prefault('0s'),
    escalations: z
      .array(z.strictObject({ after: duration('time since the first message, unacknowledged', BOUNDS.longOrZero), level: z.number().int().min(1).max(10) }))
      .max(LISTS.escalations)
      .default([])
      .meta({ description: 'escalation levels: contacts with this escalation_level are told after this long' }),
    flapping: z
      .strictObject({
        enabled: z.boolean().default(true),
        window: z.number().int().min(3).max(100).default(21).meta({ description: 'results considered' }),
        high: z.number().min(1).max(100).default(50).meta({ description: 'flapping starts above this change percentage' }),
        low: z.number().min(0).max(99).default(25).meta({ description: 'flapping stops below this change percentage' }),
      })
      .refine((f) => f.low < f.high, { message: 'flapping.low must be below flapping.high', path: ['low'] })
      .prefault({}),
    delivery: z
      .strictObject({
        attempts: z.number().int().min(1).max(20).default(5),
        base_delay: duration('wait before the second attempt; doubles each time', BOUNDS.retryDelay).prefault('1s'),
        max_delay: duration('longest wait between attempts', BOUNDS.retryDelay).prefault('60s'),
        max_total: duration('no attempt starts after this long', BOUNDS.deliveryTotal).prefault('5m'),
      })
      .prefault({}),
    attacks: z
      .enum(['linked', 'all', 'none'])
      .default('linked')
      .meta({
        description:
          "attacks the guard blocked, told as their own message: 'linked' only when one explains an open problem (a blocked brute force on a server that works is for the console), 'all' every attack, 'none' never",
      }),
  })
  .prefault({});

const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

const offset = z
  .string()
  .regex(/^[+-]\d{2}:\d{2}$/, 'expected a UTC offset like "+09:00"')
  .transform((v) => (v.startsWith('-') ? -1 : 1) * (Number(v.slice(1, 3)) * 60 + Number(v.slice(4, 6))));

const when = z.iso.datetime({ offset: true, error: 'expected a date and time with its offset, like "2026-12-01T02:00:00+09:00"' }).transform((v) => Date.parse(v));

export const downtimeSchema = z
  .strictObject({
    targets: z.array(z.string()).default([]).meta({ description: 'targets in downtime (with tags: either)' }),
    tags: z.array(z.string()).default([]),
    checks: z.array(z.string()).default([]).meta({ description: 'only these check names (default: the whole target)' }),
    start: when.optional(),
    end: when.optional(),
    weekly: z
      .strictObject({
        days: z.array(z.enum(weekdays)).min(1),
        time: z.string().regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'expected HH:MM'),
        duration: duration('length of each window', BOUNDS.weeklyWindow),
        utc_offset: offset.prefault('+00:00'),
      })
      .optional(),
    comment: z.string().default(''),
  })
  .superRefine((d, ctx) => {
    const once = d.start !== undefined || d.end !== undefined;
    if (once && d.weekly) ctx.addIssue({ code: 'custom', path: ['weekly'], message: 'a downtime is either one-off (start/end) or weekly, not both' });
    else if (!once && !d.weekly) ctx.addIssue({ code: 'custom', path: [], message: 'expected start and end, or weekly' });
    else if (once && (d.start === undefined || d.end === undefined)) ctx.addIssue({ code: 'custom', path: [d.start === undefined ? 'start' : 'end'], message: 'a one-off downtime needs both start and end' });
    else if (once && d.end! <= d.start!) ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
    if (d.targets.length === 0 && d.tags.length === 0) ctx.addIssue({ code: 'custom', path: ['targets'], message: 'name the targets or tags the downtime covers' });
  });

export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type DowntimeConfig = z.output<typeof downtimeSchema>;
export const weekdayNumber = (d: (typeof weekdays)[number]): number => weekdays.indexOf(d);
