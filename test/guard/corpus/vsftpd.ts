/**
 * vsftpd 1.x-3.x: its own log (logging.c vsf_log_do_log_vsftpd_format: date, `[pid N] `, `[user] `,
 * `FAIL LOGIN: Client "<remote_ip_str>"`, then `, anon password "..."`), the same through syslog
 * (syslog_enable=YES: no date), and the PAM verdict logged under vsftpd's name (sysdeputil.c sets
 * PAM_RHOST to the address, PAM_TTY "ftp", PAM_RUSER and PAM_USER to the name the client sent;
 * Linux-PAM pam_unix support.c: "authentication failure; logname=%s uid=%d euid=%d tty=%s
 * ruser=%s rhost=%s %s%s"). `lab` lines are recorded from Debian 12's vsftpd 3.0.3.
 */
import type { CorpusEntry } from './types.ts';

const LAB = 'lab: Debian 12 vsftpd 3.0.3, vsftpd_log_file';
const LAB_PAM = 'lab: Debian 12 vsftpd 3.0.3 + pam_unix (Linux-PAM 1.5.2), its /dev/log datagrams';
const FMT = 'vsftpd logging.c vsf_log_do_log_vsftpd_format';
const PAM = 'Linux-PAM pam_unix support.c "authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s %s%s" with vsftpd sysdeputil.c items';

