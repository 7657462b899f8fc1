/**
 * Scanners probing for files and tools a site may have left open, in web servers' access logs.
 * `lab` lines were written by Debian 12's nginx 1.22 (`log_format combined`) and Apache 2.4
 * (`vhost_combined`, `common`) answering the probes; the others are written from those formats.
 * Addresses a client wrote are 6.6.6.x/10.6.6.6.
 */
import type { CorpusEntry } from './types.ts';

const NGINX = 'lab: nginx 1.22 (Debian 12), log_format combined';
const APACHE = 'lab: Apache 2.4 (Debian 12)';
const COMBINED = 'Apache LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined';

const entries: CorpusEntry[] = [
  { form: '/.env 404 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /.env HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: '/.git/config 404 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /.git/config HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: '/phpMyAdmin/ 404, mixed case (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /phpMyAdmin/index.php HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: '/pma/ 404 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /pma/ HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: 'PHPUnit eval-stdin.php 404 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: '/cgi-bin/ 404 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /cgi-bin/luci HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: '/.env 404, Apache vhost_combined (lab)', source: APACHE, line: 'lab.test:80 127.0.0.1 - - [07/Dec/2026:04:49:32 +0000] "GET /.env HTTP/1.1" 404 397 "-" "curl/7.88.1"', address: '127.0.0.1' },
  { form: '/phpmyadmin/ 404 over IPv6, Apache vhost_combined (lab)', source: APACHE, line: 'lab.test:80 ::1 - - [07/Dec/2026:04:49:32 +0000] "GET /phpmyadmin/ HTTP/1.1" 404 397 "-" "curl/7.88.1"', address: '::1' },
  { form: 'POST /wp-login.php 404 where there is no WordPress, Apache common (lab)', source: APACHE, line: '127.0.0.1 - - [07/Dec/2026:04:49:33 +0000] "POST /wp-login.php HTTP/1.1" 404 397', address: '127.0.0.1' },
  { form: '/.git/config 404, Apache common (lab)', source: APACHE, line: '127.0.0.1 - - [07/Dec/2026:04:49:33 +0000] "GET /.git/config HTTP/1.1" 404 397', address: '127.0.0.1' },
  { form: '/wp-admin/ 404', source: COMBINED, line: '203.0.113.40 - - [07/Dec/2026:12:00:00 +0000] "GET /wp-admin/setup-config.php HTTP/1.1" 404 196 "-" "Mozilla/5.0"', address: '203.0.113.40' },
  { form: '/.env in a subdirectory, with a query', source: COMBINED, line: '203.0.113.41 - - [07/Dec/2026:12:00:00 +0000] "GET /laravel/.env?x=1 HTTP/1.1" 404 196 "-" "-"', address: '203.0.113.41' },
  { form: '/.git/HEAD refused: 403', source: 'Apache: <DirectoryMatch "/\\.git"> Require all denied', line: '203.0.113.42 - - [07/Dec/2026:12:00:00 +0000] "GET /.git/HEAD HTTP/1.1" 403 199 "-" "-"', address: '203.0.113.42' },
  { form: '/xmlrpc.php 404 over IPv6', source: COMBINED, line: '2001:db8::43 - - [07/Dec/2026:12:00:00 +0000] "POST /xmlrpc.php HTTP/1.1" 404 196 "-" "-"', address: '2001:db8::43' },
  { form: 'probe through syslog (nginx access_log syslog:)', source: 'ngx_syslog: tag nginx', line: 'Dec  7 12:00:00 www nginx: 203.0.113.44 - - [07/Dec/2026:12:00:00 +0000] "GET /.aws/credentials HTTP/1.1" 404 153 "-" "-"', address: '203.0.113.44' },
  { form: 'probe with a user agent and referer holding another address', source: COMBINED, line: '203.0.113.45 - - [07/Dec/2026:12:00:00 +0000] "GET /.env HTTP/1.1" 404 196 "http://6.6.6.6/" "6.6.6.6 - - [x] \\"GET /.env HTTP/1.1\\" 404"', address: '203.0.113.45' },
  { form: '/wp-admin/ 403 (lab; aggressive: a site closing wp-admin to its own people refuses its editor the same way)', source: APACHE, line: 'lab.test:80 127.0.0.1 - - [07/Dec/2026:04:49:33 +0000] "GET /wp-admin/ HTTP/1.1" 403 400 "-" "curl/7.88.1"', address: '127.0.0.1', mode: 'aggressive' },
  { form: '/phpmyadmin 403 (aggressive)', source: 'Apache: phpMyAdmin with Require ip', line: '203.0.113.46 - - [07/Dec/2026:12:00:00 +0000] "GET /phpmyadmin/ HTTP/1.1" 403 199 "-" "-"', address: '203.0.113.46', mode: 'aggressive' },
  { form: '/wp-content/ 404 (lab; aggressive: links left from a former WordPress site)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /old/wp-content/uploads/a.jpg HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: '127.0.0.1', mode: 'aggressive' },
  // must not match
  { form: 'a normal page (lab)', source: APACHE, line: '127.0.0.1 - - [07/Dec/2026:04:49:33 +0000] "GET /index.html HTTP/1.1" 200 203', address: null },
  { form: 'a missing page that is no probe, its path holding an address (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /10.6.6.6/index.html HTTP/1.1" 404 153 "-" "curl/7.88.1"', address: null },
  { form: 'a query holding a probe path and an address, answered 200 (lab)', source: NGINX, line: '127.0.0.1 - - [07/Dec/2026:04:42:54 +0000] "GET /?x=10.6.6.6/.env HTTP/1.1" 200 3 "-" "curl/7.88.1"', address: null },
  { form: 'a query holding a probe path, answered 404', source: COMBINED, line: '203.0.113.47 - - [07/Dec/2026:12:00:00 +0000] "GET /search?q=/.env HTTP/1.1" 404 196 "-" "-"', address: null },
  { form: 'a user agent holding a probe path, on a missing page', source: COMBINED, line: '203.0.113.48 - - [07/Dec/2026:12:00:00 +0000] "GET /favicon.ico HTTP/1.1" 404 196 "-" "GET /.env /phpmyadmin/ 6.6.6.6"', address: null },
  { form: 'wp-login.php on a WordPress site (200)', source: COMBINED, line: '203.0.113.49 - - [07/Dec/2026:12:00:00 +0000] "GET /wp-login.php HTTP/1.1" 200 4512 "-" "-"', address: null },
  { form: 'wp-admin redirected to the login (302)', source: COMBINED, line: '203.0.113.50 - - [07/Dec/2026:12:00:00 +0000] "GET /wp-admin/ HTTP/1.1" 302 0 "-" "-"', address: null },
  { form: 'a name only inside a segment (/pmarket, /my.env.txt)', source: COMBINED, line: '203.0.113.51 - - [07/Dec/2026:12:00:00 +0000] "GET /pmarket/my.env.txt HTTP/1.1" 404 196 "-" "-"', address: null },
  { form: '/pma not at the start of the path (a page about it)', source: COMBINED, line: '203.0.113.52 - - [07/Dec/2026:12:00:00 +0000] "GET /docs/pma HTTP/1.1" 404 196 "-" "-"', address: null },
  { form: 'a proxy request (absolute URI)', source: COMBINED, line: '203.0.113.53 - - [07/Dec/2026:12:00:00 +0000] "GET http://6.6.6.6/.env HTTP/1.1" 404 196 "-" "-"', address: null },
  { form: 'a server error on a probe path (500)', source: COMBINED, line: '203.0.113.54 - - [07/Dec/2026:12:00:00 +0000] "GET /.env HTTP/1.1" 500 196 "-" "-"', address: null },
  { form: 'nginx error log line for the same probe (not an access line)', source: NGINX, line: '2026/12/07 04:42:54 [error] 9108#9108: *5 open() "/tmp/botrec/html/.env" failed (2: No such file or directory), client: 127.0.0.1, server: lab, request: "GET /.env HTTP/1.1", host: "127.0.0.1:18481"', address: null },
];

export default entries;
