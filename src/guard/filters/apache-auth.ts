/**
 * Apache httpd's HTTP authentication and access failures, from its error log (or syslog when
 * ErrorLog goes there). 2.4 writes `[Mon Dec 07 04:05:19.080969 2026] [auth_basic:error] [pid
 * 5153:tid 5153] [client 10.0.0.66:47408] AH01617: user alice: authentication failure for
 * "/basic/": Password Mismatch`; 2.2 writes `[Sun Jun 09 07:57:47 2013] [error] [client 1.2.3.4]
 * user x not found: /private`, and prefixes mod_auth_digest's messages with `Digest: `.
 *
 * - normal: mod_auth_basic's password mismatch (AH01617) and unknown user (AH01618);
 *   mod_auth_digest's unknown user (AH01790), user denied by the provider (AH01791) and password
 *   mismatch (AH01792 for RFC 2069 clients, AH01794); access refused by configuration
 *   (mod_authz_core AH01630, mod_access_compat AH01797, 2.2's wording): what scanners probing
 *   protected paths cause.
 * - aggressive: also requests that never got as far as a user and password: the wrong scheme
 *   (AH01614, AH01781), a Digest header that is malformed or does not fit (AH01782, AH01786-89,
 *   AH01793, AH10560, invalid nonces AH01776-78). Nothing here for ddos.
 * Not counted: configuration errors (AH01615 need AuthName, AH01616), an authenticated user
 * refused by authorization (AH01631: the password was right), an expired nonce (AH01779/80:
 * every Digest browser meets it).
 *
 * The client field is one of the bracketed fields Apache writes before the message, so it is
 * looked for only there, left to right; the user and the URL (client text) come after the
 * message code. A 2.4 client field ends with `:port` (after an IPv6 address too, which Apache
 * writes without brackets; a bracketed `[2001:db8::1]:port` is read as well); a 2.2 one has none.
 * 2.4 is told from 2.2 by its `[module:level]` field. With mod_remoteip the `[client]` field holds
 * the address mod_remoteip took from the trusted proxy's header (its port 0), and a `[remote]`
 * field, where a custom ErrorLogFormat adds one (`%{c}a`), the proxy's: the client is the
 * attacker, the proxy carries every visitor's traffic, so `[client]` is taken and `[remote]`
 * never (a line with only `[remote]` is Apache talking to a backend, not a client).
 */
import { counts, defineFilter, normaliseAddress, type FilterMode } from '../failure.ts';
import { execAt } from './text.ts';

/** The wordings after `AHnnnnn: ` (2.4) or directly (2.2); group 1 or 2 the user, when there is one. */
const WORDINGS: readonly { tier: FilterMode; re: RegExp }[] = [
  { tier: 'normal', re: /user (.*): authentication failure for "/y },
  { tier: 'normal', re: /user (.*) not found: /y },
  { tier: 'normal', re: /client denied by server configuration: /y },
  { tier: 'normal', re: /(?:Digest: )?user `(.*)' in realm `.*' (?:not found|denied by provider): /y },
  { tier: 'normal', re: /(?:Digest: )?user (.*): password mismatch: /y },
  { tier: 'aggressive', re: /(?:Digest: )?client used wrong authentication scheme/y },
  { tier: 'aggressive', re: /(?:Digest: )?(?:missing user, realm, nonce, uri, digest, cnonce, or nonce_count in authorization header|uri mismatch - |realm mismatch - |unknown algorithm `|received invalid opaque - |invalid qop `|invalid or missing qop value |invalid nonce )/y },
];

/** `AH` and five digits, then `: `. */
const CODE = /AH\d{5}: /y;

export default defineFilter({
  type: 'apache-auth',
  summary: 'Apache httpd 2.2/2.4: HTTP auth user not found or password mismatch (Basic, Digest), client denied by configuration',
  programs: ['apache2', 'httpd'],
  modes: { aggressive: 'also a wrong authentication scheme and malformed or mismatched Digest headers (AH01614, AH01781-89, AH01793, AH10560)' },
  match(line, { at, mode }) {
    let i = at;
    let client: string | undefined;
    let v24 = false;
    // The leading `[...] ` fields: module:level, pid, then client (and perhaps remote), after
    // which the message starts (a CGI's stderr in 2.2 follows directly and may itself begin
    // with `[client `: only the first client field counts).
    for (let n = 0; n < 5 && line.charCodeAt(i) === 91; n++) {
      const close = line.indexOf('] ', i);
      if (close < 0) return undefined;
      if (n === 0 && line.lastIndexOf(':', close) > i) v24 = true;
      if (line.startsWith('client ', i + 1)) {
        if (client !== undefined) break;
        // (A bracketed IPv6 client's own `]` is followed by `:port`, never by a space.)
        client = line.slice(i + 8, close);
      } else if (client !== undefined && !line.startsWith('remote ', i + 1)) break;
      i = close + 2;
    }
    if (client === undefined) return undefined;
    const coded = execAt(CODE, line, i);
    if (coded) i += coded[0].length;
    let m: RegExpExecArray | null = null;
    for (const w of WORDINGS) {
      if ((m = execAt(w.re, line, i))) {
        if (!counts(w.tier, mode)) return undefined;
        break;
      }
    }
    if (!m) return undefined;
    let text = client;
    if (text.charCodeAt(0) === 91) {
      const close = text.indexOf(']:');
      if (close < 0 || !/^\d+$/.test(text.slice(close + 2))) return undefined;
      text = text.slice(1, close);
    } else if (v24 || coded) {
      const colon = text.lastIndexOf(':');
      if (colon < 0 || !/^\d+$/.test(text.slice(colon + 1))) return undefined;
      text = text.slice(0, colon);
    }
    const address = normaliseAddress(text);
    return address ? { address, user: m[1] } : undefined;
  },
});
