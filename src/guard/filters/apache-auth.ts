/**
 * Apache httpd's HTTP authentication failures, from its error log (or syslog when ErrorLog goes
 * there): 2.4 writes `[Thu Nov 26 14:20:26.123456 2026] [auth_basic:error] [pid 1] [client
 * 1.2.3.4:50000] AH01618: user x not found: /private`; 2.2 writes `[...] [error] [client 1.2.3.4]
 * user x not found: /private`. Counted: user not found (AH01618), password mismatch (AH01617),
 * Digest's unknown user and mismatch (AH01790, AH01792), and requests refused by configuration
 * (AH01630, what scanners probing protected paths cause).
 *
 * The client field is one of the bracketed fields Apache writes before the message, so it is
 * looked for only there, left to right; the user and the URL (client text) come after the message
 * code. A 2.4 client field ends with `:port` (also after an IPv6 address), a 2.2 one has none.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { execAt } from './text.ts';

/** 2.4: the code, then the wording the module writes for it. */
const CODES = /AH0(?:1617: user (.*): authentication failure for "|1618: user (.*) not found: |1630: client denied by server configuration: |1790: user `(.*)' in realm `|1792: user (.*): password mismatch: )/y;
/** 2.2: the same wordings, no code. */
const OLD = /(?:user (.*): authentication failure for "|user (.*) not found: |client denied by server configuration: )/y;

export default defineFilter({
  type: 'apache-auth',
  summary: 'Apache httpd: HTTP auth user not found or password mismatch, client denied by configuration',
  programs: ['apache2', 'httpd'],
  match(line, { at }) {
    let i = at;
    let client: string | undefined;
    // The leading `[...] ` fields: module:level, pid, then client, after which the message starts
    // (a CGI's stderr in 2.2 follows directly and may itself begin with `[client `).
    for (let n = 0; n < 4 && client === undefined && line.charCodeAt(i) === 91; n++) {
      const close = line.indexOf('] ', i);
      if (close < 0) return undefined;
      if (line.startsWith('client ', i + 1)) client = line.slice(i + 8, close);
      i = close + 2;
    }
    if (client === undefined) return undefined;
    const coded = line.startsWith('AH', i);
    const m = execAt(coded ? CODES : OLD, line, i);
    if (!m) return undefined;
    let text = client;
    if (coded) {
      const colon = text.lastIndexOf(':');
      if (colon < 0 || !/^\d+$/.test(text.slice(colon + 1))) return undefined;
      text = text.slice(0, colon);
    }
    const address = normaliseAddress(text);
    return address ? { address, user: m[1] ?? m[2] ?? m[3] ?? m[4] } : undefined;
  },
});
