/**
 * The time at the start of a log line, in the formats the servers in the runbook write: Apache
 * (`[Tue Nov 26 14:00:00.123456 2026]`, 2.2 without the fraction), nginx (`2026/11/26 14:00:00`),
 * ISO 8601 and MariaDB (`2026-11-26 14:00:00`, `2026-11-26T14:00:00+09:00`), and syslog
 * (`Nov 26 14:00:00`, whose year is the one that puts it in the past). Without an offset in the
 * text a time is read in mamoru's own time zone, which is the server's when both agree.
 */

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

const APACHE = /^\[(?:\w{3} )?(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))? (\d{4})\]/;
const NGINX = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})/;
const ISO = /^\[?(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?/;
const SYSLOG = /^(\w{3}) +(\d{1,2}) (\d{2}):(\d{2}):(\d{2})\b/;

const ms = (fraction: string | undefined) => (fraction ? Math.round(Number(`0.${fraction}`) * 1000) : 0);

function local(y: number, mo: number, d: number, h: number, mi: number, s: number, milli: number): Date | undefined {
  const t = new Date(y, mo, d, h, mi, s, milli);
  return Number.isNaN(t.getTime()) ? undefined : t;
}

/**
 * How much of a line the time is looked for in: every form above is under 50 characters, and a
 * server's line can be a megabyte (the patterns are anchored and linear; this keeps each look
 * small whatever the line).
 */
const HEAD = 100;

/** The time a log line starts with, or undefined when it starts with none of the known forms. */
export function parseLogTime(text: string, now: Date = new Date()): Date | undefined {
  const line = text.length > HEAD ? text.slice(0, HEAD) : text;
  let m = APACHE.exec(line);
  if (m) {
    const mo = MONTHS[m[1]!.toLowerCase()];
    return mo === undefined ? undefined : local(Number(m[7]), mo, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), ms(m[6]));
  }
  m = NGINX.exec(line);
  if (m) return local(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), 0);
  m = ISO.exec(line);
  if (m) {
    if (!m[8]) return local(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]), ms(m[7]));
    const zone = m[8] === 'Z' ? 'Z' : `${m[8].slice(0, 3)}:${m[8].slice(-2)}`;
    const t = new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${String(ms(m[7])).padStart(3, '0')}${zone}`);
    return Number.isNaN(t.getTime()) ? undefined : t;
  }
  m = SYSLOG.exec(line);
  if (m) {
    const mo = MONTHS[m[1]!.toLowerCase()];
    if (mo === undefined) return undefined;
    const at = (y: number) => local(y, mo, Number(m![2]), Number(m![3]), Number(m![4]), Number(m![5]), 0);
    const t = at(now.getFullYear());
    // No year in syslog: a time more than a day ahead belongs to last year (December read in January).
    return t && t.getTime() > now.getTime() + 86_400_000 ? at(now.getFullYear() - 1) : t;
  }
  return undefined;
}
