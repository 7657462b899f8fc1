/**
 * Timestamps of log lines: the year of year-less syslog dates (the latest year that is not more
 * than a day ahead of "now"), RFC 3339 offsets, TAI64N, the other daemons' own formats, and wall
 * times in the log's IANA zone across daylight-saving changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogTimeParser, tai64nAt } from '../../src/guard/log-time.ts';
import { TimeZoneError, ZoneClock, checkTimeZone } from '../../src/guard/zone-clock.ts';

const iso = (ms: number) => new Date(ms).toISOString();

function parser(zone: string, now: string): LogTimeParser {
  const t = Date.parse(now);
  return new LogTimeParser({ timeZone: zone, now: () => t });
}

function timeOf(p: LogTimeParser, line: string): string {
  assert.ok(p.parse(line), `no time in ${JSON.stringify(line)}`);
  return iso(p.time);
}

test('syslog without a year: the latest year that is at most a day ahead of now', () => {
  const cases: [now: string, line: string, want: string][] = [
    ['2026-01-02T12:00:00Z', 'Jan  2 11:00:00', '2026-01-02T11:00:00.000Z'],
    ['2026-01-02T12:00:00Z', 'Dec 31 23:59:59', '2025-12-31T23:59:59.000Z'],
    ['2026-01-02T12:00:00Z', 'Jan  3 11:59:59', '2026-01-03T11:59:59.000Z'],
    ['2026-01-02T12:00:00Z', 'Jan  3 12:00:01', '2025-01-03T12:00:01.000Z'],
    // A clock a little behind at New Year: the first lines of January belong to the year to come.
    ['2025-12-31T23:59:00Z', 'Jan  1 00:00:30', '2026-01-01T00:00:30.000Z'],
    ['2026-11-26T12:00:00Z', 'Nov 27 11:00:00', '2026-11-27T11:00:00.000Z'],
    ['2026-11-26T12:00:00Z', 'Dec 25 10:00:00', '2025-12-25T10:00:00.000Z'],
    // Feb 29 only exists in leap years: the latest one that fits.
    ['2026-03-01T00:00:00Z', 'Feb 29 10:00:00', '2024-02-29T10:00:00.000Z'],
    ['2028-03-01T00:00:00Z', 'Feb 29 10:00:00', '2028-02-29T10:00:00.000Z'],
    // Zero-padded days (Dovecot's %d) and single-digit ones without padding.
    ['2026-11-26T12:00:00Z', 'Jan 05 10:00:01', '2026-01-05T10:00:01.000Z'],
    ['2026-11-26T12:00:00Z', 'Jun 9 08:56:30', '2026-06-09T08:56:30.000Z'],
  ];
  for (const [now, line, want] of cases) assert.equal(timeOf(parser('UTC', now), `${line} host prog: x`), want, `${line} at ${now}`);
});

test('syslog in the log\'s time zone: "a day ahead" is judged on the real instant', () => {
  // 09:00 on Jan 3 in Tokyo is 00:00 UTC: 12 h after now, this year.
  assert.equal(timeOf(parser('Asia/Tokyo', '2026-01-02T12:00:00Z'), 'Jan  3 09:00:00 h p: x'), '2026-01-03T00:00:00.000Z');
  assert.equal(timeOf(parser('America/New_York', '2026-07-01T00:00:00Z'), 'Jun 30 20:00:00 h p: x'), '2026-07-01T00:00:00.000Z');
});

test('RFC 3339 / ISO 8601: offsets as written, wall times in the zone, fractions to the millisecond', () => {
  const p = parser('Asia/Tokyo', '2026-11-26T12:00:00Z');
  assert.equal(timeOf(p, '2026-01-19T20:38:08.123456+09:00 host p: x'), '2026-01-19T11:38:08.123Z');
  assert.equal(timeOf(p, '2026-01-19T20:38:08Z host p: x'), '2026-01-19T20:38:08.000Z');
  assert.equal(timeOf(p, '2026-01-19T20:38:08-0500 host p: x'), '2026-01-20T01:38:08.000Z');
  assert.equal(timeOf(p, '2026-01-19T20:38:08+05:30 host p: x'), '2026-01-19T15:08:08.000Z');
  assert.equal(timeOf(p, '2026-01-19 20:38:08 imap-login: Info: x'), '2026-01-19T11:38:08.000Z');
  assert.equal(timeOf(p, '2026-01-19 20:38:08,042 host proftpd[1] x'), '2026-01-19T11:38:08.042Z');
  assert.equal(p.kind, 'iso');
  assert.equal('2026-01-19 20:38:08,042 host proftpd[1] x'.slice(p.end), 'host proftpd[1] x');
});

test('TAI64N as multilog writes it: 2^62 + 10 + Unix seconds, then nanoseconds', () => {
  const unix = Date.UTC(2026, 0, 19, 20, 38, 8) / 1000;
  const label = '@' + ((1n << 62n) + 10n + BigInt(unix)).toString(16).padStart(16, '0') + (123_456_789).toString(16).padStart(8, '0');
  assert.equal(iso(tai64nAt(label)!), '2026-01-19T20:38:08.123Z');
  const p = parser('Asia/Tokyo', '2026-11-26T12:00:00Z');
  assert.equal(timeOf(p, `${label} vchkpw-pop3: x`), '2026-01-19T20:38:08.123Z');
  assert.equal(p.kind, 'tai64n');
  assert.equal(`${label} vchkpw-pop3: x`.slice(p.end), 'vchkpw-pop3: x');
  assert.equal(tai64nAt('@40000000zzzzzzzz00000000'), undefined);
  assert.equal(tai64nAt('@400000006'), undefined);
});

test('the daemons\' own formats: vsftpd (ctime), Apache, nginx', () => {
  const p = parser('Europe/Berlin', '2026-11-26T12:00:00Z');
  assert.equal(timeOf(p, 'Thu Nov 26 14:21:08 2026 [pid 1] x'), '2026-11-26T13:21:08.000Z');
  assert.equal(timeOf(p, 'Mon Jan  5 10:00:01 2026 [pid 2] x'), '2026-01-05T09:00:01.000Z');
  assert.equal(p.kind, 'ctime');
  assert.equal(timeOf(p, '[Thu Nov 26 14:20:26.123456 2026] [auth_basic:error] x'), '2026-11-26T13:20:26.123Z');
  assert.equal(p.kind, 'apache');
  assert.equal('[Thu Nov 26 14:20:26.123456 2026] [auth_basic:error] x'.slice(p.end), '[auth_basic:error] x');
  assert.equal(timeOf(p, '[Thu Nov 26 14:20:26 2026] [error] x'), '2026-11-26T13:20:26.000Z');
  assert.equal(timeOf(p, '2026/11/26 14:20:26 [error] 1#1: x'), '2026-11-26T13:20:26.000Z');
  assert.equal(p.kind, 'slash');
});

test('a line in the same minute as the one before is read from its seconds, and only then', () => {
  const p = parser('Asia/Tokyo', '2026-11-26T12:00:00Z');
  const seq: [string, string][] = [
    ['2026-01-19T20:38:08+09:00 a', '2026-01-19T11:38:08.000Z'],
    ['2026-01-19T20:38:09+09:00 b', '2026-01-19T11:38:09.000Z'],
    ['2026-01-19T20:38:09+05:00 c', '2026-01-19T15:38:09.000Z'],
    ['2026-01-19T20:38:07.250+05:00 d', '2026-01-19T15:38:07.250Z'],
    ['Thu Nov 26 14:21:08 2026 [pid 1] e', '2026-11-26T05:21:08.000Z'],
    ['Thu Nov 26 14:21:59 2026 [pid 1] f', '2026-11-26T05:21:59.000Z'],
    ['Thu Nov 26 14:21:59 2027 [pid 1] g', '2027-11-26T05:21:59.000Z'],
    ['Nov 26 14:21:08 h p: x', '2026-11-26T05:21:08.000Z'],
    ['Nov 26 14:21:09', '2026-11-26T05:21:09.000Z'],
    ['Nov 26 14:21:09.5 h p: x', '2026-11-26T05:21:09.500Z'],
    ['Nov 26 14:21:1x h p: x', '2026-11-26T12:00:00.000Z'],
  ];
  for (const [line, want] of seq) {
    p.parse(line);
    assert.equal(iso(p.time), want, line);
  }
  assert.equal(p.kind, 'none');
  p.parse('Nov 26 14:21:10 h p: x');
  assert.equal('Nov 26 14:21:10 h p: x'.slice(p.end), 'h p: x');
  p.parse('Nov 26 14:21:11 h p: x');
  assert.equal('Nov 26 14:21:11 h p: x'.slice(p.end), 'h p: x');
  assert.equal(p.kind, 'syslog');
});

test('no timestamp: now, and the whole line is the message', () => {
  const p = parser('UTC', '2026-11-26T12:00:00Z');
  for (const line of ['Invalid user x from 1.2.3.4 port 1', 'Jan 32 10:00:00 x', 'Foo  1 10:00:00 x', '2026-13-01T00:00:00Z x', 'Jan  1 10:00:00x', '2026-02-30 00:00:00 x', '']) {
    assert.equal(p.parse(line), false, JSON.stringify(line));
    assert.equal(p.end, 0);
    assert.equal(iso(p.time), '2026-11-26T12:00:00.000Z');
  }
});

test('wall time across daylight-saving changes: the earlier instant when the clock goes back', () => {
  const berlin = new ZoneClock('Europe/Berlin');
  const at = (d: number, mo: number, h: number, mi: number) => iso(berlin.toEpoch(2026, mo, d, h, mi, 0, 0));
  assert.equal(at(29, 3, 1, 59), '2026-03-29T00:59:00.000Z');
  assert.equal(at(29, 3, 3, 0), '2026-03-29T01:00:00.000Z');
  // 02:30 never happened that night: read with the winter offset, as 03:30 summer time.
  assert.equal(at(29, 3, 2, 30), '2026-03-29T01:30:00.000Z');
  // 02:30 happened twice: the first time (summer time).
  assert.equal(at(25, 10, 2, 30), '2026-10-25T00:30:00.000Z');
  assert.equal(at(25, 10, 3, 0), '2026-10-25T02:00:00.000Z');
  const sydney = new ZoneClock('Australia/Sydney');
  assert.equal(iso(sydney.toEpoch(2026, 1, 19, 12, 0, 0, 0)), '2026-01-19T01:00:00.000Z');
  assert.equal(iso(sydney.toEpoch(2026, 7, 19, 12, 0, 0, 0)), '2026-07-19T02:00:00.000Z');
});

test('time zones: IANA names are checked, an unknown one is a typed error that says what to use', () => {
  assert.equal(checkTimeZone('Asia/Tokyo'), 'Asia/Tokyo');
  assert.equal(checkTimeZone('UTC'), 'UTC');
  assert.throws(() => checkTimeZone('Mars/Olympus'), (e: unknown) => e instanceof TimeZoneError && /Mars\/Olympus/.test(e.message) && /IANA/.test(e.message));
  assert.throws(() => new LogTimeParser({ timeZone: 'JST+9' }), TimeZoneError);
});

test('a line that ends at or inside a timestamp is read at once (it once looped for ever or threw)', { timeout: 5000 }, () => {
  const p = parser('UTC', '2026-11-26T12:00:00Z');
  // A fraction at the very end is still the line's time.
  assert.equal(timeOf(p, 'Jan 19 20:38:08.5'), '2026-01-19T20:38:08.500Z');
  assert.equal(timeOf(p, '2026-01-19T20:38:08.12'), '2026-01-19T20:38:08.120Z');
  // Cut short: no timestamp, now, never a NaN.
  for (const line of ['Mon Jan 19 20:38:08 202', 'Jan 19 20:38:0', '2026-01-19T20:38:08+09']) {
    assert.equal(p.parse(line), false, JSON.stringify(line));
    assert.equal(iso(p.time), '2026-11-26T12:00:00.000Z', JSON.stringify(line));
  }
});
