/**
 * Dovecot's POP3/IMAP/submission/managesieve authentication failures, 1.x to 2.4, from syslog
 * (`dovecot: imap-login: ...`, `dovecot[1]: auth-worker(7): ...`) or Dovecot's own log file
 * (`imap-login: Info: ...`). Two kinds of line:
 *
 * - the login process giving up on a client (login-common's disconnect reason, then the
 *   `login_log_format_elements`): `Aborted login (auth failed, 1 attempts): user=<x>, method=PLAIN,
 *   rip=1.2.3.4, lip=...` (1.x-2.1), `... (auth failed, 1 attempts in 2 secs): ...` (2.2+),
 *   `Disconnected: Connection closed (auth failed, ...)`, `Disconnected: Aborted login by logging
 *   out (auth failed, ...)` (2.3, as the lab's Dovecot writes it), `Login aborted: ... (auth
 *   failed, ...) (auth_failed): ...` (2.4);
 * - the auth process's passdb verdict (auth_verbose): `passwd-file(user,1.2.3.4,<session>): unknown
 *   user`, `sql(...): Password mismatch`, `ldap(...): invalid credentials`, `pam(...):
 *   pam_authenticate() failed: Authentication failure (password mismatch?)`, behind `auth: `,
 *   `auth-worker(N): `, 1.x's `auth(default): ` and 2.3's `conn unix:auth-worker (pid=N,uid=N):
 *   auth-worker<N>: `.
 *
 * Where client text sits: the user name, on the left of the address in both kinds (and, with
 * auth_verbose_passwords, the tried password after the verdict). So the login line's address is
 * the LAST `, rip=` (only server fields follow it: lip, mpid, TLS state, session), and the passdb
 * line is read from the right of its verdict, which must be the only verdict in the line.
 *
 * Aggressive mode only: a client that connected and left without trying a password
 * (`no auth attempts`), or gave up inside an exchange (`client didn't finish SASL auth`,
 * `disconnected while authenticating`, `aborted authentication`), or tried plaintext where it is
 * refused: scanners do that, and so do mail clients probing a server's capabilities.
 */
import { counts, defineFilter, type FailureMatch, type MatchContext } from '../failure.ts';
import { addressAt, addressEnd, hasAt } from './text.ts';

