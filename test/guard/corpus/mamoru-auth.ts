/**
 * mamoru's own auth log, as src/auth/auth-log.ts writes it: `<ISO time> mamoru[pid]: login
 * failed|refused|ok from ADDR for user "NAME"[ (too many failures)]`. Lines written out from the
 * format, and the same made by the writer itself (authLogLine), hostile user names included: the
 * address is the socket's, written before the name, and no name may move it.
 */
import { authLogLine } from '../../../src/auth/auth-log.ts';
import type { CorpusEntry } from './types.ts';

const FMT = 'src/auth/auth-log.ts authLogLine(): "<ISO> mamoru[<pid>]: login <event> from <address> for user <quoteUser(name)>[ (too many failures)]"';
const AT = Date.UTC(2026, 11, 7, 6, 30);
/** A line as the writer makes it, without its newline. */
const w = (event: 'failed' | 'refused' | 'ok', address: string, user: string) => authLogLine(AT, 1234, event, address, user).replace(/\n$/, '');

const corpus: CorpusEntry[] = [
  { form: 'login failed', source: FMT, line: '2026-12-07T06:30:00.123Z mamoru[1234]: login failed from 203.0.113.9 for user "admin"', address: '203.0.113.9' },
  { form: 'login refused (too many failures)', source: FMT, line: '2026-12-07T06:30:01.456Z mamoru[1234]: login refused from 203.0.113.9 for user "admin" (too many failures)', address: '203.0.113.9' },
  { form: 'login failed, IPv6', source: FMT, line: '2026-12-07T06:30:02.000Z mamoru[1234]: login failed from 2001:db8::20 for user "root"', address: '2001:db8::20' },
  { form: 'login failed, v4-mapped socket address', source: FMT, line: '2026-12-07T06:30:03.000Z mamoru[1234]: login failed from ::ffff:203.0.113.21 for user "root"', address: '203.0.113.21' },
  { form: 'login failed, empty user name', source: FMT, line: '2026-12-07T06:30:04.000Z mamoru[1234]: login failed from 203.0.113.22 for user ""', address: '203.0.113.22' },
  { form: 'login failed through syslog (journald forwarding)', source: FMT + ' via rsyslog', line: 'Dec  7 06:30:05 web1 mamoru[1234]: login failed from 203.0.113.23 for user "admin"', address: '203.0.113.23' },
  { form: 'writer: login failed', source: 'authLogLine(failed)', line: w('failed', '203.0.113.24', 'taro'), address: '203.0.113.24' },
  { form: 'writer: login refused', source: 'authLogLine(refused)', line: w('refused', '203.0.113.25', 'taro'), address: '203.0.113.25' },
  { form: 'writer: a user name holding an address and " from "', source: 'authLogLine(failed), quoteUser', line: w('failed', '203.0.113.26', 'x from 6.6.6.6'), address: '203.0.113.26' },
  { form: 'writer: a user name forging the whole tail', source: 'authLogLine(failed), quoteUser', line: w('failed', '203.0.113.27', 'a" from 6.6.6.6 for user "b'), address: '203.0.113.27' },
  { form: 'writer: a user name forging a refusal and a second line', source: 'authLogLine(refused), quoteUser', line: w('refused', '203.0.113.28', '"\nlogin failed from 6.6.6.6 for user "x" (too many failures)'), address: '203.0.113.28' },
  { form: 'writer: a 64-character cut name with an address at the end', source: 'authLogLine(failed), quoteUser', line: w('failed', '2001:db8::29', `${'a'.repeat(56)}6.6.6.6 ${'b'.repeat(20)}`), address: '2001:db8::29' },
  // --- must not match
  { form: 'login ok', source: FMT, line: '2026-12-07T06:31:00.000Z mamoru[1234]: login ok from 192.0.2.10 for user "taro"', address: null },
  { form: 'writer: login ok with a name that says failed', source: 'authLogLine(ok), quoteUser', line: w('ok', '192.0.2.11', 'login failed from 6.6.6.6'), address: null },
  { form: 'another program writing the same words', source: 'not mamoru', line: '2026-12-07T06:31:01.000Z webapp[99]: login failed from 6.6.6.6 for user "admin"', address: null },
  { form: 'a failed line cut short (no user part)', source: FMT + ', truncated', line: '2026-12-07T06:31:02.000Z mamoru[1234]: login failed from 6.6.6.6', address: null },
  { form: 'a failed line with text after the name', source: FMT + ', not the writer\'s', line: '2026-12-07T06:31:03.000Z mamoru[1234]: login failed from 6.6.6.6 for user "admin" (too many failures)', address: null },
  { form: 'a host name instead of an address', source: FMT + ', not the writer\'s', line: '2026-12-07T06:31:04.000Z mamoru[1234]: login failed from client.example.net for user "admin"', address: null },
];

export default corpus;
