/**
 * WordPress login brute force, from the web server's access log (Apache's `common`/`combined`,
 * `LogFormat "%h %l %u %t \"%r\" %>s %b ..."`, its `vhost_combined` `%v:%p %h ...`, nginx's
 * `log_format combined '$remote_addr - $remote_user [$time_local] "$request" $status ...'`, or
 * either through syslog under `apache2`/`httpd`/`nginx`).
 *
 * - normal: `POST .../wp-login.php` answered 200. WordPress answers a failed login by showing the
 *   form again (200) and a successful one with a redirect (302), so the status tells them apart.
 *   Not counted there: the re-login form of an expired admin session (`interim-login`), which
 *   answers 200 on success too.
 * - aggressive: also the `interim-login` POSTs, and every `POST .../xmlrpc.php` answered 200:
 *   XML-RPC answers a failed login inside a 200 (`faultCode 403` in the body), so the log cannot
 *   tell a `system.multicall` brute force from the mobile apps, Jetpack or another blog's
 *   pingback; count it only on a site where nobody uses XML-RPC.
 *
 * The time is the reading time: the scanner reads no `[07/Dec/2026:12:00:00 +0000]` access-log
 * time (log-time.ts knows timestamps at the start of a line only).
 *
 * The address is the line's first field (`%h`, `$remote_addr`), or its second after a
 * `vhost:port` field, both written before anything a client sends. The rest is read only to find
 * the request and the status: the remote user (`%u`, `$remote_user`: the client's, may hold
 * spaces, never a raw `"`: Apache writes `\"`, nginx `\x22`) lies between the address and the
 * time, so the time is found as the first `] "` after the address; the request line ends at the
 * first `"` not escaped by a backslash, the status follows it. Nothing after the status (referer,
 * user agent) is read.
 */
import { counts, defineFilter, normaliseAddress, type FailureMatch, type FilterMode } from '../failure.ts';
import { isAddressChar } from './text.ts';

/** One access-log line taken apart by `readAccess` (positions in the line; reused, never kept). */
export interface AccessLine {
  /** The client address field: [hostStart, hostEnd). */
  hostStart: number;
  hostEnd: number;
  /** The remote user field `%u` without the identd field: [userStart, userEnd). */
  userStart: number;
  userEnd: number;
  /** The method: [reqStart, methodEnd); the target (path and query): [methodEnd + 1, targetEnd). */
  reqStart: number;
  methodEnd: number;
  targetEnd: number;
  /** Where the target's path ends (at `?` or the target's end). */
  pathEnd: number;
  status: number;
}

const scratch: AccessLine = { hostStart: 0, hostEnd: 0, userStart: 0, userEnd: 0, reqStart: 0, methodEnd: 0, targetEnd: 0, pathEnd: 0, status: 0 };

/** Longest first field looked at (a vhost name and port). */
const MAX_FIELD = 260;

/** End of a field of address characters at `i` that ends with a space, or -1. */
function addressFieldEnd(line: string, i: number): number {
  let j = i;
  while (j < line.length && isAddressChar(line.charCodeAt(j))) j++;
  return j > i && line.charCodeAt(j) === 32 ? j : -1;
}

/**
 * Takes an access-log line apart from `at` (after a syslog header, else 0), or undefined when the
 * line does not have the common-log shape. Cheap for other lines: the first field must be made of
 * address characters (or be `name:port` followed by one that is) before anything else is looked at.
 */
export function readAccess(line: string, at: number): AccessLine | undefined {
  // wordpress and bot-search read the same line one after the other: take it apart once.
  if (line === lastLine && at === lastAt) return lastResult;
  lastLine = line;
  lastAt = at;
  return (lastResult = takeApart(line, at));
}

let lastLine = '';
let lastAt = -1;
let lastResult: AccessLine | undefined;

