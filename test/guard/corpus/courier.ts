/**
 * Courier-IMAP/POP3 (imaplogin.c, pop3login.c: courier_safe_printf("INFO: LOGIN FAILED, user=%s,
 * ip=[%s]") and, for AUTHENTICATE, "INFO: LOGIN FAILED, method=%s, ip=[%s]"; the `INFO: ` level
 * is dropped by courierlogger in syslog) and courieresmtpd's AUTH refusal. TCPREMOTEIP is
 * `::ffff:a.b.c.d` for IPv4 on a dual-stack socket. Written from the source (the lab has no Courier).
 */
import type { CorpusEntry } from './types.ts';

const LOGIN = 'courier-imap imaplogin.c/pop3login.c "LOGIN FAILED, user=%s, ip=[%s]"';
const METHOD = 'courier-imap imaplogin.c "LOGIN FAILED, method=%s, ip=[%s]"';

const corpus: CorpusEntry[] = [
  { form: 'pop3d LOGIN FAILED, v4-mapped', source: LOGIN, line: 'Apr 23 21:59:38 mx pop3d: LOGIN FAILED, user=info@example.com, ip=[::ffff:203.0.113.110]', address: '203.0.113.110' },
  { form: 'imapd-ssl LOGIN FAILED', source: LOGIN, line: 'Nov 13 08:11:53 mx imapd-ssl: LOGIN FAILED, user=user@example.org, ip=[::ffff:203.0.113.111]', address: '203.0.113.111' },
  { form: 'imapd AUTHENTICATE method=PLAIN', source: METHOD, line: 'Oct 25 16:28:12 mx imapd: LOGIN FAILED, method=PLAIN, ip=[::ffff:203.0.113.112]', address: '203.0.113.112' },
  { form: 'imapd-ssl method=CRAM-MD5', source: METHOD, line: 'Feb  7 14:15:56 mx imapd-ssl: LOGIN FAILED, method=CRAM-MD5, ip=[::ffff:203.0.113.113]', address: '203.0.113.113' },
  { form: 'pop3d-ssl with pid, IPv6', source: LOGIN, line: 'Dec  7 04:50:01 mx pop3d-ssl[3301]: LOGIN FAILED, user=admin, ip=[2001:db8::114]', address: '2001:db8::114' },
  { form: 'courierpop3login (old name)', source: LOGIN + ' (0.x: courierpop3login)', line: 'Apr 17 19:17:11 mx courierpop3login: LOGIN FAILED, user=USER@EXAMPLE.org, ip=[::ffff:203.0.113.115]', address: '203.0.113.115' },
  { form: 'INFO: level kept', source: LOGIN + ' with "INFO: "', line: 'Dec  7 04:50:02 mx imapd: INFO: LOGIN FAILED, user=test, ip=[::ffff:203.0.113.116]', address: '203.0.113.116' },
  { form: 'a user name holding ip=[...]', source: LOGIN, line: 'Dec  7 04:50:03 mx imapd: LOGIN FAILED, user=x, ip=[6.6.6.6], ip=[::ffff:203.0.113.117]', address: '203.0.113.117' },
  { form: 'esmtpd AUTH 535', source: 'courier esmtpd: "error,relay=%s,msg=\\"535 Authentication failed.\\",cmd: AUTH %s"', line: 'Dec  7 04:50:04 mx courieresmtpd: error,relay=::ffff:203.0.113.118,msg="535 Authentication failed.",cmd: AUTH LOGIN admin', address: '203.0.113.118' },
  // --- must not match
  { form: 'successful login', source: 'courier-imap "LOGIN, user=%s, ip=[%s]"', line: 'Dec  7 04:50:05 mx imapd: LOGIN, user=alice, ip=[::ffff:203.0.113.119], port=[51234], protocol=IMAP', address: null },
  { form: 'connection', source: 'courier-imap "Connection, ip=[%s]"', line: 'Oct 25 16:28:12 mx imapd: Connection, ip=[::ffff:203.0.113.120]', address: null },
  { form: 'disconnected', source: 'courier-imap "Disconnected, ip=[%s], time=%d"', line: 'Oct 25 16:28:17 mx imapd: Disconnected, ip=[::ffff:203.0.113.121], time=5, starttls=1', address: null },
  { form: 'a user name ending the line with ip=[...]', source: LOGIN, line: 'Dec  7 04:50:06 mx imapd: LOGIN FAILED, user=x, ip=[::ffff:203.0.113.122] y, ip=[6.6.6.6', address: null },
  { form: 'esmtpd other error', source: 'courier esmtpd error line', line: 'Apr 10 03:47:57 mx courieresmtpd: error,relay=::ffff:203.0.113.123,ident=tmf,from=<a@example.com>,to=<b@example.com>: 550 User unknown.', address: null },
];

export default corpus;
