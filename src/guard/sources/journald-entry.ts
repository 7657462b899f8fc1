/**
 * One entry of `journalctl -o json` turned into a log line the filters read like any syslog file
 * (rsyslog's high-precision file format: `2026-01-19T20:38:08.123456+00:00 host ident[pid]: text`)
 * plus its metadata. MESSAGE may come as a string, as an array of bytes (binary or invalid UTF-8),
 * or as an array of values when the field was given more than once.
 *
 * Control characters are escaped the way rsyslog does (`#012` for a newline): a message that
 * carries a newline must never become two lines, or a local user could forge an "sshd" line.
 */
import { shortenLine } from './lines.ts';
import type { LineMeta } from './types.ts';

export interface JournalEntry {
  cursor: string | undefined;
  line: string;
  /** The message was over the limit: its middle was dropped (lines.ts). */
  long?: boolean;
  meta: LineMeta;
}

/** A field's value as text: strings as they are, byte arrays decoded as UTF-8, first of several. */
export function fieldText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return undefined;
    if (typeof v[0] === 'number') return Buffer.from(v.filter((b): b is number => typeof b === 'number' && b >= 0 && b <= 255)).toString('utf8');
    return fieldText(v[0]);
  }
  return undefined; // null: a field journalctl left out (too large without --all)
}

/** rsyslog's control-character escaping: `#` and the octal code. Tabs are kept. */
export function escapeControls(s: string): string {
  return s.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) => '#' + c.charCodeAt(0).toString(8).padStart(3, '0'));
}

/** A syslog tag or host name must stay one token: no spaces, brackets or colons. */
const token = (s: string): string => escapeControls(s).replace(/[\s[\]:]/g, '_').slice(0, 64);

/** `__REALTIME_TIMESTAMP` (microseconds) as RFC 3339 in UTC with microseconds. */
export function rfc3339Micros(us: bigint): string {
  const seconds = us / 1_000_000n;
  const micros = String(us % 1_000_000n).padStart(6, '0');
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 19) + `.${micros}+00:00`;
}

/** Parses one line of `journalctl -o json`; undefined for anything that is not an entry with a message. */
export function parseJournalLine(json: string, maxLine: number): JournalEntry | undefined {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(json);
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    o = v as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const message = fieldText(o.MESSAGE);
  const cursor = fieldText(o.__CURSOR);
  if (message === undefined) return { cursor, line: '', meta: { time: 0 } };
  let us: bigint;
  try {
    us = BigInt(fieldText(o.__REALTIME_TIMESTAMP) ?? '0');
  } catch {
    us = 0n;
  }
  const unit = fieldText(o._SYSTEMD_UNIT);
  const identifier = fieldText(o.SYSLOG_IDENTIFIER) ?? fieldText(o._COMM) ?? unit;
  const pidText = fieldText(o.SYSLOG_PID) ?? fieldText(o._PID);
  const pid = pidText !== undefined && /^\d{1,10}$/.test(pidText) ? Number(pidText) : undefined;
  const host = token(fieldText(o._HOSTNAME) ?? 'localhost') || 'localhost';
  const tag = identifier === undefined ? '' : token(identifier) + (pid === undefined ? '' : `[${pid}]`) + ':';
  const text = escapeControls(message);
  const { line, long } = shortenLine(`${rfc3339Micros(us)} ${host} ${tag}${tag ? ' ' : ''}${text}`, maxLine);
  return { cursor, line, long, meta: { time: Number(us / 1000n), identifier, unit, pid } };
}
