/**
 * Postfix smtpd's SASL authentication failures (AUTH on port 25, submission, smtps):
 * `warning: unknown[1.2.3.4]: SASL LOGIN authentication failed: UGFzc3dvcmQ6` and, from
 * Postfix 3.x, `...: authentication failure, sasl_username=user@example.com` (as the lab's Postfix
 * 3.7 writes it). smtpd logs under `postfix/smtpd`, `postfix/submission/smtpd` or its own
 * syslog_name (`postfix-lab/smtpd`): the scanner hands over every program whose last part is `smtpd`.
 *
 * The client's name and address lead the message, written by smtpd: the name is a verified
 * reverse-DNS name or `unknown` (never brackets or spaces), the address is between the brackets.
 * Everything the client chose (the SASL user name) comes after. The reason is the SASL server's:
 * Cyrus's `authentication failure`, Postfix 2.x's last LOGIN challenge (`UGFzc3dvcmQ6`), Dovecot's
 * empty or own text. Not counted: `Connection lost to authentication server`, the SASL server
 * failing (every user would be banned with it). Aggressive mode only: `generic failure` (Cyrus's
 * SASL_FAIL, also a saslauthd that is down), a mechanism the server does not offer (`no mechanism
 * available`, Dovecot's `Invalid authentication mechanism`) and `SASL ... authentication aborted`
 * (the client sent `*`): probes, or a misconfigured client, rather than a wrong password.
 */
import { counts, defineFilter, normaliseAddress } from '../failure.ts';
import { execAt, hasAt } from './text.ts';

const LINE = /warning: [^\s[\]]+\[([0-9A-Fa-f.:]+)\](?::\d+)?: SASL [\w-]+ authentication (?:failed(?::(.*))?|(aborted))$/y;

/** Reasons that are not a wrong password: counted in aggressive mode only. */
const AGGRESSIVE = [' generic failure', ' no mechanism available', ' Invalid authentication mechanism'];

function isAggressive(reason: string): boolean {
  for (let k = 0; k < AGGRESSIVE.length; k++) if (reason.startsWith(AGGRESSIVE[k]!)) return true;
  return false;
}

export default defineFilter({
  type: 'postfix-sasl',
  summary: 'Postfix smtpd: SASL (SMTP AUTH) authentication failed',
  programs: ['smtpd'],
  modes: {
    aggressive: 'also SASL exchanges the client aborted, mechanisms the server does not offer, and generic failures (also a SASL server that is down)',
  },
  match(line, ctx) {
    const at = ctx.at;
    // LINE's fixed `: SASL ` first: smtpd's other warnings (`hostname ... does not resolve to
    // address`, `non-SMTP command`) end here without running the regex.
    if (!hasAt(line, at, 'warning: ') || line.indexOf(': SASL ', at + 9) < 0) return undefined;
    const m = execAt(LINE, line, at);
    if (!m) return undefined;
    const reason = m[2] ?? '';
    if (reason.startsWith(' Connection lost to authentication server')) return undefined;
    if ((m[3] || isAggressive(reason)) && !counts('aggressive', ctx.mode)) return undefined;
    const address = normaliseAddress(m[1]!);
    if (!address) return undefined;
    const u = reason.indexOf(', sasl_username=');
    return { address, user: u >= 0 ? reason.slice(u + 16) : undefined };
  },
});
