/**
 * Courier's IMAP/POP3 login failures and its ESMTP AUTH refusals:
 * `imapd: LOGIN FAILED, user=x, ip=[::ffff:1.2.3.4]`, `imapd-ssl: LOGIN FAILED, method=PLAIN,
 * ip=[...]` (with `INFO: ` in front when Courier's own logger level is kept), and
 * `courieresmtpd: error,relay=::ffff:1.2.3.4,msg="535 Authentication failed.",cmd: AUTH LOGIN x`.
 *
 * In the login lines the user name (client text) comes before `ip=[address]`, which ends the
 * line: the line is read from its end. In the ESMTP line the relay address leads, written by
 * Courier; only the identd answer and the command (client text) follow it.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { execAt } from './text.ts';

const LOGIN = /(?:INFO: )?LOGIN FAILED, (?:method=[\w-]+, )?(?:user=(.*), )?ip=\[([0-9A-Fa-f.:]+)\]$/y;
const ESMTP = /error,relay=([0-9A-Fa-f.:]+),/y;

export default defineFilter({
  type: 'courier',
  summary: 'Courier IMAP/POP3 LOGIN FAILED and ESMTP AUTH refused (535)',
  programs: ['imapd', 'imapd-ssl', 'pop3d', 'pop3d-ssl', 'courierpop3login', 'courierimaplogin', 'courier-imapd', 'courier-pop3d', 'courieresmtpd', 'courier', 'sqwebmaild'],
  match(line, { at }) {
    const c = line.charCodeAt(at);
    if (c === 73 || c === 76) {
      const m = execAt(LOGIN, line, at);
      if (!m) return undefined;
      const address = normaliseAddress(m[2]!);
      return address ? { address, user: m[1] } : undefined;
    }
    if (c !== 101) return undefined;
    const m = execAt(ESMTP, line, at);
    if (!m) return undefined;
    // The first `,msg="` is Courier's (the command after it is client text).
    const msg = line.indexOf(',msg="', at + m[0].length - 1);
    if (msg < 0 || !line.startsWith('535 ', msg + 6)) return undefined;
    const address = normaliseAddress(m[1]!);
    if (!address) return undefined;
    const cmd = line.indexOf('",cmd: AUTH ', msg);
    const user = cmd < 0 ? undefined : /^\S+ (.*)$/.exec(line.slice(cmd + 12))?.[1];
    return { address, user };
  },
});
