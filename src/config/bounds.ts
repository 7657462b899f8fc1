/**
 * The bounds every duration and count of the config file is held to, in one place so the
 * numbers can be read (and argued about) side by side. Durations are in ms. A minimum of 0 is
 * given only where zero means something ("never", "at once"); elsewhere zero is refused, as
 * `interval: 0s` would spin a check without pause.
 */
import type { DurationBounds } from '../core/schema.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const BOUNDS = {
  /** Check intervals: 100 ms (tests run that fast) to 30 days. */
  interval: { min: 100, max: 30 * DAY },
  /** 0: re-run at once. */
  recheckDelay: { min: 0, max: HOUR },
  checkTimeout: { min: 10, max: HOUR },
  /** Waits before telling (settle, remediation.wait); 0: at once. */
  settle: { min: 0, max: HOUR },
  /** cool_down, reminder_interval, escalations.after: 0 means never / at once; at most a year. */
  longOrZero: { min: 0, max: 366 * DAY },
  /** Session lifetimes, login windows: a second to a year. */
  long: { min: SECOND, max: 366 * DAY },
  retryDelay: { min: 10, max: DAY },
  deliveryTotal: { min: SECOND, max: 7 * DAY },
  weeklyWindow: { min: MINUTE, max: 7 * DAY },
  /** How often something is read or polled: 100 ms to an hour. */
  poll: { min: 100, max: HOUR },
  /** Jail windows and bans: a second to 366 days (a ban longer than a year is a typo). */
  ban: { min: SECOND, max: 366 * DAY },
} as const satisfies Record<string, DurationBounds>;

/** Counts: each `[min, max]`. */
export const COUNTS = {
  maxRetry: [1, 10_000],
  banFactor: [1, 1000],
  maxConnections: [1, 1_000_000],
  maxTracked: [10, 10_000_000],
  maxBans: [2, 1000],
} as const;

/** How many entries a list may hold: far past real use (50,000 checks is the bench's size), short of exhausting memory. */
export const LISTS = {
  targets: 100_000,
  checksPerTarget: 10_000,
  names: 1000,
  contacts: 10_000,
  downtimes: 10_000,
  escalations: 10,
  jails: 1000,
  allow: 100_000,
} as const;
