/**
 * nginx's limit_req and limit_conn. `lab` lines were written by Debian 12's nginx 1.22 (a zone of
 * 1r/m, `burst=1 nodelay`, and one of 60r/m with `burst=5` for delays); the others from the
 * modules' format strings: ngx_http_limit_req_module `"limiting requests%s, excess: %ui.%03ui by
 * zone \"%V\""` and `"delaying request%s, excess: %ui.%03ui, by zone \"%V\""`,
 * ngx_http_limit_conn_module and ngx_stream_limit_conn_module `"limiting connections%s by zone
 * \"%V\""` (`%s`: `, dry run`), then ngx_http_log_error()'s `, client: %V, server: %V, request:
 * "%V", host: "%V"` or the stream's `, %sclient: %V, server: %V` (`%s`: `udp `).
 */
import type { CorpusEntry } from './types.ts';

const LAB = 'lab: nginx 1.22 (Debian 12)';
const SRC = 'ngx_http_limit_req_module.c';

const entries: CorpusEntry[] = [
  { form: 'limiting requests (lab)', source: LAB, line: '2026/12/07 04:43:00 [error] 9198#9198: *3 limiting requests, excess: 2.000 by zone "one", client: 127.0.0.1, server: lab, request: "GET /limited/ HTTP/1.1", host: "127.0.0.1:18481"', address: '127.0.0.1' },
  { form: 'limiting requests over IPv6 (lab)', source: LAB, line: '2026/12/07 04:43:00 [error] 9198#9198: *6 limiting requests, excess: 2.000 by zone "one", client: ::1, server: lab, request: "GET /limited/ HTTP/1.1", host: "[::1]:18481"', address: '::1' },
  { form: 'limiting requests at limit_req_log_level warn, with a referrer holding an address', source: SRC, line: '2026/12/07 12:00:00 [warn] 812#812: *40 limiting requests, excess: 10.500 by zone "login", client: 203.0.113.60, server: example.com, request: "POST /wp-login.php HTTP/1.1", host: "6.6.6.6", referrer: "http://6.6.6.6/"', address: '203.0.113.60' },
  { form: 'limiting connections (limit_conn)', source: 'ngx_http_limit_conn_module.c', line: '2026/12/07 12:00:00 [error] 812#812: *41 limiting connections by zone "addr", client: 203.0.113.61, server: example.com, request: "GET / HTTP/1.1", host: "example.com"', address: '203.0.113.61' },
  { form: 'limiting connections, stream module', source: 'ngx_stream_limit_conn_module.c, ngx_stream_log_error()', line: '2026/12/07 12:00:00 [error] 812#812: *42 limiting connections by zone "addr", client: 203.0.113.62, server: 0.0.0.0:25', address: '203.0.113.62' },
  { form: 'limiting connections, stream module over UDP', source: 'ngx_stream_log_error() "udp client"', line: '2026/12/07 12:00:00 [error] 812#812: *43 limiting connections by zone "dns", udp client: 2001:db8::63, server: [::]:53', address: '2001:db8::63' },
  { form: 'limiting requests through syslog', source: 'ngx_syslog: nginx keeps its own date in the message', line: 'Dec  7 12:00:00 www nginx: 2026/12/07 12:00:00 [error] 812#812: *44 limiting requests, excess: 5.000 by zone "one", client: 203.0.113.64, server: example.com, request: "GET / HTTP/1.1", host: "example.com"', address: '203.0.113.64' },
  { form: 'delaying request within the burst (lab; aggressive)', source: LAB, line: '2026/12/07 04:43:00 [warn] 9198#9198: *8 delaying request, excess: 0.997, by zone "two", client: 127.0.0.1, server: lab, request: "GET /dly/ HTTP/1.1", host: "127.0.0.1:18481"', address: '127.0.0.1', mode: 'aggressive' },
  // must not match
  { form: 'dry run: nothing refused', source: SRC + ' limit_req_dry_run', line: '2026/12/07 12:00:00 [error] 812#812: *45 limiting requests, dry run, excess: 2.000 by zone "one", client: 203.0.113.65, server: example.com, request: "GET / HTTP/1.1", host: "example.com"', address: null },
  { form: 'limit_conn dry run', source: 'ngx_http_limit_conn_module.c limit_conn_dry_run', line: '2026/12/07 12:00:00 [error] 812#812: *46 limiting connections, dry run by zone "addr", client: 203.0.113.66, server: example.com', address: null },
  { form: 'a request spelling the wording, on another error', source: 'ngx_http_static_module open() failed', line: '2026/12/07 12:00:00 [error] 812#812: *47 open() "/var/www/x" failed (2: No such file or directory), client: 203.0.113.67, server: example.com, request: "GET /limiting requests, excess: 1.000 by zone \\"a\\", client: 6.6.6.6 HTTP/1.1", host: "x"', address: null },
  { form: 'keepalive closed (lab)', source: LAB, line: '2026/12/07 04:42:53 [info] 9108#9108: *1 client 127.0.0.1 closed keepalive connection', address: null },
];

export default entries;
