/**
 * nginx's HTTP basic authentication failures, from its error log (or syslog, where nginx keeps
 * its own date at the front of the message):
 * `2026/11/26 14:20:26 [error] 12#12: *1 user "x" was not found in "/etc/nginx/htpasswd", client:
 * 1.2.3.4, server: _, request: "GET / HTTP/1.1", host: "example.com"` and
 * `... *2 user "x": password mismatch, client: 1.2.3.4, ...` (both at level error), and in
 * aggressive mode `... [info] ... *3 no user/password was provided for basic authentication,
 * client: 1.2.3.4, ...` (info: every browser's first request to a protected page writes it, so it
 * is seen only with `error_log ... info` and counted only when asked for).
 *
 * Client text sits on both sides of the address: the user name before it, the request line, Host
 * and Referer after it. The user name is what precedes the first `:` of the decoded credentials,
 * so it can never contain `, client: `: the first `, client: ` after `user "` is nginx's own.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { addressEnd, execAt } from './text.ts';

/** Optional date (syslog), the level, `pid#tid: `, the connection number, then the wording. */
const HEAD = /(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )?\[(error|info)\] \d+#\d+: (?:\*\d+ )?(user "|no user\/password was provided for basic authentication, client: )/y;
const NOT_FOUND = /^(.*)" was not found in "[^"]*"$/s;
const MISMATCH = '": password mismatch';

export default defineFilter({
  type: 'nginx-auth',
  summary: 'nginx: basic auth user not found or password mismatch',
  programs: ['nginx'],
  modes: { aggressive: 'also requests without credentials ("no user/password was provided", logged at info level)' },
  match(line, { at, mode }) {
    const head = execAt(HEAD, line, at);
    if (!head) return undefined;
    const start = at + head[0].length;
    if (head[2] !== 'user "') {
      // Nothing of the client's before the address: it follows the fixed wording directly.
      if (mode !== 'aggressive') return undefined;
      return addressAt(line, start);
    }
    if (head[1] !== 'error') return undefined;
    const client = line.indexOf(', client: ', start);
    if (client < 0) return undefined;
    const said = line.slice(start, client);
    let user: string | undefined;
    if (said.endsWith(MISMATCH)) user = said.slice(0, -MISMATCH.length);
    else user = NOT_FOUND.exec(said)?.[1];
    if (user === undefined) return undefined;
    const m = addressAt(line, client + 10);
    return m && { address: m.address, user };
  },
});

/** The address written at `a`, ending at the line's end or a comma. */
function addressAt(line: string, a: number): { address: string } | undefined {
  const end = addressEnd(line, a);
  if (end < line.length && line.charCodeAt(end) !== 44) return undefined;
  const address = normaliseAddress(line.slice(a, end));
  return address ? { address } : undefined;
}
