/**
 * OpenSSH's sshd (and sshd-session / sshd-auth, as OpenSSH 9.8+ names its per-connection
 * processes), 6.x to 9.x, in syslog or an `sshd -E` file (no header), with or without the
 * ` [preauth]` the monitor appends for its unprivileged child, and with the `error: ` / `fatal: `
 * prefixes of those log levels. Each form is written from OpenSSH's own log calls:
 *
 * - normal: `Failed password|keyboard-interactive[/pam] for [invalid user ]U from A port P ssh2`
 *   (auth.c auth_log), `Invalid user U from A[ port P]` (auth.c getpwnamallow; no port before 7.5),
 *   `User U from A not allowed because ...` (allowed_user), `maximum authentication attempts
 *   exceeded for ...` (auth_maxtries_exceeded), `Disconnecting (authenticating|invalid) user U A
 *   port P: Too many authentication failures`, `Connection closed by|reset by|Disconnected from
 *   (authenticating|invalid) user U A port P [preauth]` (packet.c sshpkt_vfatal with the user
 *   preamble, 7.6+), `PAM: <pam_strerror> for [illegal user ]U from A` (auth-pam.c) and PAM's own
 *   `pam_unix(sshd:auth): authentication failure; ... rhost=A[  user=U]`.
 * - ddos: what happens before a login is tried: `Did not receive identification string from A`,
 *   `Bad protocol version identification '...' from A`, `Protocol major versions differ for A`,
 *   `banner exchange: Connection from A port P: ...` (8.x+), `Unable to negotiate with A port P:
 *   no matching ...`, `Connection closed|reset by A port P` and `Disconnected from A port P`
 *   without a user, `Timeout before authentication for A`, `ssh_dispatch_run_fatal: Connection
 *   from A port P: ...`, and 9.8's PerSourcePenalties `drop connection #N from [A]:P on [L]:P
 *   penalty: ...` (the second bracket is this server's own address).
 * - aggressive: the ddos forms, plus `Failed publickey` (clients offer several keys as a matter of
 *   course), `Failed none` / `Failed gssapi-with-mic`, `Received disconnect from A port P:N: ...
 *   [preauth]` and `Disconnecting ... user U A port P: Change of username or service not allowed`.
 *
 * One wrong password through PAM is written twice by the same sshd process: PAM's
 * `pam_unix(sshd:auth): authentication failure; ... rhost=A` (or sshd's `PAM: Authentication
 * failure for U from A`), then sshd's `Failed password|keyboard-interactive/pam for U from A`.
 * It counts once: the scanner's memory (ctx.recent) keeps, per sshd pid, which of the two was
 * counted last, and the other one of the same pid and address is then not counted. Lines without
 * a pid (`sshd -E` files) count each. Other pairs (an invalid user's `Invalid user` line and its
 * failure, the failure and the connection's end) still count as two lines: leave max_retry a
 * little higher for sshd than for a one-line daemon.
 *
 * The user name is the client's (sshd escapes control characters, nothing else): `root from
 * 6.6.6.6 port 22 ssh2` is a valid user name. Where client text precedes the address, the form
 * ends with sshd's own text after it, so it is anchored at the end of the line with a greedy user
 * part: the address is the last one sshd wrote, whatever the user name says. Where client text
 * follows (a client's disconnect reason, its key-exchange offer, its banner), the address comes
 * right after sshd's fixed opening and is read there. Not counted: hostbased and certificate
 * failures (the client's host name or certificate ID follows the address) and `PAM N more
 * authentication failures` (a summary of lines already counted).
 */
import { counts, defineFilter, normaliseAddress, type FailureMatch, type FilterMode } from '../failure.ts';
import type { RecentLines } from './recent.ts';
import { execAt, onlyIndexOf } from './text.ts';

const PRE = '(?: \\[preauth\\])?$';
const PORT = ' port \\d+';

interface Form {
  tier: FilterMode;
  re: RegExp;
  /** Group numbers of the address and the user (0: none). */
  addr: number;
  user: number;
}

const form = (tier: FilterMode, source: string, addr: number, user = 0): Form => ({ tier, re: new RegExp(source, 'y'), addr, user });