function isLowerWord(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Index after a run of digits at `i` (i itself when there is none). */
function digitsEnd(line: string, i: number): number {
  while (isDigit(line.charCodeAt(i))) i++;
  return i;
}

/** Which Dovecot service wrote a line, as far as the filter cares (no string is cut out per line). */
const NONE = 0;
const LOGIN = 1;
const AUTH = 2;
const OTHER = 3;

/** The service of the program itself in Dovecot's own file or a per-service syslog name. */
function serviceOf(line: string, start: number, end: number): number {
  if (end - start >= 6 && hasAt(line, end - 6, '-login')) return LOGIN;
  if ((end - start === 4 && hasAt(line, start, 'auth')) || (end - start === 11 && hasAt(line, start, 'auth-worker'))) return AUTH;
  return OTHER;
}

/** Set by messageStart(): the service that wrote the message (NONE, LOGIN, AUTH, OTHER). */
let service = NONE;

/**
 * Where the message starts (-1: not a message of ours), the service in `service`: `service: `,
 * `service(pid): `, `service(default): ` (1.x) in syslog; the program itself in Dovecot's own
 * file; then an optional `Info: ` and 2.3's auth-worker connection prefix.
 */
function messageStart(line: string, at: number, program: string): number {
  let i = at;
  service = program === '' || program === 'dovecot' ? NONE : serviceOf(program, 0, program.length);
  let j = i;
  while (j < line.length && isLowerWord(line.charCodeAt(j))) j++;
  if (j > i) {
    let k = j;
    if (line.charCodeAt(k) === 40) {
      let m = k + 1;
      while (m < line.length && m - k < 32 && ((line.charCodeAt(m) >= 97 && line.charCodeAt(m) <= 122) || isDigit(line.charCodeAt(m)))) m++;
      k = line.charCodeAt(m) === 41 && m > k + 1 ? m + 1 : -1;
    }
    if (k > 0 && line.charCodeAt(k) === 58 && line.charCodeAt(k + 1) === 32) {
      service = serviceOf(line, i, j);
      i = k + 2;
    }
  }
  if (line.charCodeAt(i) === 73 && hasAt(line, i, 'Info: ')) i += 6;
  // 2.3: `conn unix:auth-worker (pid=1,uid=2): auth-worker<3>: ` before the passdb verdict.
  if (line.charCodeAt(i) === 99 && hasAt(line, i, 'conn ')) {
    const w = line.indexOf('): auth-worker<', i);
    if (w < 0 || w - i > 300) return -1;
    const end = digitsEnd(line, w + 15);
    if (end === w + 15 || !hasAt(line, end, '>: ')) return -1;
    i = end + 3;
  }
  return i;
}

/** Disconnect reasons that are a failed password (the text inside the parentheses). */
const REASON = /\((?:auth failed, \d+ attempts(?: in \d+ secs)?|no auth attempts(?: in \d+ secs)?|client didn't finish SASL auth, waited \d+ secs|disconnected while authenticating(?:, waited \d+ secs)?|aborted authentication|tried to use (?:disallowed|disabled) plaintext auth)\)/y;

/** The login line's reason, if it is one we count (the aggressive ones only in aggressive mode). */
function reasonCounts(line: string, open: number, ctx: MatchContext): boolean {
  // `test`, not `exec`: no match array and no copy of the reason for every login line.
  REASON.lastIndex = open;
  if (!REASON.test(line)) return false;
  return hasAt(line, open + 1, 'auth failed, ') || counts('aggressive', ctx.mode);
}

function loginFailure(line: string, i: number, ctx: MatchContext): FailureMatch | undefined {
  if (!hasAt(line, i, 'Disconnected') && !hasAt(line, i, 'Aborted login') && !hasAt(line, i, 'Login aborted')) return undefined;
  // Dovecot's reason comes before `: user=<` (the first one: the user name follows it).
  const u = line.indexOf(': user=<', i);
  if (u < 0) return undefined;
  // The parenthesised reason is the last `(` group before the user (2.4 adds `(auth_failed)` after it).
  let open = line.indexOf(' (', i);
  if (open < 0 || open > u) return undefined;
  let counted = false;
  while (open >= 0 && open < u) {
    if (reasonCounts(line, open + 1, ctx)) {
      counted = true;
      break;
    }
    open = line.indexOf(' (', open + 2);
  }
  if (!counted) return undefined;
  const rip = line.lastIndexOf(', rip=');
  if (rip < u) return undefined;
  const start = rip + 6;
  const end = addressEnd(line, start);
  if (end < line.length && line.charCodeAt(end) !== 44) return undefined;
  const address = addressAt(line, start, end);
  if (!address) return undefined;
  // The user name ends at `>`, before `, method=X` when there is one (both written by Dovecot).
  let close = -1;
  const method = line.lastIndexOf('>, method=', rip);
  if (method >= u + 8) close = method;
  else if (line.charCodeAt(rip - 1) === 62) close = rip - 1;
  const user = close > u + 8 ? line.slice(u + 8, close) : undefined;
  return { address, user };
}

/** The verdicts of a passdb lookup, each ending the `driver(user,ip[,<session>])` prefix. */
const VERDICTS = [
  '): unknown user',
  '): Password mismatch',
  '): invalid credentials',
  '): pam_authenticate() failed: Authentication failure',
  '): pam_authenticate() failed: User not known to the underlying authentication module',
];

function passdbFailure(line: string, i: number): FailureMatch | undefined {
  let open = i;
  while (open < line.length && isLowerWord(line.charCodeAt(open))) open++;
  if (open === i || line.charCodeAt(open) !== 40) return undefined;
  // Exactly one verdict in the whole line, whichever: a user name holding one puts it before
  // Dovecot's, a logged password (auth_verbose_passwords) after it; then the line is not read.
  // Every verdict starts with `): `: one pass over those finds them all.
  let close = -1;
  let verdict = '';
  for (let k = line.indexOf('): ', open); k >= 0; k = line.indexOf('): ', k + 1)) {
    const c3 = line.charCodeAt(k + 3);
    for (let n = 0; n < VERDICTS.length; n++) {
      const v = VERDICTS[n]!;
      if (c3 !== v.charCodeAt(3) || !hasAt(line, k, v)) continue;
      if (close >= 0) return undefined;
      close = k;
      verdict = v;
    }
  }
  if (close < 0) return undefined;
  const after = close + verdict.length;
  // A verdict ends the line or goes on with ` (given password: ...)`, ` (password mismatch?)`.
  if (after < line.length && !hasAt(line, after, ' (')) return undefined;
  // From the right: `,<session>` (Dovecot 2.2.x+), then `,ip`; what is left of that is the user.
  let q = close;
  if (line.charCodeAt(q - 1) === 62) {
    const lt = line.lastIndexOf(',<', q - 1);
    if (lt <= open) return undefined;
    for (let k = lt + 2; k < q - 1; k++) {
      const c = line.charCodeAt(k);
      if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 43 || c === 47 || c === 61)) return undefined;
    }
    q = lt;
  }
  const comma = line.lastIndexOf(',', q - 1);
  if (comma <= open) return undefined;
  const address = addressAt(line, comma + 1, q);
  if (!address) return undefined;
  return { address, user: line.slice(open + 1, comma) };
}

export default defineFilter({
  type: 'dovecot',
  summary: 'Dovecot POP3/IMAP: logins aborted after failed authentication, passdb unknown user / password mismatch',
  programs: ['dovecot', 'imap-login', 'pop3-login', 'submission-login', 'managesieve-login', 'auth', 'auth-worker'],
  modes: {
    aggressive: "also clients that left without trying a password (no auth attempts), gave up inside an exchange (client didn't finish SASL auth, disconnected while authenticating) or tried plaintext where it is refused",
  },
  match(line, ctx) {
    const i = messageStart(line, ctx.at, ctx.program);
    // Through syslog the service must be named (`dovecot: imap(user)<pid>: ...` is a mail process).
    if (i < 0 || (service === NONE && ctx.program !== '')) return undefined;
    const c = line.charCodeAt(i);
    // Login-process lines start with a capital (`Disconnected`, `Aborted login`, `Login aborted`),
    // passdb lines with the driver's lower-case name; each only from the service that writes it
    // (in a file without a syslog header, any: the service is then not known).
    if (c >= 65 && c <= 90) return service === NONE || service === LOGIN ? loginFailure(line, i, ctx) : undefined;
    return service === NONE || service === AUTH ? passdbFailure(line, i) : undefined;
  },
});