const corpus: CorpusEntry[] = [
  { form: 'own log: unknown user', source: LAB, line: 'Mon Dec  7 04:04:20 2026 [pid 4159] [nosuch] FAIL LOGIN: Client "10.114.186.66"', address: '10.114.186.66' },
  { form: 'own log: wrong password', source: LAB, line: 'Mon Dec  7 04:04:22 2026 [pid 4183] [mlab4098x0ftp] FAIL LOGIN: Client "10.114.186.66"', address: '10.114.186.66' },
  { form: 'own log: anonymous refused', source: LAB, line: 'Mon Dec  7 04:04:24 2026 [pid 4192] [anonymous] FAIL LOGIN: Client "10.114.186.66"', address: '10.114.186.66' },
  { form: 'own log: listen_ipv6, v4-mapped', source: FMT, line: 'Mon Dec  7 04:05:01 2026 [pid 2] [admin] FAIL LOGIN: Client "::ffff:203.0.113.50"', address: '203.0.113.50' },
  { form: 'own log: IPv6 client', source: FMT, line: 'Mon Dec  7 04:05:02 2026 [pid 3] [ftp] FAIL LOGIN: Client "2001:db8::51"', address: '2001:db8::51' },
  { form: 'own log: anonymous with its password', source: FMT, line: 'Mon Dec  7 04:05:03 2026 [pid 4] [anonymous] FAIL LOGIN: Client "203.0.113.52", anon password "guest@"', address: '203.0.113.52' },
  { form: 'own log: a user name holding an address', source: FMT, line: 'Mon Dec  7 04:05:04 2026 [pid 5] [1.2.3.4] FAIL LOGIN: Client "203.0.113.53"', address: '203.0.113.53' },
  { form: '1.x own log (no day padding)', source: FMT + ' (1.x: date then " [pid ")', line: 'Thu Nov 26 14:21:08 2009 [pid 14935] [test] FAIL LOGIN: Client "203.0.113.54"', address: '203.0.113.54' },
  { form: 'syslog_enable: [pid] [user] FAIL LOGIN', source: FMT + ' (syslog: no date)', line: 'Dec  7 04:05:05 ftp vsftpd[4]: [pid 5] [admin] FAIL LOGIN: Client "203.0.113.55"', address: '203.0.113.55' },
  { form: 'syslog_enable: [user] FAIL LOGIN, v4-mapped', source: FMT + ' (syslog)', line: 'Dec  7 04:05:06 ftp vsftpd[4]: [root] FAIL LOGIN: Client "::ffff:203.0.113.56"', address: '203.0.113.56' },
  { form: 'PAM: unknown user (no user=, trailing space)', source: LAB_PAM, line: 'Dec  7 04:07:14 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=nosuch rhost=10.187.143.66 ', address: '10.187.143.66' },
  { form: 'PAM: wrong password (user= after two spaces)', source: LAB_PAM, line: 'Dec  7 04:07:17 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=mlab6699x0ftp rhost=10.187.143.66  user=mlab6699x0ftp', address: '10.187.143.66' },
  { form: 'PAM: journald form with pid, trailing space trimmed', source: PAM, line: 'Dec  7 04:07:18 ftp vsftpd[811]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=admin rhost=::ffff:203.0.113.57', address: '203.0.113.57' },
  { form: 'PAM: a user name holding rhost=', source: PAM, line: 'Dec  7 04:07:19 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=6.6.6.6 rhost=203.0.113.58 ', address: '203.0.113.58' },
  { form: 'PAM: pam_sss (one space before user=)', source: 'sssd pam_sss.c "authentication failure; logname=%s uid=%lu euid=%lu tty=%s ruser=%s rhost=%s user=%s"', line: 'Dec  7 04:07:20 ftp vsftpd[9]: pam_sss(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=jdoe rhost=203.0.113.59 user=jdoe', address: '203.0.113.59' },
  // --- must not match
  { form: 'connect', source: LAB, line: 'Mon Dec  7 04:04:18 2026 [pid 4160] CONNECT: Client "10.114.186.66"', address: null },
  { form: 'successful login', source: LAB, line: 'Mon Dec  7 04:04:25 2026 [pid 4210] [mlab4098x0ftp] OK LOGIN: Client "10.114.186.66"', address: null },
  { form: 'a user name that writes Client "', source: LAB, line: 'Mon Dec  7 04:04:24 2026 [pid 4201] [x Client "6.6.6.6"] FAIL LOGIN: Client "10.114.186.66"', address: null },
  { form: 'a user name that writes the whole marker', source: FMT, line: 'Mon Dec  7 04:05:07 2026 [pid 6] [x] FAIL LOGIN: Client "6.6.6.6"] FAIL LOGIN: Client "203.0.113.60"', address: null },
  { form: 'an anonymous password that writes an address', source: FMT, line: 'Mon Dec  7 04:05:08 2026 [pid 7] [anonymous] FAIL LOGIN: Client "203.0.113.61", anon password "x", Client "6.6.6.6"', address: null },
  { form: 'log_ftp_protocol: the client\'s command', source: FMT, line: 'Mon Dec  7 04:05:09 2026 [pid 8] [x] FTP command: Client "203.0.113.62", "PASS ] FAIL LOGIN: Client "6.6.6.6""', address: null },
  { form: 'xferlog_std_format transfer, incomplete', source: 'vsftpd logging.c vsf_log_do_log_wuftpd_format', line: 'Mon Dec  7 04:05:10 2026 1 203.0.113.63 0 /pub/file.iso b _ o r alice ftp 0 * i', address: null },
  { form: 'PAM: check pass; user unknown (no address)', source: LAB_PAM, line: 'Dec  7 04:07:14 ftp vsftpd: pam_unix(vsftpd:auth): check pass; user unknown', address: null },
  { form: 'PAM: reverse_lookup_enable gives a host name', source: PAM, line: 'Dec  7 04:07:21 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=bob rhost=client.example.net  user=bob', address: null },
  { form: 'PAM: a user name holding rhost= on both sides', source: PAM, line: 'Dec  7 04:07:22 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=6.6.6.6 rhost=203.0.113.64  user=x rhost=6.6.6.6', address: '203.0.113.64' },
  { form: 'PAM: a name on the right that is not the ruser', source: PAM, line: 'Dec  7 04:07:23 ftp vsftpd: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=a rhost=203.0.113.65  user=b rhost=6.6.6.6', address: null },
  { form: 'PAM: session opened', source: PAM, line: 'Dec  7 04:07:24 ftp vsftpd: pam_unix(vsftpd:session): session opened for user alice(uid=1000) by (uid=0)', address: null },
  { form: 'PAM line from another program', source: 'syslog program dispatch', line: 'Dec  7 04:07:25 ftp sshd[9]: pam_unix(vsftpd:auth): authentication failure; logname= uid=0 euid=0 tty=ftp ruser=x rhost=203.0.113.66 ', address: null },
];

export default corpus;
