/**
 * Apache httpd 2.2 and 2.4 error logs. `lab` lines were written by Debian 12's Apache 2.4.71 in
 * the lab (mod_auth_basic, mod_auth_digest, mod_authz_core, mod_access_compat, mod_remoteip behind
 * a trusted proxy), attacked from the lab's attacker namespace; the others are written from the
 * module's format string named in `source` (2.2: `[%s] [%s] [client %s] ` from log.c
 * log_error_core, no codes, no port; `Digest: ` prefixed by mod_auth_digest).
 * Addresses a client wrote are 6.6.6.x; the server's own is 192.0.2.10.
 */
import type { CorpusEntry } from './types.ts';

const LAB = 'lab: Apache 2.4.71 (Debian 12)';
const T24 = '[Mon Dec 07 04:05:19.080969 2026]';
const T22 = '[Mon Dec 07 04:05:19 2026]';

const entries: CorpusEntry[] = [
  // --- 2.4, recorded
  { form: '2.4 AH01617 password mismatch (lab)', source: LAB, line: `${T24} [auth_basic:error] [pid 5153:tid 5153] [client 10.142.186.66:47408] AH01617: user alice: authentication failure for "/basic/": Password Mismatch`, address: '10.142.186.66' },
  { form: '2.4 AH01618 user not found (lab)', source: LAB, line: `${T24} [auth_basic:error] [pid 5155:tid 5155] [client 10.142.186.66:47424] AH01618: user nosuch not found: /basic/`, address: '10.142.186.66' },
  { form: '2.4 AH01618 empty user (bad base64; lab)', source: LAB, line: `${T24} [auth_basic:error] [pid 5156:tid 5156] [client 10.142.186.66:47444] AH01618: user  not found: /basic/`, address: '10.142.186.66' },
  { form: '2.4 AH01617 over IPv6, written without brackets (lab)', source: LAB, line: `${T24} [auth_basic:error] [pid 5155:tid 5155] [client fd6d:29:be::66:59386] AH01617: user alice: authentication failure for "/basic/": Password Mismatch`, address: 'fd6d:29:be::66' },
  { form: '2.4 AH01630 client denied by server configuration (lab)', source: LAB, line: `${T24} [authz_core:error] [pid 5152:tid 5152] [client 10.142.186.66:47474] AH01630: client denied by server configuration: /srv/www/htdocs/denied/x`, address: '10.142.186.66' },
  { form: '2.4 AH01630 over IPv6 (lab)', source: LAB, line: `${T24} [authz_core:error] [pid 5156:tid 5156] [client fd6d:29:be::66:59400] AH01630: client denied by server configuration: /srv/www/htdocs/denied/x`, address: 'fd6d:29:be::66' },
  { form: '2.4 AH01797 mod_access_compat denied (lab)', source: LAB, line: `${T24} [access_compat:error] [pid 5151:tid 5151] [client 10.142.186.66:47486] AH01797: client denied by server configuration: /srv/www/htdocs/compat/x`, address: '10.142.186.66' },
  { form: '2.4 mod_remoteip: the client from the trusted proxy\'s header, port 0 (lab)', source: `${LAB}, RemoteIPHeader X-Forwarded-For, RemoteIPInternalProxy`, line: `${T24} [auth_basic:error] [pid 5153:tid 5153] [client 203.0.113.77:0] AH01617: user alice: authentication failure for "/basic/": Password Mismatch`, address: '203.0.113.77' },
  { form: '2.4 AH01794 digest password mismatch (lab)', source: LAB, line: `${T24} [auth_digest:error] [pid 5152:tid 5152] [client 10.142.186.66:37688] AH01794: user alice: password mismatch: /digest/`, address: '10.142.186.66' },
  { form: '2.4 AH01790 digest user not found (lab)', source: LAB, line: `${T24} [auth_digest:error] [pid 5156:tid 5156] [client 10.142.186.66:37696] AH01790: user \`nosuchd2' in realm \`lab' not found: /digest/`, address: '10.142.186.66' },
  { form: '2.4 AH01614 wrong scheme (lab, aggressive)', source: LAB, line: `${T24} [auth_basic:error] [pid 5152:tid 5152] [client 10.142.186.66:47438] AH01614: client used wrong authentication scheme: /basic/`, address: '10.142.186.66', mode: 'aggressive' },
  { form: '2.4 AH01781 digest wrong scheme (lab, aggressive)', source: LAB, line: `${T24} [auth_digest:error] [pid 5151:tid 5151] [client 10.142.186.66:47508] AH01781: client used wrong authentication scheme \`Basic': /digest/`, address: '10.142.186.66', mode: 'aggressive' },
  { form: '2.4 AH01782 digest header incomplete (lab, aggressive)', source: LAB, line: `${T24} [auth_digest:error] [pid 5152:tid 5152] [client 10.142.186.66:47498] AH01782: missing user, realm, nonce, uri, digest, cnonce, or nonce_count in authorization header: /digest/`, address: '10.142.186.66', mode: 'aggressive' },
  { form: '2.4 AH01788 digest realm mismatch (lab, aggressive)', source: LAB, line: `${T24} [auth_digest:error] [pid 5151:tid 5151] [client 10.142.186.66:37702] AH01788: realm mismatch - got \`other' but expected \`lab'`, address: '10.142.186.66', mode: 'aggressive' },
  { form: '2.4 AH01786 digest uri mismatch (lab, aggressive)', source: LAB, line: `${T24} [auth_digest:error] [pid 5153:tid 5153] [client 10.142.186.66:37708] AH01786: uri mismatch - </other/> does not match request-uri </digest/>`, address: '10.142.186.66', mode: 'aggressive' },
  { form: '2.4 AH10560 digest qop (lab, aggressive)', source: LAB, line: `${T24} [auth_digest:error] [pid 5155:tid 5155] [client 10.142.186.66:37720] AH10560: invalid or missing qop value 'bogus', RFC 2069 is no longer supported: /digest/`, address: '10.142.186.66', mode: 'aggressive' },

  // --- 2.4, from the format strings
  { form: '2.4 AH01617, prefork without tid', source: 'mod_auth_basic.c APLOGNO(01617) "user %s: authentication failure for \\"%s\\": Password Mismatch"', line: `${T24} [auth_basic:error] [pid 1234] [client 203.0.113.10:50001] AH01617: user admin: authentication failure for "/private/": Password Mismatch`, address: '203.0.113.10' },
  { form: '2.4 AH01618 with a referer', source: 'log.c do_errorlog_default() ", referer: %s"', line: `${T24} [auth_basic:error] [pid 1234] [client 203.0.113.11:50002] AH01618: user y not found: /private/, referer: http://6.6.6.6/`, address: '203.0.113.11' },
  { form: '2.4 AH01792 digest mismatch, RFC 2069 client', source: 'mod_auth_digest.c APLOGNO(01792) "user %s: password mismatch: %s"', line: `${T24} [auth_digest:error] [pid 1234] [client 203.0.113.12:50003] AH01792: user bob: password mismatch: /digest/`, address: '203.0.113.12' },
  { form: '2.4 AH01791 digest user denied by provider', source: 'mod_auth_digest.c APLOGNO(01791) "user `%s\' in realm `%s\' denied by provider: %s"', line: `${T24} [auth_digest:error] [pid 1234] [client 203.0.113.13:50004] AH01791: user \`bob' in realm \`lab' denied by provider: /digest/`, address: '203.0.113.13' },
  { form: '2.4 AH01789 unknown digest algorithm (aggressive)', source: 'mod_auth_digest.c APLOGNO(01789) "unknown algorithm `%s\' received: %s"', line: `${T24} [auth_digest:error] [pid 1234] [client 203.0.113.14:50005] AH01789: unknown algorithm \`SHA-256' received: /digest/`, address: '203.0.113.14', mode: 'aggressive' },
  { form: '2.4 AH01793 invalid qop (aggressive)', source: 'mod_auth_digest.c APLOGNO(01793) "invalid qop `%s\' received: %s"', line: `${T24} [auth_digest:error] [pid 1234] [client 203.0.113.15:50006] AH01793: invalid qop \`x' received: /digest/`, address: '203.0.113.15', mode: 'aggressive' },
  { form: '2.4 AH01777 invalid nonce (aggressive)', source: 'mod_auth_digest.c check_nonce() "invalid nonce `%s\' received - hash is not %s"', line: `${T24} [auth_digest:error] [pid 1234] [client 203.0.113.16:50007] AH01777: invalid nonce \`abc' received - hash is not 0123`, address: '203.0.113.16', mode: 'aggressive' },
  { form: '2.4 bracketed IPv6 client field', source: 'ErrorLogFormat "[client %a]" where a front end writes IPv6 in brackets', line: `${T24} [auth_basic:error] [pid 1234] [client [2001:db8::20]:50010] AH01618: user x not found: /private/`, address: '2001:db8::20' },
  { form: '2.4 with a [remote] field: the [client] is the client (mod_remoteip)', source: 'ErrorLogFormat "... [client\\ %a] [remote\\ %{c}a] %M": %a the useragent, %{c}a the proxy', line: `${T24} [auth_basic:error] [pid 1234] [client 203.0.113.21:0] [remote 192.0.2.10:41000] AH01617: user x: authentication failure for "/": Password Mismatch`, address: '203.0.113.21' },
  { form: '2.4 with [remote] before [client]', source: 'ErrorLogFormat "... [remote\\ %{c}a] [client\\ %a] %M"', line: `${T24} [auth_basic:error] [pid 1234] [remote 192.0.2.10:41000] [client 203.0.113.22:0] AH01618: user x not found: /`, address: '203.0.113.22' },
  { form: '2.4 to syslog (ErrorLog syslog:)', source: 'log.c: syslog lines carry no time of Apache\'s own', line: 'Dec  7 04:05:19 www apache2[1234]: [auth_basic:error] [pid 1234] [client 203.0.113.23:50011] AH01618: user z not found: /private/', address: '203.0.113.23' },
  { form: '2.4 to syslog as httpd (RHEL)', source: 'log.c, program name httpd', line: 'Dec  7 04:05:19 www httpd[1234]: [authz_core:error] [pid 1234:tid 140] [client 2001:db8::24:50012] AH01630: client denied by server configuration: /var/www/html/.git', address: '2001:db8::24' },
  { form: '2.4 AH01617, user name holding an address', source: 'mod_auth_basic.c; the user name is the client\'s', line: `${T24} [auth_basic:error] [pid 1] [client 203.0.113.25:50013] AH01617: user 6.6.6.6: authentication failure for "/": Password Mismatch`, address: '203.0.113.25' },
  { form: '2.4 AH01618, user name writing a client field', source: 'mod_auth_basic.c; user "[client 6.6.6.6:1] AH01618: user x"', line: `${T24} [auth_basic:error] [pid 1] [client 203.0.113.26:50014] AH01618: user [client 6.6.6.6:1] AH01618: user x not found: /private/`, address: '203.0.113.26' },

  // --- 2.2
  { form: '2.2 user not found', source: 'Apache 2.2 mod_auth_basic.c "user %s not found: %s"', line: `${T22} [error] [client 203.0.113.30] user bob not found: /private/`, address: '203.0.113.30' },
  { form: '2.2 password mismatch', source: 'Apache 2.2 mod_auth_basic.c "user %s: authentication failure for \\"%s\\": Password Mismatch"', line: `${T22} [error] [client 203.0.113.31] user bob: authentication failure for "/private/": Password Mismatch`, address: '203.0.113.31' },
  { form: '2.2 client denied', source: 'Apache 2.2 mod_authz_host.c "client denied by server configuration: %s%s"', line: `${T22} [error] [client 203.0.113.32] client denied by server configuration: /var/www/private`, address: '203.0.113.32' },
  { form: '2.2 digest user not found', source: 'Apache 2.2 mod_auth_digest.c "Digest: user `%s\' in realm `%s\' not found: %s"', line: `${T22} [error] [client 203.0.113.33] Digest: user \`bob' in realm \`lab' not found: /digest/`, address: '203.0.113.33' },
  { form: '2.2 digest password mismatch', source: 'Apache 2.2 mod_auth_digest.c "Digest: user %s: password mismatch: %s"', line: `${T22} [error] [client 203.0.113.34] Digest: user bob: password mismatch: /digest/`, address: '203.0.113.34' },
  { form: '2.2 IPv6, no port', source: 'Apache 2.2 log.c "[client %s] "', line: `${T22} [error] [client 2001:db8::35:1] user bob not found: /private/`, address: '2001:db8::35:1' },
  { form: '2.2 with a referer', source: 'Apache 2.2 log.c ", referer: %s"', line: `${T22} [error] [client 203.0.113.36] user x not found: /private/, referer: http://6.6.6.6/`, address: '203.0.113.36' },
  { form: '2.2 wrong scheme (aggressive)', source: 'Apache 2.2 mod_auth_basic.c "client used wrong authentication scheme: %s"', line: `${T22} [error] [client 203.0.113.37] client used wrong authentication scheme: /private/`, address: '203.0.113.37', mode: 'aggressive' },
  { form: '2.2 digest wrong scheme (aggressive)', source: 'Apache 2.2 mod_auth_digest.c "Digest: client used wrong authentication scheme `%s\': %s"', line: `${T22} [error] [client 203.0.113.38] Digest: client used wrong authentication scheme \`Basic': /digest/`, address: '203.0.113.38', mode: 'aggressive' },

  // --- must not match
  { form: '2.4 start-up notice (lab)', source: LAB, line: `${T24} [mpm_prefork:notice] [pid 5149:tid 5149] AH00163: Apache/2.4.71 (Debian) configured -- resuming normal operations`, address: null },
  { form: '2.4 AH01615 need AuthName (configuration)', source: 'mod_auth_basic.c APLOGNO(01615) "need AuthName: %s"', line: `${T24} [auth_basic:error] [pid 1] [client 203.0.113.40:1] AH01615: need AuthName: /private/`, address: null },
  { form: '2.4 AH01631 authenticated user not authorized (the password was right)', source: 'mod_authz_core.c APLOGNO(01631) "user %s: authorization failure for \\"%s\\": "', line: `${T24} [authz_core:error] [pid 1] [client 203.0.113.41:1] AH01631: user alice: authorization failure for "/admin/": `, address: null },
  { form: '2.4 AH01779 nonce expired (every Digest browser)', source: 'mod_auth_digest.c "user %s: nonce expired (%.2f seconds old - max age %.2f) - sending new nonce"', line: `${T24} [auth_digest:error] [pid 1] [client 203.0.113.42:1] AH01779: user alice: nonce expired (310.00 seconds old - max age 300.00) - sending new nonce`, address: null },
  { form: '2.4 AH00126 invalid URI', source: 'core APLOGNO(00126)', line: `${T24} [core:error] [pid 1] [client 203.0.113.43:1] AH00126: Invalid URI in request GET /../.. HTTP/1.1`, address: null },
  { form: '2.4 a CGI\'s stderr imitating a failure', source: 'mod_cgi APLOGNO(01215): the script\'s text', line: `${T24} [cgi:error] [pid 1] [client 203.0.113.44:1] AH01215: [client 6.6.6.6:1] AH01618: user x not found: /`, address: null },
  { form: '2.2 a CGI\'s stderr imitating a failure', source: 'Apache 2.2 mod_cgi: the script\'s text after the client field', line: `${T22} [error] [client 203.0.113.45] [client 6.6.6.6] user x not found: /`, address: null },
  { form: '2.4 [remote] only: Apache talking to a backend', source: 'log.c "[remote %s:%d] " when the connection has no scoreboard handle', line: `${T24} [proxy_http:error] [pid 1] [remote 192.0.2.10:8080] AH01102: user x not found: /`, address: null },
  { form: '2.4 the server\'s own address in a message', source: 'core APLOGNO(00558)', line: `${T24} [core:warn] [pid 1] AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 192.0.2.10. Set the 'ServerName' directive globally to suppress this message`, address: null },
];

export default entries;
