/**
 * http: fetch a page by IP (with a Host header) or by domain, over HTTP or HTTPS (check_http):
 * status, body regex, response time, certificate days left, redirect policy.
 *
 * The texts follow check_http 2.3.3 so operators read the same words: `HTTP OK: HTTP/1.1 200 OK -
 * 310 bytes in 0.001 second response time`, where the size counts status line, headers and body
 * as the plugin does. One fresh connection per request through node:http (src/probes/http-fetch.ts);
 * what a check's runs share is worked out once per check (planCheck).
 */
import net from 'node:net';
import { z } from 'zod';
import { NagiosState, stateName, worstState } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, regex, seconds } from '../core/schema.ts';
import { fetchOnce, planHop, type HopFailure, type HopPlan, type HopResponse, type PeerCert } from './http-fetch.ts';
import { describeConnectError, excerpt, timeoutSeconds } from './tcp-errors.ts';
import { defineProbe, type ProbeContext } from './types.ts';

export const schema = z.strictObject({
  port: port().optional().meta({ description: 'port (default 80, or 443 with tls)' }),
  tls: z.boolean().default(false).meta({ description: 'use HTTPS' }),
  path: z.string().startsWith('/', 'expected a path starting with "/"').default('/').meta({ description: 'URL path to fetch' }),
  host_header: z.string().optional().meta({ description: 'Host header and TLS server name (to check a site by IP)' }),
  method: z.enum(['GET', 'HEAD', 'POST']).default('GET'),
  expect_status: z.array(z.number().int().min(100).max(599)).optional().meta({ description: 'accepted status codes (default: 1xx-3xx OK, 4xx WARNING, 5xx CRITICAL)' }),
  body_regex: regex('regular expression the body must match').optional(),
  warning: seconds('response time above which the state is WARNING').optional(),
  critical: seconds('response time above which the state is CRITICAL').optional(),
  cert_warning_days: z.number().int().nonnegative().optional().meta({ description: 'WARNING when the TLS certificate expires in this many days or fewer (like check_http -C)' }),
  cert_critical_days: z.number().int().nonnegative().optional().meta({ description: 'CRITICAL when the TLS certificate expires in this many days or fewer; an expired one is always CRITICAL' }),
  redirects: z.enum(['ok', 'follow', 'warning', 'critical']).default('ok').meta({ description: 'what a 3xx means: OK, follow it, WARNING or CRITICAL' }),
  max_redirects: z.number().int().min(0).max(20).default(5),
  tls_verify: z.boolean().default(false).meta({ description: 'fail when the certificate chain or name does not verify' }),
});

type Options = z.output<typeof schema>;

const DAY_MS = 86_400_000;

// Regexes are compiled once per distinct pattern, not once per check.
const regexCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let re = regexCache.get(pattern);
  if (!re) regexCache.set(pattern, (re = new RegExp(pattern)));
  return re;
}

/** One request of a check: the planned exchange and the URL as a browser would show it. */
interface Hop {
  plan: HopPlan;
  /** For relative redirects and loop detection. */
  url: string;
}

function hostOnly(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.indexOf(':');
  return colon === -1 || hostHeader.indexOf(':', colon + 1) !== -1 ? hostHeader : hostHeader.slice(0, colon);
}

const sni = (name: string): string | undefined => (net.isIP(name) ? undefined : name);

const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

/** What a check needs on every run, worked out once: its first request, regex and thresholds. */
interface CheckPlan {
  address: string;
  first: Hop;
  regex: RegExp | undefined;
  warn: Range | undefined;
  crit: Range | undefined;
}

// Keyed by the parsed options object, which lives as long as its check: a check's runs share one
// plan (no URL parsing, header building or regex lookup per run), and a reload drops it.
const checkPlans = new WeakMap<Options, CheckPlan>();

function planCheck(address: string, o: Options): CheckPlan {
  let p = checkPlans.get(o);
  if (p && p.address === address) return p;
  const tls = o.tls;
  const port = o.port ?? (tls ? 443 : 80);
  const name = o.host_header !== undefined ? hostOnly(o.host_header) : address;
  const shown = net.isIPv6(name) ? `[${name}]` : name;
  const plan = planHop({
    connectHost: address,
    port,
    tls,
    servername: sni(name),
    hostHeader: o.host_header,
    path: o.path,
    method: o.method,
    verify: o.tls_verify,
    wantCert: tls && (o.cert_warning_days !== undefined || o.cert_critical_days !== undefined),
    keepBody: o.body_regex !== undefined && o.method !== 'HEAD',
  });
  const url = new URL(o.path, `${tls ? 'https' : 'http'}://${shown}:${port}`).href;
  p = { address, first: { plan, url }, regex: o.body_regex === undefined ? undefined : compiled(o.body_regex), warn: upTo(o.warning), crit: upTo(o.critical) };
  checkPlans.set(o, p);
  return p;
}

