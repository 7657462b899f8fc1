/**
 * Pure-FTPd 1.0.x: every message starts `(account@host) [LEVEL] `, the account `?` before a
 * login succeeds (log_unix.c / ftpd.c logfile()); the failure is ftpd.c's MSG_AUTH_FAILED_LOG
 * "Authentication failed for user [%s]". Written from the format (Debian 12 lab has no Pure-FTPd).
 */
import type { CorpusEntry } from './types.ts';

const FMT = 'pure-ftpd ftpd.c logfile(LOG_WARNING, MSG_AUTH_FAILED_LOG "Authentication failed for user [%s]") with "(%s@%s) [WARNING] " prefix';

const corpus: CorpusEntry[] = [
  { form: 'authentication failed', source: FMT, line: 'Dec  7 04:30:01 ftp pure-ftpd: (?@203.0.113.80) [WARNING] Authentication failed for user [admin]', address: '203.0.113.80' },
  { form: 'with pid, IPv6', source: FMT, line: 'Dec  7 04:30:02 ftp pure-ftpd[811]: (?@2001:db8::81) [WARNING] Authentication failed for user [test]', address: '2001:db8::81' },
  { form: 'v4-mapped', source: FMT, line: 'Dec  7 04:30:03 ftp pure-ftpd[812]: (?@::ffff:203.0.113.82) [WARNING] Authentication failed for user [root]', address: '203.0.113.82' },
  { form: 'a user name holding an address and the wording', source: FMT, line: 'Dec  7 04:30:04 ftp pure-ftpd: (?@203.0.113.83) [WARNING] Authentication failed for user [x] (?@6.6.6.6) [WARNING] Authentication failed for user [y]', address: '203.0.113.83' },
  // --- must not match
  { form: 'resolved host name (no address)', source: FMT + ' (DNS resolution on)', line: 'Dec  7 04:30:05 ftp pure-ftpd: (?@client.example.net) [WARNING] Authentication failed for user [admin]', address: null },
  { form: 'new connection', source: 'pure-ftpd MSG_NEW_CONNECTION', line: 'Dec  7 04:30:06 ftp pure-ftpd: (?@203.0.113.84) [INFO] New connection from 203.0.113.84', address: null },
  { form: 'successful login', source: 'pure-ftpd MSG_IS_NOW_LOGGED_IN', line: 'Dec  7 04:30:07 ftp pure-ftpd: (?@203.0.113.85) [INFO] alice is now logged in', address: null },
  { form: 'logged-in user\'s later warning', source: FMT, line: 'Dec  7 04:30:08 ftp pure-ftpd: (alice@203.0.113.86) [WARNING] Authentication failed for user [bob]', address: null },
];

export default corpus;
