/**
 * Postfix smtpd's SASL failures (smtpd_sasl_glue.c: "%s: SASL %s authentication failed: %s" with
 * state->namaddr `name[addr]` or, with smtpd_client_port_logging, `name[addr]:port`; Postfix 3.x
 * adds ", sasl_username=%s"; "%s: SASL %s authentication aborted"). `lab` lines are recorded from
 * Debian 12's Postfix 3.7 with Cyrus SASL (test/lab/daemons/postfix.ts, maillog_file).
 */
import type { CorpusEntry } from './types.ts';

const LAB = 'lab: Debian 12 Postfix 3.7.x + Cyrus SASL sasldb, maillog_file';
const FMT = 'postfix smtpd_sasl_glue.c "%s: SASL %s authentication failed: %s"';

const corpus: CorpusEntry[] = [
  { form: '3.x SASL PLAIN failed, sasl_username', source: LAB, line: 'Dec 07 04:04:30 mail postfix-lab/smtpd[4473]: warning: unknown[10.118.187.66]: SASL PLAIN authentication failed: authentication failure, sasl_username=smtp-user@mail.lab.test', address: '10.118.187.66' },
  { form: '3.x SASL LOGIN failed, unknown user', source: LAB, line: 'Dec 07 04:04:30 mail postfix-lab/smtpd[4473]: warning: unknown[10.118.187.66]: SASL LOGIN authentication failed: authentication failure, sasl_username=nosuch@mail.lab.test', address: '10.118.187.66' },
  { form: '3.x a SASL user name holding an address', source: LAB, line: 'Dec 07 04:04:31 mail postfix-lab/smtpd[4490]: warning: unknown[10.118.187.66]: SASL PLAIN authentication failed: authentication failure, sasl_username=u@1.2.3.4', address: '10.118.187.66' },
  { form: '2.x SASL LOGIN failed: last challenge', source: FMT + ' (2.x: the server\'s last LOGIN challenge)', line: 'Dec  7 04:20:01 mx postfix/smtpd[2301]: warning: unknown[203.0.113.70]: SASL LOGIN authentication failed: UGFzc3dvcmQ6', address: '203.0.113.70' },
  { form: 'verified host name[addr]', source: FMT, line: 'Dec  7 04:20:02 mx postfix/smtpd[2302]: warning: host-203-0-113-71.example.net[203.0.113.71]: SASL PLAIN authentication failed: authentication failure', address: '203.0.113.71' },
  { form: 'submission service, IPv6', source: FMT, line: 'Dec  7 04:20:03 mx postfix/submission/smtpd[2303]: warning: unknown[2001:db8::72]: SASL LOGIN authentication failed: authentication failure', address: '2001:db8::72' },
  { form: 'smtps, client port logging', source: FMT + ' (smtpd_client_port_logging)', line: 'Dec  7 04:20:04 mx postfix/smtps/smtpd[2304]: warning: unknown[203.0.113.73]:50123: SASL PLAIN authentication failed: authentication failure, sasl_username=info@example.com', address: '203.0.113.73' },
  { form: 'Dovecot SASL: empty reason', source: FMT + ' with xsasl_dovecot (empty reason)', line: 'Dec  7 04:20:05 mx postfix/smtpd[2305]: warning: unknown[203.0.113.74]: SASL PLAIN authentication failed: ', address: '203.0.113.74' },
  { form: 'Dovecot SASL: no reason text', source: FMT + ' with xsasl_dovecot', line: 'Dec  7 04:20:06 mx postfix/smtpd[2306]: warning: unknown[203.0.113.75]: SASL LOGIN authentication failed: UGFzc3dvcmQ6, sasl_username=admin', address: '203.0.113.75' },
  { form: 'CRAM-MD5 no mechanism (aggressive)', source: LAB, line: 'Dec 07 04:04:31 mail postfix-lab/smtpd[4473]: warning: unknown[10.118.187.66]: SASL CRAM-MD5 authentication failed: no mechanism available, sasl_username=(unavailable)', address: '10.118.187.66', mode: 'aggressive' },
  { form: 'SASL LOGIN aborted (aggressive)', source: LAB, line: 'Dec 07 04:04:31 mail postfix-lab/smtpd[4490]: warning: unknown[10.118.187.66]: SASL LOGIN authentication aborted', address: '10.118.187.66', mode: 'aggressive' },
  { form: 'generic failure (aggressive)', source: FMT + ' + Cyrus sasl_errstring(SASL_FAIL)', line: 'Dec  7 04:20:07 mx postfix/smtpd[2307]: warning: unknown[203.0.113.76]: SASL LOGIN authentication failed: generic failure', address: '203.0.113.76', mode: 'aggressive' },
  // --- must not match
  { form: 'Cyrus library line without an address', source: LAB, line: 'Dec 07 04:04:30 mail postfix-lab/smtpd[4473]: warning: SASL authentication failure: Password verification failed', address: null },
  { form: 'disconnect summary with auth=0/1', source: LAB, line: 'Dec 07 04:04:30 mail postfix-lab/smtpd[4473]: disconnect from unknown[10.118.187.66] ehlo=1 auth=0/1 quit=1 commands=2/3', address: null },
  { form: 'the SASL server lost', source: FMT, line: 'Dec  7 04:20:08 mx postfix/smtpd[2308]: warning: unknown[203.0.113.77]: SASL LOGIN authentication failed: Connection lost to authentication server', address: null },
  { form: 'successful SASL login', source: 'postfix smtpd.c "%s: client=%s, sasl_method=%s, sasl_username=%s"', line: 'Dec  7 04:20:09 mx postfix/smtpd[2309]: 4Xy1Z2: client=unknown[203.0.113.78], sasl_method=PLAIN, sasl_username=alice', address: null },
  { form: 'a SASL user name writing the line', source: LAB + ' (filters-lab forged name)', line: 'Dec 07 04:04:32 mail postfix-lab/smtpd[4490]: warning: unknown[10.118.187.66]: SASL PLAIN authentication failed: authentication failure, sasl_username=x]: SASL LOGIN authentication failed: [6.6.6.6]', address: '10.118.187.66' },
  { form: 'another program writing smtpd\'s words', source: 'syslog program dispatch', line: 'Dec  7 04:20:10 mx postfix/cleanup[1]: warning: unknown[203.0.113.79]: SASL LOGIN authentication failed: authentication failure', address: null },
];

export default corpus;
