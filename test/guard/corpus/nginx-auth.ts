/**
 * nginx basic authentication (ngx_http_auth_basic_module). `lab` lines were written by Debian
 * 12's nginx in the lab (error_log at info), attacked from the lab's attacker namespace; the others
 * are written from the module's format strings: `user "%V" was not found in "%s"`, `user "%V":
 * password mismatch` (NGX_LOG_ERR), `no user/password was provided for basic authentication`
 * (NGX_LOG_INFO), each followed by ngx_http_log_error()'s `, client: %V, server: %V, request:
 * "%V", host: "%V"`. Addresses a client wrote are 6.6.6.x; the server's own is 192.0.2.10.
 */
import type { CorpusEntry } from './types.ts';

const LAB = 'lab: nginx 1.22 (Debian 12)';

const entries: CorpusEntry[] = [
  { form: 'password mismatch (lab)', source: LAB, line: '2026/12/07 04:05:53 [error] 5900#5900: *3 user "alice": password mismatch, client: 10.163.109.66, server: lab, request: "GET /p/ HTTP/1.1", host: "10.163.109.10:8080"', address: '10.163.109.66' },
  { form: 'user not found (lab)', source: LAB, line: '2026/12/07 04:05:53 [error] 5900#5900: *4 user "nosuch" was not found in "/etc/nginx/.htpasswd", client: 10.163.109.66, server: lab, request: "GET /p/ HTTP/1.1", host: "10.163.109.10:8080"', address: '10.163.109.66' },
  { form: 'password mismatch over IPv6 (lab)', source: LAB, line: '2026/12/07 04:05:53 [error] 5900#5900: *5 user "alice": password mismatch, client: fd6d:3d:f3::66, server: lab, request: "GET /p/ HTTP/1.1", host: "[fd6d:3d:f3::10]:8080"', address: 'fd6d:3d:f3::66' },
  { form: 'no user/password (lab, aggressive)', source: LAB, line: '2026/12/07 04:05:53 [info] 5900#5900: *2 no user/password was provided for basic authentication, client: 10.163.109.66, server: lab, request: "GET /p/ HTTP/1.1", host: "10.163.109.10:8080"', address: '10.163.109.66', mode: 'aggressive' },
  { form: 'user not found, to syslog', source: 'ngx_syslog: nginx keeps its own date in the message', line: 'Dec  7 04:05:53 www nginx: 2026/12/07 04:05:53 [error] 812#812: *9 user "admin" was not found in "/etc/nginx/.htpasswd", client: 203.0.113.50, server: example.com, request: "GET /admin/ HTTP/1.1", host: "example.com"', address: '203.0.113.50' },
  { form: 'password mismatch, with a referrer', source: 'ngx_http_log_error() ", referrer: \\"%V\\""', line: '2026/12/07 04:05:53 [error] 812#812: *10 user "admin": password mismatch, client: 203.0.113.51, server: example.com, request: "GET /admin/ HTTP/1.1", host: "example.com", referrer: "http://6.6.6.6/"', address: '203.0.113.51' },
  { form: 'user name holding an address', source: 'ngx_http_auth_basic; the user name is the client\'s (up to its first ":")', line: '2026/12/07 04:05:53 [error] 812#812: *11 user "6.6.6.6": password mismatch, client: 203.0.113.52, server: example.com, request: "GET / HTTP/1.1", host: "example.com"', address: '203.0.113.52' },
  { form: 'user name writing nginx\'s own words (no ":" possible)', source: 'ngx_http_auth_basic; user "x\\" was not found in \\"y\\", client 6.6.6.6"', line: '2026/12/07 04:05:53 [error] 812#812: *12 user "x" was not found in "y", client 6.6.6.6" was not found in "/etc/nginx/.htpasswd", client: 203.0.113.53, server: example.com, request: "GET / HTTP/1.1", host: "example.com"', address: '203.0.113.53' },
  { form: 'no user/password, IPv6 (aggressive)', source: 'ngx_http_auth_basic_handler() NGX_LOG_INFO', line: '2026/12/07 04:05:53 [info] 812#812: *13 no user/password was provided for basic authentication, client: 2001:db8::54, server: example.com, request: "GET /admin/ HTTP/1.1", host: "example.com"', address: '2001:db8::54', mode: 'aggressive' },
  // must not match
  { form: 'client closed connection (the server\'s address in server:; lab)', source: LAB, line: '2026/12/07 04:05:52 [info] 5900#5900: *1 client closed connection while waiting for request, client: 10.163.109.1, server: 10.163.109.10:8080', address: null },
  { form: 'closed keepalive connection (lab)', source: LAB, line: '2026/12/07 04:05:53 [info] 5900#5900: *3 client 10.163.109.66 closed keepalive connection', address: null },
  { form: 'a request for a missing file', source: 'ngx_http_static_module "open() \\"%s\\" failed"', line: '2026/12/07 04:05:53 [error] 812#812: *14 open() "/var/www/html/.env" failed (2: No such file or directory), client: 203.0.113.55, server: example.com, request: "GET /.env HTTP/1.1", host: "192.0.2.10"', address: null },
  { form: 'a password mismatch at info level is not nginx\'s (no such form)', source: 'ngx_http_auth_basic logs mismatches at NGX_LOG_ERR only', line: '2026/12/07 04:05:53 [info] 812#812: *15 user "x": password mismatch, client: 6.6.6.6, server: example.com', address: null },
  { form: 'start-up notice', source: LAB, line: '2026/12/07 04:05:52 [notice] 5899#5899: start worker process 5900', address: null },
];

export default entries;
