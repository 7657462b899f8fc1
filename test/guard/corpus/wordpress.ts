/**
 * WordPress login brute force in web servers' access logs. `lab` lines were written by Debian 12's
 * nginx 1.22 (`log_format combined '$remote_addr - $remote_user [$time_local] "$request" $status
 * $body_bytes_sent "$http_referer" "$http_user_agent"'`) answering as WordPress does (a failed
 * login: the form again, 200; a successful one: 302) and Apache 2.4 (`vhost_combined`, `common`);
 * the others are written from those formats. WordPress: wp-login.php answers a failed login with
 * the login form (200) and a good one with wp_safe_redirect() (302); XML-RPC answers every call
 * with 200 and puts `faultCode 403` in the body. Addresses a client wrote are 6.6.6.x/10.6.6.6.
 */
import type { CorpusEntry } from './types.ts';

const NGINX = 'lab: nginx 1.22 (Debian 12), log_format combined';
const APACHE = 'lab: Apache 2.4 (Debian 12)';
const COMBINED = 'Apache LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined';

const entries: CorpusEntry[] = [
  { form: 'failed login: POST wp-login.php 200 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:53 +0000] "POST /wp-login.php HTTP/1.1" 200 4 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: 'failed login over IPv6 (lab)', source: NGINX, line: '::1 - - [07/Dec/2026:04:42:53 +0000] "POST /wp-login.php HTTP/1.1" 200 4 "-" "curl/7.88.1"', address: '::1' },
  { form: 'failed login, Apache combined', source: COMBINED, line: '203.0.113.20 - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "https://example.com/wp-login.php" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"', address: '203.0.113.20' },
  { form: 'failed login, Apache common (no referer or agent)', source: 'Apache LogFormat "%h %l %u %t \\"%r\\" %>s %b" common', line: '203.0.113.21 - - [07/Dec/2026:12:00:00 +0900] "POST /wp-login.php HTTP/1.0" 200 6417', address: '203.0.113.21' },
  { form: 'failed login, Apache vhost_combined (server name and port first)', source: 'Apache LogFormat "%v:%p %h %l %u %t \\"%r\\" %>s %O ..." vhost_combined', line: 'blog.example.com:443 203.0.113.22 - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 7012 "-" "python-requests/2.31.0"', address: '203.0.113.22' },
  { form: 'failed login, vhost_combined with a numeric server name', source: 'vhost_combined; %v is the ServerName, here an address', line: '192.0.2.10:80 203.0.113.23 - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 7012 "-" "-"', address: '203.0.113.23' },
  { form: 'failed login, WordPress in a subdirectory, with a query', source: COMBINED, line: '203.0.113.24 - - [07/Dec/2026:12:00:00 +0000] "POST /blog/wp-login.php?redirect_to=%2Fblog%2Fwp-admin%2F HTTP/2.0" 200 6417 "-" "-"', address: '203.0.113.24' },
  { form: 'failed login, IPv4-mapped client (dual-stack listener)', source: COMBINED, line: '::ffff:203.0.113.25 - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "-" "-"', address: '203.0.113.25' },
  { form: 'failed login, user agent and referer holding addresses and a request', source: COMBINED, line: '203.0.113.26 - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "http://6.6.6.6/" "6.6.6.6 - - [07/Dec/2026:12:00:00 +0000] \\"POST /wp-login.php HTTP/1.1\\" 200 1"', address: '203.0.113.26' },
  { form: 'failed login behind basic auth, user name with spaces and an escaped quote', source: 'Apache %u through ap_escape_logitem() (`"` written `\\"`)', line: '203.0.113.27 - a b\\" 6.6.6.6 [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "-" "-"', address: '203.0.113.27' },
  { form: 'failed login, through syslog (nginx access_log syslog:)', source: 'ngx_syslog: tag nginx', line: 'Dec  7 12:00:00 www nginx: 203.0.113.28 - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "-" "-"', address: '203.0.113.28' },
  { form: 'XML-RPC POST answered 200 (lab; aggressive)', source: NGINX, line: '127.0.0.1 - alice [07/Dec/2026:04:42:54 +0000] "POST /xmlrpc.php HTTP/1.1" 200 5 "-" "Mozilla/5.0 (10.9.9.9) wp-login.php"', address: '127.0.0.1', mode: 'aggressive' },
  { form: 'XML-RPC system.multicall, Apache (aggressive)', source: COMBINED, line: '203.0.113.29 - - [07/Dec/2026:12:00:00 +0000] "POST /xmlrpc.php HTTP/1.1" 200 52412 "-" "Mozilla/4.0"', address: '203.0.113.29', mode: 'aggressive' },
  { form: 'interim-login POST (lab; aggressive: answers 200 on success too)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:53 +0000] "POST /wp-login.php?interim-login=1 HTTP/1.1" 200 4 "-" "curl/7.88.1"', address: '127.0.0.1', mode: 'aggressive' },
  // must not match
  { form: 'successful login: 302 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "POST /wp-login.php HTTP/1.1" 302 145 "-" "curl/7.88.1"', address: null },
  { form: 'the login form shown: GET wp-login.php 200', source: COMBINED, line: '203.0.113.30 - - [07/Dec/2026:12:00:00 +0000] "GET /wp-login.php HTTP/1.1" 200 4512 "-" "-"', address: null },
  { form: 'a normal page, user agent holding wp-login.php (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /index.html HTTP/1.1" 200 3 "-" "x\\x22 200 1 \\x22 POST /wp-login.php"', address: null },
  { form: 'a POST whose query names wp-login.php', source: COMBINED, line: '203.0.113.31 - - [07/Dec/2026:12:00:00 +0000] "POST /contact.php?next=/wp-login.php HTTP/1.1" 200 100 "-" "-"', address: null },
  { form: 'a path ending in a longer name (my-wp-login.php)', source: COMBINED, line: '203.0.113.32 - - [07/Dec/2026:12:00:00 +0000] "POST /my-wp-login.php HTTP/1.1" 200 100 "-" "-"', address: null },
  { form: 'an address in the path', source: COMBINED, line: '203.0.113.33 - - [07/Dec/2026:12:00:00 +0000] "POST /6.6.6.6/x HTTP/1.1" 200 100 "-" "-"', address: null },
  { form: 'host name instead of address (HostnameLookups On)', source: 'Apache %h with HostnameLookups On', line: 'client.example.net - - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "-" "-"', address: null },
  { form: 'two address fields: which is the client cannot be told', source: 'vhost_combined with an IPv6 ServerName, or an identd answer', line: '2001:db8::10:80 203.0.113.34 - [07/Dec/2026:12:00:00 +0000] "POST /wp-login.php HTTP/1.1" 200 6417 "-" "-"', address: null },
  { form: 'XML-RPC GET (the "XML-RPC server accepts POST requests only" page)', source: COMBINED, line: '203.0.113.35 - - [07/Dec/2026:12:00:00 +0000] "GET /xmlrpc.php HTTP/1.1" 405 42 "-" "-"', address: null },
  { form: 'a normal page (lab, Apache vhost_combined)', source: APACHE, line: 'lab.test:80 127.0.0.1 - - [07/Dec/2026:04:49:33 +0000] "GET /index.html HTTP/1.1" 200 203 "-" "curl/7.88.1"', address: null },
];

export default entries;