function takeApart(line: string, at: number): AccessLine | undefined {
  let hostStart = at;
  let hostEnd = addressFieldEnd(line, at);
  if (hostEnd < 0) {
    // `%v:%p %h`: a server name (configuration, not the client's) and port, then the address.
    const c = line.charCodeAt(at);
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57))) return undefined;
    const sp = line.indexOf(' ', at);
    if (sp < 0 || sp - at > MAX_FIELD) return undefined;
    const colon = line.lastIndexOf(':', sp);
    if (colon <= at || sp - colon < 2 || sp - colon > 6) return undefined;
    for (let k = colon + 1; k < sp; k++) {
      const d = line.charCodeAt(k);
      if (d < 48 || d > 57) return undefined;
    }
    hostStart = sp + 1;
    hostEnd = addressFieldEnd(line, hostStart);
    if (hostEnd < 0) return undefined;
  } else {
    const next = addressFieldEnd(line, hostEnd + 1);
    if (next >= 0) {
      // Two address-like fields: `192.0.2.10:80 address` (a numeric vhost and its port: not one
      // address), else an IPv6 vhost with its port or an identd answer that looks like an
      // address: which is the client cannot be told, no match.
      if (normaliseAddress(line.slice(at, hostEnd)) !== undefined) return undefined;
      hostStart = hostEnd + 1;
      hostEnd = next;
    }
  }
  // `%l` (identd, `-`), then `%u`, then `[dd/Mon/yyyy:hh:mm:ss +zzzz] "`.
  const t = line.indexOf('] "', hostEnd);
  if (t < 0) return undefined;
  const open = t - 27;
  if (open <= hostEnd + 3 || line.charCodeAt(open) !== 91 || line.charCodeAt(open - 1) !== 32 || line.charCodeAt(open + 3) !== 47 || line.charCodeAt(open + 12) !== 58 || line.charCodeAt(t - 6) !== 32) return undefined;
  const identEnd = line.indexOf(' ', hostEnd + 1);
  if (identEnd < 0 || identEnd >= open - 1) return undefined;
  const reqStart = t + 3;
  const methodEnd = line.indexOf(' ', reqStart);
  if (methodEnd < 0 || methodEnd - reqStart > 16) return undefined;
  // The request line ends at the first `"` no backslash escapes.
  let close = line.indexOf('"', methodEnd);
  for (;;) {
    if (close < 0) return undefined;
    let k = close - 1;
    while (line.charCodeAt(k) === 92) k--;
    if ((close - 1 - k) % 2 === 0) break;
    close = line.indexOf('"', close + 1);
  }
  let targetEnd = line.indexOf(' ', methodEnd + 1);
  if (targetEnd < 0 || targetEnd > close) targetEnd = close;
  let pathEnd = line.indexOf('?', methodEnd + 1);
  if (pathEnd < 0 || pathEnd > targetEnd) pathEnd = targetEnd;
  // `" 404 ` (or the line's end after the status, when %b is left out).
  if (line.charCodeAt(close + 1) !== 32) return undefined;
  let status = 0;
  for (let k = close + 2; k < close + 5; k++) {
    const d = line.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return undefined;
    status = status * 10 + d;
  }
  if (close + 5 < line.length && line.charCodeAt(close + 5) !== 32) return undefined;
  const a = scratch;
  a.hostStart = hostStart;
  a.hostEnd = hostEnd;
  a.userStart = identEnd + 1;
  a.userEnd = open - 1;
  a.reqStart = reqStart;
  a.methodEnd = methodEnd;
  a.targetEnd = targetEnd;
  a.pathEnd = pathEnd;
  a.status = status;
  return a;
}

/** The failure of an access line: its address, and the remote user when there is one. */
export function accessFailure(line: string, a: AccessLine): FailureMatch | undefined {
  const address = normaliseAddress(line.slice(a.hostStart, a.hostEnd));
  if (!address) return undefined;
  const user = line.slice(a.userStart, a.userEnd);
  return { address, user: user === '-' || user === '""' ? undefined : user };
}

/** Whether the path [methodEnd + 1, pathEnd) ends with `/name`. */
function pathEndsWith(line: string, a: AccessLine, name: string): boolean {
  return a.pathEnd - a.methodEnd - 1 > name.length && line.charCodeAt(a.pathEnd - name.length - 1) === 47 && line.startsWith(name, a.pathEnd - name.length);
}

export default defineFilter({
  type: 'wordpress',
  summary: 'WordPress: failed logins (POST wp-login.php answered 200) from Apache or nginx access logs',
  programs: ['apache2', 'httpd', 'nginx'],
  modes: { aggressive: 'also every POST to xmlrpc.php answered 200 (the log cannot tell a failed XML-RPC login from the apps, Jetpack or a pingback) and interim-login POSTs' },
  match(line, { at, mode }) {
    const a = readAccess(line, at);
    if (!a || a.status !== 200 || a.methodEnd - a.reqStart !== 4 || !line.startsWith('POST', a.reqStart)) return undefined;
    let tier: FilterMode;
    if (pathEndsWith(line, a, 'wp-login.php')) {
      tier = a.pathEnd < a.targetEnd && line.slice(a.pathEnd, a.targetEnd).includes('interim-login') ? 'aggressive' : 'normal';
    } else if (pathEndsWith(line, a, 'xmlrpc.php')) tier = 'aggressive';
    else return undefined;
    return counts(tier, mode) ? accessFailure(line, a) : undefined;
  },
});