/**
 * The request a Location leads to. A redirect to the checked site's own name (or address) goes
 * back to the configured address, so a site checked by IP stays checked by IP.
 */
function nextHop(from: Hop, to: URL, address: string, o: Options, status: number): Hop {
  const tls = to.protocol === 'https:';
  const hostname = to.hostname.startsWith('[') ? to.hostname.slice(1, -1) : to.hostname;
  const own = hostname.toLowerCase() === address.toLowerCase() || (o.host_header !== undefined && hostname.toLowerCase() === hostOnly(o.host_header).toLowerCase());
  const prev = from.plan.request;
  // 307 and 308 keep the method; the others turn into GET (HEAD stays HEAD), as browsers do.
  const method = status === 307 || status === 308 || prev.method === 'HEAD' ? prev.method : 'GET';
  const plan = planHop({
    connectHost: own ? address : hostname,
    port: to.port ? Number(to.port) : tls ? 443 : 80,
    tls,
    servername: sni(hostname),
    hostHeader: to.host,
    path: to.pathname + to.search,
    method,
    verify: prev.verify,
    wantCert: false,
    keepBody: o.body_regex !== undefined && method !== 'HEAD',
  });
  return { plan, url: to.href };
}

function perfdata(seconds: number, size: number, p: CheckPlan, timeoutMs: number): PerfDatum[] {
  return [
    { label: 'time', value: Number(seconds.toFixed(6)), unit: 's', warn: p.warn, crit: p.crit, min: 0, max: timeoutMs / 1000 },
    { label: 'size', value: size, unit: 'B', min: 0 },
  ];
}