/** Methods whose failure counts in normal mode; the others are aggressive. */
const NORMAL_METHODS = new Set(['password', 'keyboard-interactive']);
/** `Failed <method>[/<submethod>] for [invalid user ]U from A port P ssh2[: key]`; the key part is checked below. */
const FAILED = /Failed (password|keyboard-interactive|publickey|none|gssapi-with-mic)(?:\/[a-z]+)? for (?:invalid user )?(.*) from (\S+) port \d+ ssh[12](?:: ([A-Z0-9-]+ (?:SHA256:[A-Za-z0-9+/]{43}|MD5:[0-9a-f:]{47}|[0-9a-f]{2}(?::[0-9a-f]{2}){15})))?(?: \[preauth\])?$/y;

/** The forms by the first character of the message (after an `error: `/`fatal: ` prefix). */
const BY_FIRST: Record<string, Form[]> = {
  I: [form('normal', `Invalid user (.*) from (\\S+)(?:${PORT})?${PRE}`, 2, 1)],
  U: [
    form('normal', `User (.*) from (\\S+) not allowed because (?:not listed in AllowUsers|listed in DenyUsers|not in any group|a group is listed in DenyGroups|none of user's groups are listed in AllowGroups)${PRE}`, 2, 1),
    form('ddos', `Unable to negotiate with (\\S+)${PORT}: no matching `, 1),
  ],
  m: [form('normal', `maximum authentication attempts exceeded for (?:invalid user )?(.*) from (\\S+)${PORT} ssh[12]${PRE}`, 2, 1)],
  D: [
    form('normal', `Disconnecting (?:authenticating|invalid) user (.*) (\\S+)${PORT}: Too many authentication failures${PRE}`, 2, 1),
    form('normal', `Disconnected from (?:authenticating|invalid) user (.*) (\\S+)${PORT} \\[preauth\\]$`, 2, 1),
    form('ddos', `Disconnected from (\\S+)${PORT}${PRE}`, 1),
    form('ddos', `Did not receive identification string from (\\S+)(?:${PORT})?${PRE}`, 1),
  ],
  C: [
    form('normal', `Connection (?:closed|reset) by (?:authenticating|invalid) user (.*) (\\S+)${PORT} \\[preauth\\]$`, 2, 1),
    form('ddos', `Connection (?:closed|reset) by (\\S+)(?:${PORT})?${PRE}`, 1),
  ],
  P: [
    form('normal', `PAM: (?:Authentication failure|User not known to the underlying authentication module|Have exhausted maximum number of retries for service|Maximum number of tries exceeded) for (?:illegal user )?(.*) from (\\S+)${PRE}`, 2, 1),
    form('ddos', `Protocol major versions differ for (\\S+)(?:${PORT})?: `, 1),
  ],
  // pam_unix's own line; logname and ruser are empty or one word for sshd, so the first ` rhost=`
  // is PAM's, and the user (client text) comes last.
  p: [form('normal', 'pam_unix\\(sshd:auth\\): authentication failure; logname=\\S* uid=\\d+ euid=\\d+ tty=\\S* ruser=\\S* rhost=(\\S+)(?:  user=(.*)| ?)$', 1, 2)],
  B: [form('ddos', `Bad protocol version identification '.*' from (\\S+)(?:${PORT})?${PRE}`, 1)],
  b: [form('ddos', `banner exchange: Connection from (\\S+)${PORT}: `, 1)],
  T: [form('ddos', `Timeout before authentication for (\\S+)(?:${PORT})?${PRE}`, 1)],
  s: [form('ddos', `ssh_dispatch_run_fatal: Connection from (\\S+)${PORT}: `, 1)],
  d: [form('ddos', 'drop connection #\\d+ from \\[([^\\]]+)\\]:\\d+ on \\[[^\\]]+\\]:\\d+ penalty: ', 1)],
  // 7.x+: `A port P:reason: text`; 6.x: `A: reason: text`. The text is the client's.
  R: [form('aggressive', `Received disconnect from (\\S+)${PORT}:\\d+: .* \\[preauth\\]$`, 1), form('aggressive', 'Received disconnect from (\\S+): \\d+: .* \\[preauth\\]$', 1)],
};
const FIRST = new Map(Object.entries(BY_FIRST).map(([c, forms]) => [c.charCodeAt(0), forms]));
/** The PAM forms (normal, the first of `p` and `P`): one attempt's other line is sshd's `Failed ...`. */
const PAM_UNIX = BY_FIRST.p![0]!;
const PAM_SSHD = BY_FIRST.P![0]!;

