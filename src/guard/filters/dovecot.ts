/**
 * Dovecot's POP3/IMAP (and submission, managesieve) authentication failures, from syslog
 * (`dovecot: imap-login: ...`) or Dovecot's own log file (`imap-login: Info: ...`). Two kinds:
 *
 * - the login process giving up on a client that failed to authenticate:
 *   `Aborted login (auth failed, 1 attempts in 2 secs): user=<x>, method=PLAIN, rip=1.2.3.4, ...`
 *   (2.2), `Disconnected (auth failed, ...)`, `Disconnected: Connection closed (auth failed, ...)`
 *   (2.3, as the lab's Dovecot writes it) and `Login aborted: ... (auth failed, ...)` (2.4);
 * - the auth process's passdb verdict (auth_verbose): `passwd-file(user,1.2.3.4,<session>): unknown
 *   user`, `...: Password mismatch`, `pam(user,1.2.3.4,<session>): pam_authenticate() failed: ...`.
 *
 * Where client text sits: the user name, on the left of the address in both kinds (and, with
 * auth_verbose_passwords, the tried password after `Password mismatch`). So the login line's
 * address is the LAST `, rip=` (only server fields follow it), and the passdb line is read from
 * the right of its verdict, which must be the only verdict in the line.
 */
import { defineFilter, normaliseAddress, type FailureMatch } from '../failure.ts';
import { addressEnd } from './text.ts';

/** After `service: ` or `service(pid): ` (syslog form) and `Info: ` (own file): where the text starts. */
function messageStart(line: string, at: number): number {
  let i = at;
  let j = i;
  while (j < line.length) {
    const c = line.charCodeAt(j);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) break;
    j++;
  }
  if (j > i) {
    let k = j;
    if (line.charCodeAt(k) === 40) {
      k++;
      while (line.charCodeAt(k) >= 48 && line.charCodeAt(k) <= 57) k++;
      k = line.charCodeAt(k) === 41 && k > j + 1 ? k + 1 : -1;
    }
    if (k > 0 && line.charCodeAt(k) === 58 && line.charCodeAt(k + 1) === 32) i = k + 2;
  }
  if (line.startsWith('Info: ', i)) i += 6;
  return i;
}

function loginFailure(line: string, i: number): FailureMatch | undefined {
  if (!line.startsWith('Disconnected', i) && !line.startsWith('Aborted login', i) && !line.startsWith('Login aborted', i)) return undefined;
  // The reason, in parentheses before `: user=<`, is Dovecot's own text; the user name follows it.
  const u = line.indexOf(': user=<', i);
  if (u < 0) return undefined;
  const reason = line.indexOf('(auth failed, ', i);
  if (reason < 0 || reason > u) return undefined;
  const rip = line.lastIndexOf(', rip=');
  if (rip < u) return undefined;
  const start = rip + 6;
  const end = addressEnd(line, start);
  if (end < line.length && line.charCodeAt(end) !== 44) return undefined;
  const address = normaliseAddress(line.slice(start, end));
  if (!address) return undefined;
  // The user name ends at `>`, before `, method=X` when there is one (both written by Dovecot).
  let close = -1;
  const method = line.lastIndexOf('>, method=', rip);
  if (method >= u + 8) close = method;
  else if (line.charCodeAt(rip - 1) === 62) close = rip - 1;
  return { address, user: close >= u + 8 ? line.slice(u + 8, close) : undefined };
}

/** The verdicts of a passdb lookup, each ending the `driver(user,ip,<session>)` prefix. */
const VERDICTS = ['): unknown user', '): Password mismatch', '): pam_authenticate() failed: '];

function passdbFailure(line: string, i: number): FailureMatch | undefined {
  let open = i;
  while (open < line.length) {
    const c = line.charCodeAt(open);
    if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45)) break;
    open++;
  }
  if (open === i || line.charCodeAt(open) !== 40) return undefined;
  // Exactly one verdict in the whole line, whichever: a user name holding one puts it before
  // Dovecot's, a logged password (auth_verbose_passwords) after it; then the line is not read.
  let close = -1;
  let verdict = '';
  for (const v of VERDICTS) {
    const k = line.indexOf(v, open);
    if (k < 0) continue;
    if (close >= 0 || line.indexOf(v, k + 1) >= 0) return undefined;
    close = k;
    verdict = v;
  }
  if (close < 0) return undefined;
  const after = close + verdict.length;
  // `unknown user` and `Password mismatch` end the line or go on with ` (given password: ...)`.
  if (!verdict.endsWith(' ') && after < line.length && !line.startsWith(' (', after)) return undefined;
  // From the right: `,<session>` (Dovecot 2.2.x+), then `,ip`; what is left of that is the user.
  let q = close;
  if (line.charCodeAt(q - 1) === 62) {
    const lt = line.lastIndexOf(',<', q - 1);
    if (lt <= open) return undefined;
    for (let k = lt + 2; k < q - 1; k++) {
      const c = line.charCodeAt(k);
      if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 43 || c === 47 || c === 61)) return undefined;
    }
    q = lt;
  }
  const comma = line.lastIndexOf(',', q - 1);
  if (comma <= open) return undefined;
  const address = normaliseAddress(line.slice(comma + 1, q));
  if (!address) return undefined;
  return { address, user: line.slice(open + 1, comma) };
}

export default defineFilter({
  type: 'dovecot',
  summary: 'Dovecot POP3/IMAP: logins aborted after failed authentication, passdb unknown user / password mismatch',
  programs: ['dovecot', 'imap-login', 'pop3-login', 'submission-login', 'managesieve-login', 'auth', 'auth-worker'],
  match(line, { at }) {
    const i = messageStart(line, at);
    const c = line.charCodeAt(i);
    // Login-process lines start with a capital (`Disconnected`, `Aborted login`, `Login aborted`),
    // passdb lines with the driver's lower-case name.
    return c >= 65 && c <= 90 ? loginFailure(line, i) : passdbFailure(line, i);
  },
});
