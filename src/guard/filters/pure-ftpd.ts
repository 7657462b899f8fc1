/**
 * Pure-FTPd's failed logins, through syslog: `pure-ftpd: (?@1.2.3.4) [WARNING] Authentication
 * failed for user [admin]`. Pure-FTPd starts every message with `(account@host)`, and before a
 * login succeeds the account is `?`; the host is the client's address (or its name when Pure-FTPd
 * resolves names: then there is no address to take). The user name the client tried comes last.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { addressEnd } from './text.ts';

const WORDING = ') [WARNING] Authentication failed for user [';

export default defineFilter({
  type: 'pure-ftpd',
  summary: 'Pure-FTPd: authentication failed for user',
  programs: ['pure-ftpd'],
  match(line, { at }) {
    if (!line.startsWith('(?@', at)) return undefined;
    const start = at + 3;
    const end = addressEnd(line, start);
    if (!line.startsWith(WORDING, end) || !line.endsWith(']')) return undefined;
    const address = normaliseAddress(line.slice(start, end));
    return address ? { address, user: line.slice(end + WORDING.length, -1) } : undefined;
  },
});
