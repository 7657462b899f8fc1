/**
 * http: fetch a page by IP (with a Host header) or by domain, over HTTP or HTTPS (check_http):
 * status, body regex, response time, certificate days left, redirect policy.
 *
 * The texts follow check_http 2.3.3 so operators read the same words: `HTTP OK: HTTP/1.1 200 OK -
 * 310 bytes in 0.001 second response time`, where the size counts status line, headers and body
 * as the plugin does. One fresh connection per request (src/probes/http-fetch.ts).
 */
import net from 'node:net';
import { z } from 'zod';
import { NagiosState, stateName, worstState } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, regex, seconds } from '../core/schema.ts';
import { fetchOnce, type HopFailure, type HopResponse, type PeerCert } from './http-fetch.ts';
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

/** Where one request goes: which address to connect to and what the server is told. */
interface Hop {
  connectHost: string;
  port: number;
  tls: boolean;
  servername: string | undefined;
  hostHeader: string | undefined;
  path: string;
  method: Options['method'];
  /** The URL as a browser would show it: for relative redirects and loop detection. */
  url: string;
}

function hostOnly(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(1, hostHeader.indexOf(']'));
  const colon = hostHeader.indexOf(':');
  return colon === -1 || hostHeader.indexOf(':', colon + 1) !== -1 ? hostHeader : hostHeader.slice(0, colon);
}

const sni = (name: string): string | undefined => (net.isIP(name) ? undefined : name);

function firstHop(address: string, o: Options): Hop {
  const tls = o.tls;
  const port = o.port ?? (tls ? 443 : 80);
  const name = o.host_header !== undefined ? hostOnly(o.host_header) : address;
  const shown = net.isIPv6(name) ? `[${name}]` : name;
  return { connectHost: address, port, tls, servername: sni(name), hostHeader: o.host_header, path: o.path, method: o.method, url: new URL(o.path, `${tls ? 'https' : 'http'}://${shown}:${port}`).href };
}

/**
 * The request a Location leads to. A redirect to the checked site's own name (or address) goes
 * back to the configured address, so a site checked by IP stays checked by IP.
 */
function nextHop(from: Hop, to: URL, address: string, o: Options, status: number): Hop {
  const tls = to.protocol === 'https:';
  const hostname = to.hostname.startsWith('[') ? to.hostname.slice(1, -1) : to.hostname;
  const own = hostname.toLowerCase() === address.toLowerCase() || (o.host_header !== undefined && hostname.toLowerCase() === hostOnly(o.host_header).toLowerCase());
  return {
    connectHost: own ? address : hostname,
    port: to.port ? Number(to.port) : tls ? 443 : 80,
    tls,
    servername: sni(hostname),
    hostHeader: to.host,
    path: to.pathname + to.search,
    // 307 and 308 keep the method; the others turn into GET (HEAD stays HEAD), as browsers do.
    method: status === 307 || status === 308 || from.method === 'HEAD' ? from.method : 'GET',
    url: to.href,
  };
}

const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

function perfdata(seconds: number, size: number | undefined, o: Options, timeoutMs: number): PerfDatum[] {
  const time: PerfDatum = { label: 'time', value: Number(seconds.toFixed(6)), unit: 's', warn: upTo(o.warning), crit: upTo(o.critical), min: 0, max: timeoutMs / 1000 };
  return size === undefined ? [time] : [time, { label: 'size', value: size, unit: 'B', min: 0 }];
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

function judge(res: HopResponse, hop: Hop, cert: PeerCert | undefined, o: Options, seconds: number, timeoutMs: number): ProbeOutcome {
  const statusLine = `HTTP/1.1 ${res.status} ${res.statusText}`.trimEnd();
  const size = res.headerBytes + (res.truncated && res.contentLength !== undefined ? res.contentLength : res.bodyBytes);
  const perf = perfdata(seconds, size, o, timeoutMs);
  if (o.expect_status && !o.expect_status.includes(res.status)) {
    return outcome(NagiosState.CRITICAL, `HTTP CRITICAL - Invalid HTTP response received from host on port ${hop.port}: ${statusLine} (expected ${o.expect_status.join(',')})`, perf);
  }
  const states: NagiosState[] = [o.expect_status ? NagiosState.OK : statusState(res.status, o)];
  const reasons: string[] = [];
  if (o.body_regex !== undefined && !compiled(o.body_regex).test(res.body ?? '')) {
    states.push(NagiosState.CRITICAL);
    reasons.push('pattern not found');
  }
  if (o.critical !== undefined && seconds > o.critical) states.push(NagiosState.CRITICAL);
  else if (o.warning !== undefined && seconds > o.warning) states.push(NagiosState.WARNING);
  const certResult = certVerdict(cert, o);
  if (certResult) {
    states.push(certResult.state);
    reasons.push(certResult.text);
  }
  const state = worstState(...states);
  const why = reasons.length > 0 ? `${reasons.join(' - ')} - ` : '';
  return outcome(state, `HTTP ${stateName(state)}: ${statusLine} - ${why}${size} bytes in ${seconds.toFixed(3)} second response time`, perf);
}

function failed(res: HopFailure, hop: Hop, timeoutMs: number): ProbeOutcome {
  const crit = (text: string) => outcome(NagiosState.CRITICAL, `HTTP CRITICAL - ${text}`);
  if (res.aborted) return crit(`Socket timeout after ${timeoutSeconds(timeoutMs)} seconds`);
  const err = res.error as (Error & { code?: string; data?: string }) | undefined;
  // undici's parser error keeps only the bytes after where it stopped, so say why, not what.
  if (err?.name === 'HTTPParserError' || err?.code?.startsWith('HPE_')) return crit(`Invalid HTTP response received from host on port ${hop.port}: ${excerpt(err.message)}`);
  if (!res.connected) return crit(describeConnectError(err, hop.connectHost, hop.port));
  if (!res.gotHeaders) {
    if (err?.code === 'UND_ERR_SOCKET') return crit('No data received from host');
    return crit(`${describeConnectError(err, hop.connectHost, hop.port)} (before any response)`);
  }
  return crit(`connection to ${hop.connectHost} port ${hop.port} closed before the whole response was received: ${err?.message ?? String(err)}`);
}

async function probeHttp(address: string, o: Options, ctx: ProbeContext): Promise<ProbeOutcome> {
  const t0 = performance.now();
  let hop = firstHop(address, o);
  const wantCert = o.tls && (o.cert_warning_days !== undefined || o.cert_critical_days !== undefined);
  let cert: PeerCert | undefined;
  let visited: Set<string> | undefined;
  for (let hops = 0; ; hops++) {
    const res = await fetchOnce({ ...hop, verify: o.tls_verify, wantCert: wantCert && hops === 0, keepBody: o.body_regex !== undefined && o.method !== 'HEAD', signal: ctx.signal });
    if (!res.ok) return failed(res, hop, ctx.timeoutMs);
    if (hops === 0) cert = res.cert;
    const follow = o.redirects === 'follow' && res.status >= 300 && res.status < 400 && !o.expect_status?.includes(res.status);
    if (!follow) return judge(res, hop, cert, o, (performance.now() - t0) / 1000, ctx.timeoutMs);
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
