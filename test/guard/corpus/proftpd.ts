/**
 * ProFTPD 1.2-1.3.x: mod_auth.c's pr_log_auth() wordings behind the "%s (%s[%s])" prefix
 * (server name, remote name, remote address) that log.c puts before every message: ` - ` in
 * syslog, `: ` in the SystemLog file. Written from the source (the lab has no ProFTPD).
 */
import type { CorpusEntry } from './types.ts';

const AUTH = 'proftpd mod_auth.c pr_log_auth()';

const corpus: CorpusEntry[] = [
  { form: 'syslog: no such user found from host [A] to', source: AUTH + ' "USER %s: no such user found from %s [%s] to %s:%i"', line: 'Dec  7 04:40:01 ftp proftpd[2101]: ftp.example.com (203.0.113.90[203.0.113.90]) - USER admin: no such user found from 203.0.113.90 [203.0.113.90] to 192.0.2.21:21', address: '203.0.113.90' },
  { form: 'syslog: incorrect password (1.3.x)', source: AUTH + ' "USER %s (Login failed): Incorrect password"', line: 'Dec  7 04:40:02 ftp proftpd[2102]: ftp.example.com (client.example.net[203.0.113.91]) - USER alice (Login failed): Incorrect password', address: '203.0.113.91' },
  { form: 'syslog: incorrect password. (1.2/1.3.0)', source: AUTH + ' (older, with a period)', line: 'Dec  7 04:40:03 ftp proftpd[2103]: ftp.example.com (203.0.113.92[203.0.113.92]) - USER alice (Login failed): Incorrect password.', address: '203.0.113.92' },
  { form: 'syslog: v4-mapped, No such user found.', source: AUTH + ' "USER %s (Login failed): No such user found"', line: 'Jun 21 12:29:24 ftp proftpd[2208]: 127.0.1.1 (::ffff:203.0.113.93[::ffff:203.0.113.93]) - USER test5 (Login failed): No such user found.', address: '203.0.113.93' },
  { form: 'SystemLog: incorrect password', source: AUTH + ' + log.c SystemLog prefix', line: '2026-12-07 04:40:04,123 ftp proftpd[2104] ftp.example.com (client.example.net[203.0.113.94]): USER bob (Login failed): Incorrect password', address: '203.0.113.94' },
  { form: 'SystemLog: no such user, IPv6', source: AUTH, line: '2026-12-07 04:40:05,456 ftp proftpd[2105] ftp.example.com (2001:db8::95[2001:db8::95]): USER nobody1: no such user found from 2001:db8::95 [2001:db8::95] to 2001:db8::21:21', address: '2001:db8::95' },
  { form: 'root login attempted', source: AUTH + ' "SECURITY VIOLATION: Root login attempted"', line: 'Dec  7 04:40:06 ftp proftpd[2106]: ftp.example.com (203.0.113.96[203.0.113.96]) - SECURITY VIOLATION: Root login attempted', address: '203.0.113.96' },
  { form: 'root login attempted. (older)', source: AUTH + ' (older: "SECURITY VIOLATION: root login attempted.")', line: 'Dec  7 04:40:07 ftp proftpd[2107]: ftp.example.com (203.0.113.97[203.0.113.97]) - SECURITY VIOLATION: root login attempted.', address: '203.0.113.97' },
  { form: 'maximum login attempts exceeded', source: AUTH + ' "Maximum login attempts (%u) exceeded, connection refused"', line: 'Dec  7 04:40:08 ftp proftpd[2108]: ftp.example.com (203.0.113.98[203.0.113.98]) - Maximum login attempts (3) exceeded, connection refused', address: '203.0.113.98' },
  { form: 'maximum login attempts exceeded (short)', source: AUTH + ' (older: "Maximum login attempts (%d) exceeded")', line: 'Dec  7 04:40:09 ftp proftpd[2109]: ftp.example.com (203.0.113.99[203.0.113.99]) - Maximum login attempts (3) exceeded', address: '203.0.113.99' },
  { form: 'user in /etc/ftpusers', source: AUTH + ' "USER %s (Login failed): User in " PR_FTPUSERS_PATH', line: 'Dec  7 04:40:10 ftp proftpd[2110]: ftp.example.com (203.0.113.100[203.0.113.100]) - USER daemon (Login failed): User in /etc/ftpusers', address: '203.0.113.100' },
  { form: 'invalid shell', source: AUTH + ' "USER %s (Login failed): Invalid shell: \'%s\'"', line: 'Dec  7 04:40:11 ftp proftpd[2111]: ftp.example.com (203.0.113.101[203.0.113.101]) - USER www-data (Login failed): Invalid shell: \'/usr/sbin/nologin\'', address: '203.0.113.101' },
  { form: 'limit access denies login', source: AUTH + ' "USER %s (Login failed): Limit access denies login"', line: 'Dec  7 04:40:12 ftp proftpd[2112]: ftp.example.com (203.0.113.102[203.0.113.102]) - USER guest (Login failed): Limit access denies login', address: '203.0.113.102' },
  { form: 'not a UserAlias', source: AUTH + ' "USER %s: user is not a UserAlias from %s [%s] to %s:%i"', line: 'Dec  7 04:40:13 ftp proftpd[2113]: ftp.example.com (203.0.113.103[203.0.113.103]) - USER ftpx: user is not a UserAlias from 203.0.113.103 [203.0.113.103] to 192.0.2.21:21', address: '203.0.113.103' },
  { form: 'a user name holding another client and an address', source: AUTH, line: 'Dec  7 04:40:14 ftp proftpd[2114]: ftp.example.com (203.0.113.104[203.0.113.104]) - USER x (h[6.6.6.6]) - USER y: no such user found from 6.6.6.6 [6.6.6.6] to 1.1.1.1:21: no such user found from 203.0.113.104 [203.0.113.104] to 192.0.2.21:21', address: '203.0.113.104' },
  // --- must not match
  { form: 'successful login', source: 'proftpd mod_auth.c "USER %s: Login successful."', line: 'Dec  7 04:40:15 ftp proftpd[2115]: ftp.example.com (203.0.113.105[203.0.113.105]) - USER alice: Login successful.', address: null },
  { form: 'FTP session opened', source: 'proftpd mod_auth.c / session', line: 'Dec  7 04:40:16 ftp proftpd[2116]: ftp.example.com (203.0.113.106[203.0.113.106]) - FTP session opened.', address: null },
  { form: 'server trouble: unavailable authentication service', source: AUTH + ' "USER %s (Login failed): Unavailable authentication service"', line: 'Dec  7 04:40:17 ftp proftpd[2117]: ftp.example.com (203.0.113.107[203.0.113.107]) - USER alice (Login failed): Unavailable authentication service', address: null },
  { form: 'a remote name that is not a host name', source: 'proftpd log.c prefix with a forged PTR', line: 'Dec  7 04:40:18 ftp proftpd[2118]: ftp.example.com (x[6.6.6.6]) - y[203.0.113.108]) - USER a (Login failed): Incorrect password', address: null },
  { form: 'root login succeeded (RootLogin on)', source: AUTH + ' "ROOT FTP login successful"', line: 'Dec  7 04:40:19 ftp proftpd[2119]: ftp.example.com (203.0.113.109[203.0.113.109]) - ROOT FTP login successful', address: null },
];

export default corpus;
