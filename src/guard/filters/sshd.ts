/**
 * OpenSSH's sshd (and sshd-session / sshd-auth, as OpenSSH 9.8+ names its per-connection
 * processes): failed passwords, invalid users, users refused by AllowUsers/DenyUsers, too many
 * authentication failures, and PAM's verdict. In syslog or an `sshd -E` file (no header), with or
 * without the ` [preauth]` OpenSSH appends before authentication.
 *
 * The user name is the client's (sshd escapes control characters, nothing else): `root from
 * 6.6.6.6 port 22 ssh2` is a valid user name. Every wording here ends with sshd's own text after
 * the address, so each is anchored at the end of the line and the user part is greedy: the
 * address is the last one sshd wrote, whatever the user name says. Not counted: `Failed publickey`
 * (clients try several keys as a matter of course, and certificate IDs are client text after the
 * address) and `Connection closed by ... [preauth]` (it repeats an attempt already counted).
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { execAt } from './text.ts';

const PREAUTH = '(?: \\[preauth\\])?$';

/** Each: group 1 the user, group 2 the address. */
const WORDINGS: readonly RegExp[] = [
  new RegExp(`Failed (?:password|keyboard-interactive/pam) for (?:invalid user )?(.*) from (\\S+) port \\d+ ssh2${PREAUTH}`, 'y'),
  new RegExp(`Invalid user (.*) from (\\S+)(?: port \\d+)?${PREAUTH}`, 'y'),
  new RegExp(`User (.*) from (\\S+) not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)${PREAUTH}`, 'y'),
  new RegExp(`(?:error: )?maximum authentication attempts exceeded for (?:invalid user )?(.*) from (\\S+) port \\d+ ssh2${PREAUTH}`, 'y'),
  new RegExp(`Disconnecting (?:authenticating|invalid) user (.*) (\\S+) port \\d+: Too many authentication failures${PREAUTH}`, 'y'),
  new RegExp(`(?:error: )?PAM: (?:Authentication failure|User not known to the underlying authentication module) for (?:illegal user )?(.*) from (\\S+)${PREAUTH}`, 'y'),
];

/** First letters the wordings start with: anything else is not looked at further. */
const FIRST = new Set(['F', 'I', 'U', 'm', 'e', 'D', 'P'].map((c) => c.charCodeAt(0)));

export default defineFilter({
  type: 'sshd',
  summary: 'OpenSSH: failed passwords, invalid or refused users, too many authentication failures',
  programs: ['sshd', 'sshd-session', 'sshd-auth'],
  match(line, { at }) {
    if (!FIRST.has(line.charCodeAt(at))) return undefined;
    for (const re of WORDINGS) {
      const m = execAt(re, line, at);
      if (!m) continue;
      const address = normaliseAddress(m[2]!);
      return address ? { address, user: m[1] } : undefined;
    }
    return undefined;
  },
});
