/**
 * Postfix rejects (smtpd_check.c log_whatsup(): "%s: %s: %s from %s: %s;" + " from=<%s>",
 * " to=<%s>", " proto=%s", " helo=<%s>"; smtpd.c "improper command pipelining after %s from %s:
 * %s" and "%s after %s from %s"; postscreen.c/postscreen_early.c "PREGREET %d after %s from
 * [%s]:%s: %.100s" and "DNSBL rank %d for [%s]:%s"). Written from those format strings (Postfix
 * 2.x-3.8 keep them), not recorded from the lab.
 */
import type { CorpusEntry } from './types.ts';

const CHECK = 'postfix smtpd_check.c log_whatsup() "%s: %s: %s from %s: %s;" from=<> to=<> proto= helo=<>';
const SMTPD = 'postfix smtpd.c';
const PS = 'postfix postscreen';

const corpus: CorpusEntry[] = [
  { form: 'relay access denied', source: CHECK, line: 'Dec  7 04:30:01 mx postfix/smtpd[3101]: NOQUEUE: reject: RCPT from unknown[203.0.113.80]: 554 5.7.1 <victim@example.org>: Relay access denied; from=<spam@example.com> to=<victim@example.org> proto=ESMTP helo=<WIN-ABC>', address: '203.0.113.80' },
  { form: 'relay access denied, verified name, port logging', source: CHECK + ' (smtpd_client_port_logging)', line: 'Dec  7 04:30:02 mx postfix/smtpd[3102]: NOQUEUE: reject: RCPT from host-81.example.net[203.0.113.81]:41234: 554 5.7.1 <a@example.org>: Relay access denied; from=<> to=<a@example.org> proto=SMTP helo=<host-81.example.net>', address: '203.0.113.81' },
  { form: 'relay access denied, soft_bounce 454, queue id, IPv6', source: CHECK, line: '2026-12-07T04:30:03.123456+00:00 mx postfix/smtpd[3103]: 4QbX1d2Zk9z9t: reject: RCPT from unknown[2001:db8:0:0::82]: 454 4.7.1 <b@example.org>: Relay access denied; from=<x@example.com> to=<b@example.org> proto=ESMTP helo=<x>', address: '2001:db8::82' },
  { form: 'user unknown in local recipient table', source: CHECK, line: 'Dec  7 04:30:04 mx postfix/smtpd[3104]: NOQUEUE: reject: RCPT from unknown[203.0.113.83]: 550 5.1.1 <nobody@mx.example.jp>: Recipient address rejected: User unknown in local recipient table; from=<a@example.com> to=<nobody@mx.example.jp> proto=ESMTP helo=<[203.0.113.83]>', address: '203.0.113.83' },
  { form: 'user unknown in virtual mailbox table', source: CHECK, line: 'Dec  7 04:30:05 mx postfix/smtpd[3105]: NOQUEUE: reject: RCPT from unknown[203.0.113.84]: 550 5.1.1 <x@example.jp>: Recipient address rejected: User unknown in virtual mailbox table; from=<> to=<x@example.jp> proto=ESMTP helo=<a>', address: '203.0.113.84' },
  { form: 'RBL reject (3.x, with reply URL)', source: CHECK + ' + smtpd_check.c rbl "Service unavailable; %s [%s] blocked using %s%s"', line: 'Dec  7 04:30:06 mx postfix/smtpd[3106]: NOQUEUE: reject: RCPT from unknown[203.0.113.85]: 554 5.7.1 Service unavailable; Client host [203.0.113.85] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/203.0.113.85; from=<a@b.c> to=<d@example.jp> proto=ESMTP helo=<x>', address: '203.0.113.85' },
  { form: 'RBL reject (2.x)', source: CHECK + ' (2.x rbl text)', line: 'Dec  7 04:30:07 mx postfix/smtpd[3107]: NOQUEUE: reject: RCPT from mail.example.net[203.0.113.86]: 554 5.7.1 Service unavailable; Client host [203.0.113.86] blocked using bl.spamcop.net; Blocked - see http://www.spamcop.net/bl.shtml?203.0.113.86; from=<a@b.c> to=<d@example.jp> proto=ESMTP helo=<mail.example.net>', address: '203.0.113.86' },
  { form: 'postscreen DNSBL reject', source: PS + ' "Service unavailable; client [%s] blocked using %s"', line: 'Dec  7 04:30:08 mx postfix/postscreen[3108]: NOQUEUE: reject: RCPT from [203.0.113.87]:52310: 550 5.7.1 Service unavailable; client [203.0.113.87] blocked using zen.spamhaus.org; from=<a@b.c>, to=<d@example.jp>, proto=ESMTP, helo=<x>', address: '203.0.113.87' },
  { form: 'improper command pipelining (ddos)', source: SMTPD + ' "improper command pipelining after %s from %s: %s"', line: 'Dec  7 04:30:09 mx postfix/smtpd[3109]: improper command pipelining after EHLO from unknown[203.0.113.88]: MAIL FROM:<a@b.c>\\r\\nRCPT TO:<x@[6.6.6.6]>\\r\\n', address: '203.0.113.88', mode: 'ddos' },
  { form: 'postscreen PREGREET (ddos)', source: PS + ' "PREGREET %d after %s from [%s]:%s: %.100s"', line: 'Dec  7 04:30:10 mx postfix/postscreen[3110]: PREGREET 11 after 0.21 from [203.0.113.89]:51234: EHLO [6.6.6.6]\\r\\n', address: '203.0.113.89', mode: 'ddos' },
  { form: 'postscreen DNSBL rank (ddos)', source: PS + ' "DNSBL rank %d for [%s]:%s"', line: 'Dec  7 04:30:11 mx postfix/postscreen[3111]: DNSBL rank 3 for [2001:db8::90]:51235', address: '2001:db8::90', mode: 'ddos' },
  { form: 'lost connection after AUTH (aggressive)', source: SMTPD + ' "%s after %s from %s"', line: 'Dec  7 04:30:12 mx postfix/submission/smtpd[3112]: lost connection after AUTH from unknown[203.0.113.91]', address: '203.0.113.91', mode: 'aggressive' },
  // --- must not match
  { form: 'accepted client', source: SMTPD + ' "%s: client=%s"', line: 'Dec  7 04:30:13 mx postfix/smtpd[3113]: 4QbX1d2Zk9z9t: client=unknown[203.0.113.92]', address: null },
  { form: 'recipient holding an address and the relay wording', source: CHECK, line: 'Dec  7 04:30:14 mx postfix/smtpd[3114]: NOQUEUE: reject: RCPT from unknown[203.0.113.93]: 554 5.7.1 <x@[6.6.6.6]>: Relay access denied; from=<a@[6.6.6.6]> to=<x@[6.6.6.6]> proto=ESMTP helo=<unknown[6.6.6.6]>', address: '203.0.113.93' },
  { form: 'greylisting (not an attack)', source: CHECK + ' + postgrey', line: 'Dec  7 04:30:15 mx postfix/smtpd[3115]: NOQUEUE: reject: RCPT from mail.example.com[203.0.113.94]: 450 4.2.0 <a@example.jp>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.jp.html; from=<b@example.com> to=<a@example.jp> proto=ESMTP helo=<mail.example.com>', address: null },
  { form: 'a block list naming another address than the client', source: CHECK, line: 'Dec  7 04:30:16 mx postfix/smtpd[3116]: NOQUEUE: reject: RCPT from unknown[203.0.113.95]: 554 5.7.1 Service unavailable; Client host [6.6.6.6] blocked using zen.spamhaus.org; from=<> to=<a@example.jp> proto=ESMTP helo=<x>', address: null },
  { form: 'lost connection after DATA (normal end of a slow client)', source: SMTPD + ' "%s after %s (%d bytes) from %s"', line: 'Dec  7 04:30:17 mx postfix/smtpd[3117]: lost connection after DATA (0 bytes) from unknown[203.0.113.96]', address: null },
  { form: 'postscreen PASS NEW', source: PS + ' "PASS NEW [%s]:%s"', line: 'Dec  7 04:30:18 mx postfix/postscreen[3118]: PASS NEW [203.0.113.97]:51236', address: null },
  { form: 'the relay wording without smtpd\'s trailer', source: 'not a log_whatsup line', line: 'Dec  7 04:30:19 mx postfix/smtpd[3119]: NOQUEUE: reject: RCPT from unknown[203.0.113.98]: 554 5.7.1 <x>: Relay access denied', address: null },
  { form: 'another program writing smtpd\'s words', source: 'syslog program dispatch', line: 'Dec  7 04:30:20 mx postfix/cleanup[3120]: NOQUEUE: reject: RCPT from unknown[203.0.113.99]: 554 5.7.1 <x>: Relay access denied; from=<> to=<x> proto=ESMTP helo=<x>', address: null },
  { form: 'the server\'s own submission relay', source: SMTPD, line: 'Dec  7 04:30:21 mx postfix/smtpd[3121]: disconnect from localhost[127.0.0.1] ehlo=1 mail=1 rcpt=1 data=1 quit=1 commands=5', address: null },
];

export default corpus;
