/**
 * vsftpd's failed logins, in its own log (`Thu Nov 26 14:21:08 2026 [pid 14935] [nosuch] FAIL
 * LOGIN: Client "10.192.7.66"`, what the lab's vsftpd writes) or in syslog
 * (`vsftpd[1]: [nosuch] FAIL LOGIN: Client "10.192.7.66"`).
 *
 * Client text can sit on both sides of the address: the user name before it (`[name]`), an
 * anonymous password after it (`, anon password "..."`), and with log_ftp_protocol every command
 * line carries the client's command after its own `Client "..."`. So the line must start as a
 * login record does and hold `Client "` exactly once: then that one is vsftpd's. A client that
 * puts `Client "` into its user name only hides its own failure. The PAM lines vsftpd may cause
 * (`pam_unix(vsftpd:auth): authentication failure; ... ruser=<client text> rhost=...`) are not
 * read: they repeat the FAIL LOGIN line with client text on both sides of the address.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { addressEnd, onlyIndexOf } from './text.ts';

const MARK = '] FAIL LOGIN: Client "';

export default defineFilter({
  type: 'vsftpd',
  summary: 'vsftpd: FAIL LOGIN (unknown user or wrong password)',
  programs: ['vsftpd'],
  match(line, { at }) {
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
