/**
 * vpopmail's vchkpw (vchkpw.c: vlog()/syslog "vchkpw-%s: <wording> %s:%s", the login then the
 * remote IP from TCPREMOTEIP). Written from the source (the lab has no qmail); the first line is
 * the field runbook's own.
 */
import type { CorpusEntry } from './types.ts';

const SRC = 'vpopmail vchkpw.c "vchkpw-%s: %s %s@%s:%s"';

const corpus: CorpusEntry[] = [
  { form: 'user not found (field runbook)', source: SRC + ' (field runbook sample)', line: 'Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67', address: '178.216.51.67' },
  { form: 'password fail', source: SRC, line: 'Dec  7 05:00:01 mx vpopmail[8102]: vchkpw-smtp: password fail info@example.com:203.0.113.130', address: '203.0.113.130' },
  { form: 'password fail with the password (ENABLE_LOGGING 3)', source: SRC + ' "password fail (pass: \'%s\') %s@%s:%s"', line: 'Dec  7 05:00:02 mx vpopmail[8103]: vchkpw-pop3: password fail (pass: \'secret\') info@example.com:203.0.113.131', address: '203.0.113.131' },
  { form: 'null password given', source: SRC, line: 'Dec  7 05:00:03 mx vpopmail[8104]: vchkpw-submission: null password given admin@example.com:203.0.113.132', address: '203.0.113.132' },
  { form: 'old vchkpw: without service', source: SRC + ' (5.2: "vchkpw: ")', line: 'Dec  7 05:00:04 mx vchkpw[8105]: vchkpw: vpopmail user not found test@example.com:203.0.113.133', address: '203.0.113.133' },
  { form: 'a login holding an address', source: SRC, line: 'Dec  7 05:00:05 mx vpopmail[8106]: vchkpw-pop3: vpopmail user not found 6.6.6.6@x:6.6.6.6:203.0.113.134', address: '203.0.113.134' },
  // --- must not match
  { form: 'login success', source: 'vpopmail vchkpw.c "login success %s@%s:%s"', line: 'Dec  7 05:00:06 mx vpopmail[8107]: vchkpw-pop3: (PLAIN) login success alice@example.com:203.0.113.135', address: null },
  { form: 'IPv6 remote (cannot be told from the login)', source: SRC, line: 'Dec  7 05:00:07 mx vpopmail[8108]: vchkpw-pop3: password fail bob@example.com:2001:db8::136', address: null },
];

export default corpus;
