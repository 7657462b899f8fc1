/**
 * vsftpd's failed logins, in its own log (`Thu Nov 26 14:21:08 2026 [pid 14935] [nosuch] FAIL
 * LOGIN: Client "10.192.7.66"`, what the lab's vsftpd writes; `Client "::ffff:1.2.3.4"` with
 * listen_ipv6) or in syslog (`vsftpd[1]: [pid 2] [nosuch] FAIL LOGIN: Client "..."`), and the
 * PAM verdict vsftpd's own PAM session logs under its name (`vsftpd[1]: pam_unix(vsftpd:auth):
 * authentication failure; logname= uid=0 euid=0 tty=ftp ruser=nosuch rhost=1.2.3.4`). The
 * xferlog_std_format (wu-ftpd) lines record transfers only, never a login.
 *
 * Client text can sit on both sides of the address. In vsftpd's own line: the user name before
 * it (`[name]`), an anonymous password after it (`, anon password "..."`), and with
 * log_ftp_protocol every command line carries the client's command after its own `Client "..."`.
 * So the line must start as a login record does and hold `Client "` exactly once: then that one
 * is vsftpd's. A client that puts `Client "` into its user name only hides its own failure.
 *
 * In the PAM line vsftpd sets both PAM_RUSER and PAM_USER to the name the client sent
 * (sysdeputil.c), so the name is on both sides of `rhost=`: `ruser=NAME rhost=ADDR ` (unknown
 * user: pam_unix leaves `user=` out) or `ruser=NAME rhost=ADDR  user=NAME` (as the lab's vsftpd
 * 3.0.3 with pam_unix wrote them). Each reading of the line that fits one of these shapes gives
 * an address; the line counts only when they all agree.
 */
import { defineFilter, normaliseAddress, type FailureMatch } from '../failure.ts';
import { addressEnd, onlyIndexOf, trimmedEnd } from './text.ts';

const MARK = '] FAIL LOGIN: Client "';
const PAM_FAILURE = ':auth): authentication failure; logname=';
/** More `rhost=` in one line than this, and the line is not read (bounds the work on client text). */
const MAX_RHOST = 8;

/** The PAM module's verdict, read from both ends as the header explains. */
function pamFailure(line: string, at: number): FailureMatch | undefined {
  // `pam_unix(vsftpd:auth): ` (or pam_sss, pam_ldap ...: the same fields).
  if (!line.startsWith('pam_', at)) return undefined;
  const open = line.indexOf('(', at);
  if (open < 0 || open - at > 32) return undefined;
  const mark = line.indexOf(PAM_FAILURE, open);
  if (mark < 0 || mark - open > 64) return undefined;
  const tty = line.indexOf(' tty=ftp ruser=', mark);
  if (tty < 0) return undefined;
  const from = tty + 15;
  const rest = line.slice(from);
  const found = new Set<string>();
  let user: string | undefined;
  // No `user=`: the address runs from the last ` rhost=` to the end (pam_unix's format leaves a
  // space there: `rhost=%s %s%s` with the last two empty).
  const last = rest.lastIndexOf(' rhost=');
  if (last < 0) return undefined;
  const tail = normaliseAddress(rest.slice(last + 7, trimmedEnd(rest)));
  // ...and what is left of it must not hold a `user=` of its own (that is the other shape).
  if (tail && !rest.slice(0, last).includes(' user=')) {
    found.add(tail);
    user = rest.slice(0, last);
  }
  // With `user=`: NAME rhost=ADDR, one or two spaces, user=NAME.
  let n = 0;
  for (let k = rest.indexOf(' rhost='); k >= 0; k = rest.indexOf(' rhost=', k + 1)) {
    if (++n > MAX_RHOST) return undefined;
    const name = rest.slice(0, k);
    for (const sep of [' user=', '  user=']) {
      const suffix = sep + name;
      if (rest.length - suffix.length <= k + 7 || !rest.endsWith(suffix)) continue;
      const address = normaliseAddress(rest.slice(k + 7, rest.length - suffix.length));
      if (address) {
        found.add(address);
        user = name;
      }
    }
  }
  if (found.size !== 1) return undefined;
  return { address: [...found][0]!, user: user || undefined };
}

export default defineFilter({
  type: 'vsftpd',
  summary: 'vsftpd: FAIL LOGIN (unknown user or wrong password) and its PAM authentication failures',
  programs: ['vsftpd'],
  match(line, { at, program }) {
    // PAM writes through syslog, under the name of the process that called it.
    if (program === 'vsftpd' && line.charCodeAt(at) === 112) return pamFailure(line, at);
    let i = at;
    if (line.startsWith('[pid ', i)) {
      i = line.indexOf('] ', i + 5);
      if (i < 0) return undefined;
      i += 2;
    }
    if (line.charCodeAt(i) !== 91) return undefined;
    const client = onlyIndexOf(line, 'Client "', i);
    if (client < 0 || !line.startsWith(MARK, client - MARK.length + 8)) return undefined;
    const start = client + 8;
    const end = addressEnd(line, start);
    if (line.charCodeAt(end) !== 34) return undefined;
    const address = normaliseAddress(line.slice(start, end));
    if (!address) return undefined;
    return { address, user: line.slice(i + 1, client - MARK.length + 8) };
  },
});
