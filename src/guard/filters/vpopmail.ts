/**
 * vpopmail's vchkpw (the POP3/IMAP/SMTP-AUTH checker of qmail hosting), the field runbook's
 * `vchkpw-pop3: vpopmail user not found family@:178.216.51.67`. vchkpw writes
 * `vchkpw-<service>: <wording> <login>:<remote IP>` through syslog (ident `vpopmail`) or to
 * multilog; the failure wordings are vchkpw's: user not found, password fail (optionally with the
 * tried password), null user name / null password given, invalid user/domain characters, system
 * user (shadow entry) not found, system password fail.
 *
 * The login (user@domain) is whatever the client sent, `:` and dotted quads included, and vchkpw
 * writes it unquoted: the only place the address can be read from is after the LAST `:` at the
 * end of the line. That is an IPv4 address (or the v4 tail of `::ffff:a.b.c.d`); a plain IPv6
 * address cannot be told apart from client text there (`...:1:2001:db8::5`), so it is not taken.
 */
import { defineFilter } from '../failure.ts';
import { hasAt, isIPv4At, trimmedEnd } from './text.ts';

/** vchkpw's failure wordings, right after `vchkpw-<service>: `. */
const WORDINGS = [
  'vpopmail user not found ',
  'password fail ',
  'null password given ',
  'null user name given ',
  'invalid user/domain characters ',
  'system user not found ',
  'system user shadow entry not found ',
  'system password fail ',
];

export default defineFilter({
  type: 'vpopmail',
  summary: 'vpopmail vchkpw: unknown users and wrong passwords on POP3, IMAP and SMTP AUTH',
  programs: ['vpopmail', 'vchkpw'],
  match(line, { at }) {
    if (!hasAt(line, at, 'vchkpw')) return undefined;
    // `vchkpw: ` (old) or `vchkpw-pop3: `, `vchkpw-smtp: `, `vchkpw-995: ` ...
    let i = at + 6;
    if (line.charCodeAt(i) === 45) {
      i++;
      while (i < line.length && line.charCodeAt(i) !== 58 && line.charCodeAt(i) !== 32) i++;
    }
    if (line.charCodeAt(i) !== 58 || line.charCodeAt(i + 1) !== 32) return undefined;
    i += 2;
    let wording: string | undefined;
    const first = line.charCodeAt(i);
    for (let k = 0; k < WORDINGS.length; k++) {
      const w = WORDINGS[k]!;
      if (w.charCodeAt(0) === first && hasAt(line, i, w)) {
        wording = w;
        break;
      }
    }
    if (!wording) return undefined;
    const end = trimmedEnd(line);
    const colon = line.lastIndexOf(':', end - 1);
    if (colon < i + wording.length) return undefined;
    if (!isIPv4At(line, colon + 1, end)) return undefined;
    const address = line.slice(colon + 1, end);
    // The login, for display. With ENABLE_LOGGING 3/4 vchkpw writes the tried password first
    // (`password fail (pass: 'x') user@dom:ip`): then no user is reported, so no password travels on.
    const login = line.slice(i + wording.length, colon);
    return { address, user: login === '' || login.startsWith("(pass: '") ? undefined : login };
  },
});
