/**
 * The auth log: one line per login attempt, in a format mamoru's own guard reads (filter
 * `mamoru-auth`), so a jail on this file bans whoever brute-forces the console:
 *
 *   2026-12-07T06:30:00.123Z mamoru[1234]: login failed from 203.0.113.9 for user "admin"
 *   2026-12-07T06:30:01.456Z mamoru[1234]: login refused from 203.0.113.9 for user "admin" (too many failures)
 *   2026-12-07T06:31:00.000Z mamoru[1234]: login ok from 192.0.2.10 for user "taro"
 *
 * The address comes from the socket (never from a header) and is written before the user name,
 * which is whatever the client typed: it is written quoted, bounded to 64 characters, with
 * quotes, backslashes and control characters replaced, so it cannot forge a second line or an
 * address the filter would read.
 */
export type AuthLogEvent = 'failed' | 'refused' | 'ok';

/**
 * The user name as it may appear in a line: printable, no quote, backslash or space (no real
 * user name has one: auth/validate.ts), ≤ 64 characters. Without spaces, not even a filter that
 * forgets to anchor can read " from ADDRESS " out of a name.
 */
export function quoteUser(name: string): string {
  let out = '';
  for (const ch of name.slice(0, 64)) {
    const c = ch.codePointAt(0)!;
    out += c < 32 || c === 127 || ch === '"' || ch === '\\' || ch === ' ' || (c >= 0x80 && c < 0xa0) || c === 0x2028 || c === 0x2029 ? '?' : ch;
  }
  return `"${out}"`;
}

export function authLogLine(at: number, pid: number, event: AuthLogEvent, address: string, user: string): string {
  const tail = event === 'refused' ? ' (too many failures)' : '';
  return `${new Date(at).toISOString()} mamoru[${pid}]: login ${event} from ${address} for user ${quoteUser(user)}${tail}\n`;
}
