/**
 * Time zones for log times: the machine's zone, a zone name checked against Intl, and ZoneClock,
 * which turns wall time in one IANA zone into epoch milliseconds fast (the offset cached per
 * quarter hour of wall time: every transition in the time zone database since 1970 falls on one).
 */

/** A time zone name Intl does not know. */
export class TimeZoneError extends Error {
  constructor(readonly zone: string) {
    super(`unknown time zone "${zone}": use an IANA name such as "Asia/Tokyo", "Europe/Berlin" or "UTC"`);
    this.name = 'TimeZoneError';
  }
}

/** The zone this machine runs in (what syslog daemons write their local times in). */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The canonical name of an IANA zone; throws TimeZoneError for a name Intl does not know. */
export function checkTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new TimeZoneError(zone);
  }
}

const DAY_MS = 86_400_000;
const QUARTER_HOUR_MS = 900_000;

/** Wall time in one IANA zone to epoch milliseconds. */
export class ZoneClock {
  readonly zone: string;
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(zone: string) {
    this.zone = checkTimeZone(zone);
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: this.zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's offset from UTC at an instant, in milliseconds (east positive). */
  offsetAt(utcMs: number): number {
    let y = 0;
    let mo = 0;
    let d = 0;
    let h = 0;
    let mi = 0;
    let s = 0;
    for (const p of this.format.formatToParts(utcMs)) {
      if (p.type === 'year') y = Number(p.value);
      else if (p.type === 'month') mo = Number(p.value);
      else if (p.type === 'day') d = Number(p.value);
      else if (p.type === 'hour') h = Number(p.value);
      else if (p.type === 'minute') mi = Number(p.value);
      else if (p.type === 'second') s = Number(p.value);
    }
    return Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(utcMs / 1000) * 1000;
  }

  /**
   * Epoch milliseconds of a wall time (month 1-12). In the hour a clock goes back, the first of
   * the two instants; in the hour it skips, read with the offset before the change (02:30 that
   * never was is 03:30 in the new offset, as Temporal's "compatible" does it).
   */
  toEpoch(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number {
    const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
    const block = Math.floor(wall / QUARTER_HOUR_MS);
    let offset = this.offsets.get(block);
    if (offset === undefined) {
      // The offsets in force half a day before and after; the earlier instant that one of them
      // reads back as this wall time wins. Neither does in a skipped hour: read it with the old offset.
      const before = this.offsetAt(wall - DAY_MS / 2);
      const after = this.offsetAt(wall + DAY_MS / 2);
      const fits = (o: number) => this.offsetAt(wall - o) === o;
      if (before === after) offset = before;
      else if (fits(before) && fits(after)) offset = Math.max(before, after);
      else if (fits(after)) offset = after;
      else offset = before;
      if (this.offsets.size > 10_000) this.offsets.clear();
      this.offsets.set(block, offset);
    }
    return wall - offset;
  }
}