/** Which half of an attempt a line is (see `once`). */
const SSHD = 's';
const PAM = 'p';

/**
 * `f` unless it is the second half of an attempt already counted: the other half (PAM's line
 * after sshd's, or sshd's after PAM's) from the same sshd process for the same address. The pid
 * is the header's `[pid]` just before the message; without one, every line counts.
 */
function once(line: string, at: number, recent: RecentLines | undefined, half: string, f: FailureMatch): FailureMatch | undefined {
  if (!recent || at < 5 || line.charCodeAt(at - 2) !== 58 || line.charCodeAt(at - 3) !== 93) return f;
  let k = at - 4;
  while (k >= 0 && line.charCodeAt(k) >= 48 && line.charCodeAt(k) <= 57) k--;
  if (k === at - 4 || line.charCodeAt(k) !== 91) return f;
  const pid = line.slice(k + 1, at - 3);
  const seen = recent.get(pid);
  if (seen !== undefined && seen.charAt(0) !== half && seen.slice(1) === f.address) {
    recent.delete(pid);
    return undefined;
  }
  recent.set(pid, half + f.address);
  return f;
}

const CHANGE = ': Change of username or service not allowed: (';
/** The preamble and address before CHANGE: `Disconnecting (authenticating|invalid) user U A port P`. */
const CHANGE_HEAD = /^Disconnecting (?:authenticating|invalid) user (.*) (\S+) port \d+$/s;

function found(addressText: string | undefined, user: string | undefined): FailureMatch | undefined {
  const address = addressText === undefined ? undefined : normaliseAddress(addressText);
  return address ? { address, user } : undefined;
}

export default defineFilter({
  type: 'sshd',
  summary: 'OpenSSH 6.x-9.x: failed passwords, invalid or refused users, too many authentication failures, PAM',
  programs: ['sshd', 'sshd-session', 'sshd-auth'],
  modes: {
    ddos: 'also connections that end before a login is tried: no or a bad identification string, no common key exchange, timeouts, resets, 9.8 penalty drops',
    aggressive: 'the ddos forms, plus failed publickey/none/gssapi (clients try several keys), a client\'s disconnect before authentication, a change of user name mid-login',
  },
  match(line, { at, mode, recent }) {
    let i = at;
    let c = line.charCodeAt(i);
    // `error: ` / `fatal: `, the prefixes sshd gives those levels.
    if ((c === 101 && line.startsWith('error: ', i)) || (c === 102 && line.startsWith('fatal: ', i))) c = line.charCodeAt((i += 7));
    if (c === 70) {
      const m = execAt(FAILED, line, i);
      if (!m) return undefined;
      const normal = NORMAL_METHODS.has(m[1]!);
      if (!counts(normal ? 'normal' : 'aggressive', mode)) return undefined;
      // A key fingerprint follows only a publickey failure.
      if ((m[4] !== undefined) !== (m[1] === 'publickey')) return undefined;
      const f = found(m[3], m[2]);
      return f && normal ? once(line, at, recent, SSHD, f) : f;
    }
    if (c === 112 || c === 80) {
      // PAM's half of an attempt: the forms below, told apart by their first form.
      const pam = c === 112 ? PAM_UNIX : PAM_SSHD;
      const m = execAt(pam.re, line, i);
      if (m) {
        const f = found(m[pam.addr], m[pam.user]);
        return f && once(line, at, recent, PAM, f);
      }
    }
    const forms = FIRST.get(c);
    if (!forms) return undefined;
    if (c === 68 && mode === 'aggressive') {
      const k = onlyIndexOf(line, CHANGE, i);
      if (k >= 0) {
        const m = CHANGE_HEAD.exec(line.slice(i, k));
        return m ? found(m[2], m[1]) : undefined;
      }
    }
    for (const f of forms) {
      if (!counts(f.tier, mode)) continue;
      const m = execAt(f.re, line, i);
      if (m) return found(m[f.addr], f.user ? m[f.user] : undefined);
    }
    return undefined;
  },
});
