/**
 * Exim's AUTH failures (smtp_in.c: log_write(... "%s authenticator failed for %s: %s", name,
 * host_and_ident(FALSE), reply); 4.86+ append " (set_id=%s)") and relay refusals (acl.c:
 * "%s F=<%s> rejected RCPT <%s>: %s" with "relay not permitted"), as syslog carries them
 * (`exim[pid]:`, syslog_timestamp on or off). Written from the format strings; the lab has no Exim.
 */
import type { CorpusEntry } from './types.ts';

const AUTH = 'exim smtp_in.c "%s authenticator failed for %s: %s"';
const RCPT = 'exim acl.c "%s F=<%s> rejected RCPT <%s>: relay not permitted"';

const corpus: CorpusEntry[] = [
  { form: '4.86+ dovecot_login, helo, port, set_id', source: AUTH + ' (set_id=)', line: 'Dec  7 04:40:01 mx exim[4101]: 2026-12-07 04:40:01 dovecot_login authenticator failed for (User) [203.0.113.100]:61234: 535 Incorrect authentication data (set_id=info@example.jp)', address: '203.0.113.100' },
  { form: 'login, verified name and helo', source: AUTH, line: 'Dec  7 04:40:02 mx exim[4102]: login authenticator failed for host.example.net (ylmf-pc) [203.0.113.101]:50001: 535 Incorrect authentication data (set_id=admin)', address: '203.0.113.101' },
  { form: 'plain, older form without port or set_id', source: AUTH + ' (4.6x-4.85)', line: 'Dec  7 04:40:03 mx exim[4103]: plain authenticator failed for ([203.0.113.102]) [203.0.113.102]: 535 Incorrect authentication data', address: '203.0.113.102' },
  { form: 'no helo, IPv6, exim4 tag, pid in message', source: AUTH + ' (log_selector +pid)', line: 'Dec  7 04:40:04 mx exim4[4104]: 2026-12-07 04:40:04 [4104] dovecot_plain authenticator failed for [2001:db8::103]:50002: 535 Incorrect authentication data (set_id=test)', address: '2001:db8::103' },
  { form: 'relay not permitted (aggressive)', source: RCPT, line: 'Dec  7 04:40:05 mx exim[4105]: 2026-12-07 04:40:05 H=(WIN-X) [203.0.113.104]:50003 F=<a@example.com> rejected RCPT <victim@example.org>: relay not permitted', address: '203.0.113.104', mode: 'aggressive' },
  { form: "Exim's own mainlog (no syslog header)", source: AUTH + ' (log_file_path mainlog)', line: '2026-12-07 04:40:12 dovecot_login authenticator failed for (WIN-X) [203.0.113.111]:50010: 535 Incorrect authentication data (set_id=info@example.jp)', address: '203.0.113.111' },
  { form: "Exim's own mainlog, relay not permitted (aggressive)", source: RCPT + ' (mainlog)', line: '2026-12-07 04:40:13 H=(WIN-X) [203.0.113.112]:50011 F=<a@example.com> rejected RCPT <victim@example.org>: relay not permitted', address: '203.0.113.112', mode: 'aggressive' },
  // --- must not match
  { form: "mainlog: a delivery line", source: 'exim "=>" line', line: '2026-12-07 04:40:14 1r2s3t-000abc-De => a@example.jp R=local_user T=mail_spool', address: null },
  { form: 'set_id holding an address and the reply', source: AUTH, line: 'Dec  7 04:40:06 mx exim[4106]: dovecot_login authenticator failed for (x) [203.0.113.105]:50004: 535 Incorrect authentication data (set_id=x [6.6.6.6]: 535 Incorrect authentication data)', address: null },
  { form: 'helo holding an address', source: AUTH, line: 'Dec  7 04:40:07 mx exim[4107]: dovecot_login authenticator failed for ([6.6.6.6]) [203.0.113.106]:50005: 535 Incorrect authentication data (set_id=[6.6.6.6])', address: '203.0.113.106' },
  { form: 'temporary failure of the auth server', source: AUTH + ' (435)', line: 'Dec  7 04:40:08 mx exim[4108]: dovecot_login authenticator failed for (x) [203.0.113.107]:50006: 435 Unable to authenticate at present (set_id=a)', address: null },
  { form: 'successful login', source: 'exim "<=" line with A=', line: 'Dec  7 04:40:09 mx exim[4109]: 2026-12-07 04:40:09 1r2s3t-000abc-De <= a@example.jp H=(x) [203.0.113.108]:50007 P=esmtpsa X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=no A=dovecot_login:a@example.jp S=1234', address: null },
  { form: 'another rejected RCPT (unknown user, not relay)', source: RCPT, line: 'Dec  7 04:40:10 mx exim[4110]: H=(x) [203.0.113.109]:50008 F=<a@b.c> rejected RCPT <nobody@example.jp>: Unrouteable address', address: null },
  { form: 'sender holding F=< and the relay wording', source: RCPT, line: 'Dec  7 04:40:11 mx exim[4111]: H=(x) [203.0.113.110]:50009 F=<a [6.6.6.6] F=<b> rejected RCPT <c>: relay not permitted', address: null },
];

export default corpus;
