/**
 * nginx refusing a client that exceeds a rate or connection limit, from its error log (or syslog,
 * where nginx keeps its own date at the front of the message). ngx_http_limit_req_module writes
 * `limiting requests%s, excess: %ui.%03ui by zone "%V"` and, for a request it holds back within
 * the burst, `delaying request%s, excess: %ui.%03ui, by zone "%V"` (with a comma before `by`) one
 * level lower; ngx_http_limit_conn_module and
 * ngx_stream_limit_conn_module write `limiting connections%s by zone "%V"` (`%s` is `, dry run`
 * under `limit_req_dry_run`/`limit_conn_dry_run`, 1.17.1+). The level is the admin's
 * (`limit_req_log_level`, default error), so any level is read. ngx_http_log_error() then adds
 * `, client: %V, server: %V, request: "%V", host: "%V"`; the stream module's `, client: ` or
 * `, udp client: ` and `, server: `:
 * `2026/12/07 12:00:00 [error] 812#812: *9 limiting requests, excess: 1.234 by zone "one", client:
 * 203.0.113.7, server: example.com, request: "GET / HTTP/1.1", host: "example.com"`.
 *
 * - normal: requests and connections refused (`limiting ...`).
 * - aggressive: also requests delayed within the burst (`delaying request`): a busy page loading
 *   many files at once causes them for an ordinary visitor.
 * Never counted: dry runs (nothing was refused; the admin is measuring).
 *
 * Only the zone name (the admin's) stands between the fixed wording and the address; client text
 * (request, Host, Referer) comes after it.
 */
import { counts, defineFilter, normaliseAddress } from '../failure.ts';
import { addressEnd, execAt } from './text.ts';

/** Optional date (syslog), the level, `pid#tid: `, the connection number, then the wording up to the address. */
const HEAD = /(?:\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )?\[(?:debug|info|notice|warn|error|crit|alert|emerg)\] \d+#\d+: (?:\*\d+ )?(limiting requests|delaying request|limiting connections)(, dry run)?(?:, excess: \d+\.\d{3},?)? by zone "[^"]*", (?:udp )?client: /y;

export default defineFilter({
  type: 'nginx-limit-req',
  summary: 'nginx: requests or connections refused by limit_req / limit_conn',
  programs: ['nginx'],
  modes: { aggressive: 'also requests only delayed within the burst ("delaying request"), which busy pages cause for ordinary visitors' },
  match(line, { at, mode }) {
    // Cheap test first: the level's `[`, or the date nginx keeps in a syslog message.
    if (line.charCodeAt(at) !== 91 && line.charCodeAt(at + 4) !== 47) return undefined;
    const head = execAt(HEAD, line, at);
    if (!head || head[2] !== undefined) return undefined;
    if (!counts(head[1] === 'delaying request' ? 'aggressive' : 'normal', mode)) return undefined;
    const a = at + head[0].length;
    const end = addressEnd(line, a);
    if (end < line.length && line.charCodeAt(end) !== 44) return undefined;
    const address = normaliseAddress(line.slice(a, end));
    return address ? { address } : undefined;
  },
});
