/**
 * nginx's HTTP basic authentication failures, from its error log (or syslog, where nginx keeps
 * its own date at the front of the message):
 * `2026/11/26 14:20:26 [error] 12#12: *1 user "x" was not found in "/etc/nginx/htpasswd", client:
 * 1.2.3.4, server: _, request: "GET / HTTP/1.1", host: "example.com"` and
 * `... *2 user "x": password mismatch, client: 1.2.3.4, ...`.
 *
 * Client text sits on both sides of the address: the user name before it, the request line, Host
 * and Referer after it. The user name is what precedes the first `:` of the decoded credentials,
 * so it can never contain `, client: `: the first `, client: ` after `user "` is nginx's own.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { addressEnd, execAt } from './text.ts';

/** Optional date (syslog), the level, `pid#tid: `, the connection number, then the wording. */
const HEAD = /(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )?\[error\] \d+#\d+: (?:\*\d+ )?user "/y;
const NOT_FOUND = /^(.*)" was not found in "[^"]*"$/s;
const MISMATCH = '": password mismatch';

export default defineFilter({
  type: 'nginx-auth',
  summary: 'nginx: basic auth user not found or password mismatch',
  programs: ['nginx'],
  match(line, { at }) {
    const head = execAt(HEAD, line, at);
    if (!head) return undefined;
    const start = at + head[0].length;
    const client = line.indexOf(', client: ', start);
    if (client < 0) return undefined;
    const said = line.slice(start, client);
    let user: string | undefined;
    if (said.endsWith(MISMATCH)) user = said.slice(0, -MISMATCH.length);
    else user = NOT_FOUND.exec(said)?.[1];
    if (user === undefined) return undefined;
    const a = client + 10;
    const end = addressEnd(line, a);
    if (end < line.length && line.charCodeAt(end) !== 44) return undefined;
    const address = normaliseAddress(line.slice(a, end));
    return address ? { address, user } : undefined;
  },
});