function formatDate(d: Date): string {
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

/** State and words for the certificate's days left (check_http -C: `<=` the limit alerts). */
function certVerdict(cert: PeerCert | undefined, o: Options): { state: NagiosState; text: string } | undefined {
  if (o.cert_warning_days === undefined && o.cert_critical_days === undefined) return undefined;
  if (!cert) return { state: NagiosState.UNKNOWN, text: 'no certificate to check (the connection is not TLS)' };
  const leftMs = cert.validTo.getTime() - Date.now();
  if (Number.isNaN(leftMs)) return { state: NagiosState.UNKNOWN, text: `certificate '${cert.name}' has an unreadable expiry date` };
  if (leftMs <= 0) return { state: NagiosState.CRITICAL, text: `certificate '${cert.name}' expired on ${formatDate(cert.validTo)}` };
  const days = Math.floor(leftMs / DAY_MS);
  const text = `certificate '${cert.name}' expires in ${days} day${days === 1 ? '' : 's'} (${formatDate(cert.validTo)})`;
  if (o.cert_critical_days !== undefined && days <= o.cert_critical_days) return { state: NagiosState.CRITICAL, text };
  if (o.cert_warning_days !== undefined && days <= o.cert_warning_days) return { state: NagiosState.WARNING, text };
  return { state: NagiosState.OK, text };
}

function statusState(status: number, o: Options): NagiosState {
  if (status < 100 || status > 599) return NagiosState.CRITICAL;
  if (status >= 500) return NagiosState.CRITICAL;
  if (status >= 400) return NagiosState.WARNING;
  if (status >= 300) return o.redirects === 'warning' ? NagiosState.WARNING : o.redirects === 'critical' ? NagiosState.CRITICAL : NagiosState.OK;
  return NagiosState.OK;
}

function judge(res: HopResponse, hop: Hop, cert: PeerCert | undefined, p: CheckPlan, o: Options, seconds: number, timeoutMs: number): ProbeOutcome {
  const statusLine = `HTTP/${res.httpVersion} ${res.status} ${res.statusText}`.trimEnd();
  const size = res.headerBytes + (res.truncated && res.contentLength !== undefined ? res.contentLength : res.bodyBytes);
  const perf = perfdata(seconds, size, p, timeoutMs);
  if (o.expect_status && !o.expect_status.includes(res.status)) {
    return outcome(NagiosState.CRITICAL, `HTTP CRITICAL - Invalid HTTP response received from host on port ${hop.plan.request.port}: ${statusLine} (expected ${o.expect_status.join(',')})`, perf);
  }
  let state = o.expect_status ? NagiosState.OK : statusState(res.status, o);
  let why = '';
  if (p.regex && !p.regex.test(res.body ?? '')) {
    state = worstState(state, NagiosState.CRITICAL);
    why = 'pattern not found - ';
  }
  if (o.critical !== undefined && seconds > o.critical) state = worstState(state, NagiosState.CRITICAL);
  else if (o.warning !== undefined && seconds > o.warning) state = worstState(state, NagiosState.WARNING);
  const certResult = certVerdict(cert, o);
  if (certResult) {
    state = worstState(state, certResult.state);
    why += `${certResult.text} - `;
  }
  return outcome(state, `HTTP ${stateName(state)}: ${statusLine} - ${why}${size} bytes in ${seconds.toFixed(3)} second response time`, perf);
}

function failed(res: HopFailure, hop: Hop, timeoutMs: number): ProbeOutcome {
  const crit = (text: string) => outcome(NagiosState.CRITICAL, `HTTP CRITICAL - ${text}`);
  if (res.aborted) return crit(`Socket timeout after ${timeoutSeconds(timeoutMs)} seconds`);
  const { connectHost: host, port } = hop.plan.request;
  const err = res.error as (Error & { code?: string }) | undefined;
  const code = err?.code ?? '';
  // llhttp at the end of the stream in the middle of a body: the connection was cut, not garbled.
  const cut = res.cutShort || (res.gotHeaders && code === 'HPE_INVALID_EOF_STATE');
  if (cut) return crit(`connection to ${host} port ${port} closed before the whole response was received: the server closed it`);
  // llhttp's message says why ("Parse Error: Expected HTTP/"), not what the server sent.
  // node:http refused to send it (a space in the path, a control character in a header).
  if (code === 'ERR_UNESCAPED_CHARACTERS' || code === 'ERR_INVALID_CHAR' || code === 'ERR_INVALID_HTTP_TOKEN') {
    return outcome(NagiosState.UNKNOWN, `HTTP UNKNOWN - cannot send this request: ${err!.message}`);
  }
  if (code.startsWith('HPE_')) return crit(`Invalid HTTP response received from host on port ${port}: ${excerpt(err!.message)}`);
  if (!res.connected) return crit(err ? describeConnectError(err, host, port) : `connect to address ${host} and port ${port}: the connection was closed`);
  if (!res.gotHeaders) {
    if (res.received) return crit(`Invalid HTTP response received from host on port ${port}: the connection closed in the middle of the status line or headers`);
    // node:http's "socket hang up": the server closed (or reset) the connection without a word.
    if (!err || code === 'ECONNRESET' || code === 'EPIPE') return crit('No data received from host');
    return crit(`${describeConnectError(err, host, port)} (before any response)`);
  }
  return crit(`connection to ${host} port ${port} closed before the whole response was received: ${err?.message ?? 'the server closed it'}`);
}

async function probeHttp(address: string, o: Options, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = performance.now();
  const p = planCheck(address, o);
  let hop = p.first;
  let cert: PeerCert | undefined;
  let visited: Set<string> | undefined;
  for (let hops = 0; ; hops++) {
    const res = await fetchOnce(hop.plan, ctx.signal);
    if (!res.ok) return failed(res, hop, ctx.timeoutMs);
    if (hops === 0) cert = res.cert;
    const follow = o.redirects === 'follow' && res.status >= 300 && res.status < 400 && !o.expect_status?.includes(res.status);
    if (!follow) return judge(res, hop, cert, p, o, (performance.now() - t0) / 1000, ctx.timeoutMs);
    if (!res.location) return outcome(NagiosState.UNKNOWN, `HTTP UNKNOWN - Could not find redirect location - ${hop.url}`);
    let to: URL;
    try {
      to = new URL(res.location, hop.url);
    } catch {
      return outcome(NagiosState.UNKNOWN, `HTTP UNKNOWN - Could not parse redirect location "${excerpt(res.location)}" - ${hop.url}`);
    }
    if (to.protocol !== 'http:' && to.protocol !== 'https:') return outcome(NagiosState.UNKNOWN, `HTTP UNKNOWN - Cannot follow a redirect to ${to.protocol} - ${to.href}`);
    (visited ??= new Set()).add(hop.url);
    if (visited.has(to.href)) return outcome(NagiosState.CRITICAL, `HTTP CRITICAL - redirection creates an infinite loop - ${to.href}`);
    if (hops >= o.max_redirects) return outcome(NagiosState.WARNING, `HTTP WARNING - maximum redirection depth ${o.max_redirects} exceeded - ${to.href}`);
    hop = nextHop(hop, to, address, o, res.status);
  }
}

export default defineProbe({
  type: 'http',
  summary: 'HTTP/HTTPS page by IP or domain: status, body, response time, certificate (like check_http)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', path: 'u', body_regex: 'r', tls: 'S' },
  run(target, options, ctx) {
    return probeHttp(target.address, options, ctx);
  },
});
