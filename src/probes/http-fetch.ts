/**
 * One HTTP request over one fresh connection, for the http probe, through Node's own `node:http`
 * client (its llhttp parser, strict mode, bounded headers): no Agent, our own connection (so we
 * choose where to connect whatever the Host header says, and can read the peer certificate).
 * Reads at most MAX_BODY_BYTES of the body, then drops the connection.
 *
 * It runs thousands of times a second, so the request is planned once per hop (HopPlan: header
 * lines, TLS options) and the per-request state lives in one Exchange object that module-level
 * listeners reach through the emitter, rather than in a fresh set of closures per request.
 */
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';

/** At most this much of a body is read: memory and time stay bounded on endless or huge pages. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Header block limit (status line + headers): generous for cookies and CSP, still bounded. */
export const MAX_HEADER_BYTES = 64 * 1024;

export interface HopRequest {
  /** Address or name to connect to (may differ from the Host header). */
  connectHost: string;
  port: number;
  tls: boolean;
  /** TLS server name (SNI); only for names, never for IP addresses. */
  servername?: string | undefined;
  /** Host header; `connectHost[:port]` (port left out when it is the scheme's default) when undefined. */
  hostHeader?: string | undefined;
  path: string;
  method: 'GET' | 'HEAD' | 'POST';
  /** Reject a certificate that does not verify (chain and name). */
  verify: boolean;
  /** Read the peer certificate's name and expiry. */
  wantCert: boolean;
  /** Keep the body's text (up to MAX_BODY_BYTES) for a regex. */
  keepBody: boolean;
}

/** A HopRequest turned into what node:http needs; immutable, so it can be reused by every check. */
export interface HopPlan {
  readonly request: Readonly<HopRequest>;
  /** Options for http.request: method, path, header lines, our connection factory. */
  readonly httpOptions: http.RequestOptions;
  /** Options for tls.connect, when the hop is HTTPS. */
  readonly tlsOptions: tls.ConnectionOptions | undefined;
}

export interface PeerCert {
  /** Subject CN, or the first subjectAltName when there is no CN. */
  name: string;
  validTo: Date;
}

export interface HopResponse {
  ok: true;
  /** As the server wrote it: "1.1" or "1.0". */
  httpVersion: string;
  status: number;
  statusText: string;
  location: string | undefined;
  /** Status line and header bytes, as check_http counts them into the page size. */
  headerBytes: number;
  /** Body bytes read (at most MAX_BODY_BYTES). */
  bodyBytes: number;
  /** Content-Length when the server sent one. */
  contentLength: number | undefined;
  /** True when the body was cut at MAX_BODY_BYTES. */
  truncated: boolean;
  body: string | undefined;
  cert: PeerCert | undefined;
}

export interface HopFailure {
  ok: false;
  /** The signal aborted (the check's timeout). */
  aborted: boolean;
  /** The TCP (and TLS) connection was up when it failed. */
  connected: boolean;
  /** A status line and headers had arrived. */
  gotHeaders: boolean;
  /** Some of a response had arrived (a status line or headers cut short, say). */
  received: boolean;
  /** The connection closed in the middle of the body without an error of its own. */
  cutShort: boolean;
  error: unknown;
}

export type HopResult = HopResponse | HopFailure;

const kPlan = Symbol('mamoru.httpPlan');
const kExchange = Symbol('mamoru.httpExchange');

type WithPlan = { [kPlan]: HopPlan };
type WithExchange = { [kExchange]: Exchange };
/** A client response: node:http links it to its request (not in the typings). */
type ClientResponse = http.IncomingMessage & { req: http.ClientRequest & WithExchange };

const hostPart = (host: string): string => (net.isIPv6(host) ? `[${host}]` : host);

/** Plans a request once: header lines in node:http's raw array form skip its per-header bookkeeping. */
export function planHop(r: HopRequest): HopPlan {
  const defaultPort = r.tls ? 443 : 80;
  const host = r.hostHeader ?? (r.port === defaultPort ? hostPart(r.connectHost) : `${hostPart(r.connectHost)}:${r.port}`);
  // One request per connection, as check_http does. The raw array form sends exactly these lines,
  // so "Connection: close" (and a length for an empty POST) must be spelled out.
  const headers = ['Host', host, 'User-Agent', 'mamoru', 'Connection', 'close'];
  if (r.method === 'POST') headers.push('Content-Length', '0');
  const httpOptions: http.RequestOptions & WithPlan = {
    method: r.method,
    path: r.path,
    headers: headers as unknown as http.OutgoingHttpHeaders,
    createConnection,
    maxHeaderSize: MAX_HEADER_BYTES,
    insecureHTTPParser: false,
    [kPlan]: undefined as unknown as HopPlan,
  };
  const tlsOptions: tls.ConnectionOptions | undefined = r.tls
    ? { host: r.connectHost, port: r.port, rejectUnauthorized: r.verify, ...(r.servername ? { servername: r.servername } : {}) }
    : undefined;
  const plan: HopPlan = { request: { ...r }, httpOptions, tlsOptions };
  httpOptions[kPlan] = plan;
  return plan;
}

// http.request calls createConnection synchronously from its constructor; this hands the socket
// back to fetchOnce without a closure per request.
let lastSocket: net.Socket | undefined;

/** node:http's connection factory: ours, so the address is the plan's whatever the Host header says. */
function createConnection(opts: http.ClientRequestArgs): net.Socket {
  const plan = (opts as unknown as WithPlan)[kPlan];
  const socket = plan.tlsOptions ? tls.connect(plan.tlsOptions) : net.connect(plan.request.port, plan.request.connectHost);
  lastSocket = socket;
  return socket;
}

function readCert(socket: tls.TLSSocket): PeerCert | undefined {
  const c = socket.getPeerCertificate();
  if (!c || !c.valid_to) return undefined;
  const cn = c.subject?.CN;
  const name = (Array.isArray(cn) ? cn[0] : cn) ?? c.subjectaltname?.split(',')[0]?.replace(/^\s*\w+:/, '') ?? 'unknown';
  return { name, validTo: new Date(c.valid_to) };
}

const ONCE = { once: true } as const;

function noop(): void {}

/** The state of one request; also the abort listener (handleEvent), so no closure is needed. */
class Exchange {
  finished = false;
  connected = false;
  /** socket.bytesRead once connected: a TLS handshake's bytes are not a response. */
  readAtConnect = 0;
  cert: PeerCert | undefined = undefined;
  res: http.IncomingMessage | undefined = undefined;
  headerBytes = 0;
  location: string | undefined = undefined;
  contentLength: number | undefined = undefined;
  bodyBytes = 0;
  chunks: Buffer[] | undefined = undefined;

  constructor(
    readonly plan: HopPlan,
    readonly signal: AbortSignal,
    readonly socket: net.Socket | undefined,
    readonly req: http.ClientRequest,
    readonly resolve: (r: HopResult) => void,
  ) {}

  /** The check's timeout (or shutdown). */
  handleEvent(): void {
    this.fail(this.signal.reason, true, false);
  }

  succeed(truncated: boolean): void {
    const res = this.res!;
    const keepBody = this.plan.request.keepBody;
    this.finish({
      ok: true,
      httpVersion: res.httpVersion,
      status: res.statusCode ?? 0,
      statusText: res.statusMessage ?? '',
      location: this.location,
      headerBytes: this.headerBytes,
      bodyBytes: this.bodyBytes,
      contentLength: this.contentLength,
      truncated,
      body: this.chunks ? Buffer.concat(this.chunks).toString('utf8') : keepBody ? '' : undefined,
      cert: this.cert,
    });
  }

  fail(error: unknown, aborted: boolean, cutShort: boolean): void {
    const received = this.connected && this.socket !== undefined && this.socket.bytesRead > this.readAtConnect;
    this.finish({ ok: false, aborted, connected: this.connected, gotHeaders: this.res !== undefined, received, cutShort, error });
    // node:http's own teardown; its "socket hang up" error that may follow lands in onRequestError.
    this.req.destroy();
  }

  finish(result: HopResult): void {
    if (this.finished) return;
    this.finished = true;
    this.signal.removeEventListener('abort', this);
    // Closing the socket without an error makes no Error object; it also ends a connect still in
    // progress, which would otherwise linger on SYN retries.
    this.socket?.destroy();
    this.resolve(result);
  }
}

function onConnected(this: net.Socket & WithExchange): void {
  const x = this[kExchange];
  x.connected = true;
  x.readAtConnect = this.bytesRead;
  if (x.plan.request.wantCert) x.cert = readCert(this as unknown as tls.TLSSocket);
}

function onResponse(this: http.ClientRequest & WithExchange, res: http.IncomingMessage): void {
  const x = this[kExchange];
  if (x.finished) return void res.resume();
  takeHeaders(x, res);
  res.on('data', onData);
  // Ahead of node:http's own 'end' listener, which would half-close the socket (a shutdown call)
  // just before finish() closes it anyway.
  res.prependListener('end', onEnd);
}

/** 101 Switching Protocols: node:http hands the connection over; the status line is the answer. */
function onUpgrade(this: http.ClientRequest & WithExchange, res: http.IncomingMessage): void {
  const x = this[kExchange];
  if (x.finished) return;
  takeHeaders(x, res);
  x.succeed(false);
}

function takeHeaders(x: Exchange, res: http.IncomingMessage): void {
  x.res = res;
  // "HTTP/1.1 200 OK\r\n" + "name: value\r\n" per header + "\r\n". llhttp hands header text over
  // as latin1, so string lengths are byte counts.
  const raw = res.rawHeaders;
  let bytes = 9 + String(res.statusCode).length + 1 + (res.statusMessage?.length ?? 0) + 2 + 2;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    bytes += name.length + value.length + 4;
    if (name.length === 8 && name.toLowerCase() === 'location') x.location = value;
    else if (name.length === 14 && name.toLowerCase() === 'content-length') x.contentLength = Number(value);
  }
  x.headerBytes = bytes;
}

function onData(this: ClientResponse, chunk: Buffer): void {
  const x = this.req[kExchange];
  if (x.finished) return;
  const room = MAX_BODY_BYTES - x.bodyBytes;
  const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
  x.bodyBytes += part.length;
  if (x.plan.request.keepBody) (x.chunks ??= []).push(part);
  if (x.bodyBytes >= MAX_BODY_BYTES) x.succeed(true);
}

function onEnd(this: ClientResponse): void {
  this.req[kExchange].succeed(false);
}

function onRequestError(this: http.ClientRequest & WithExchange, err: Error): void {
  const x = this[kExchange];
  if (!x.finished) x.fail(err, false, false);
}

/**
 * The last word: node:http closes the request on every path. A response that is complete ends
 * through onEnd (its 'end' may still be queued); anything else was cut short.
 */
function onRequestClose(this: http.ClientRequest & WithExchange): void {
  const x = this[kExchange];
  if (x.finished || x.res?.complete) return;
  x.fail(undefined, false, x.res !== undefined);
}

/** Fetches one planned request over a new connection; never rejects, failures are values. */
export function fetchOnce(plan: HopPlan, signal: AbortSignal): Promise<HopResult> {
  return new Promise<HopResult>((resolve) => {
    if (signal.aborted) return resolve({ ok: false, aborted: true, connected: false, gotHeaders: false, received: false, cutShort: false, error: signal.reason });
    let req: http.ClientRequest;
    try {
      req = http.request(plan.httpOptions);
    } catch (err) {
      // A path or header node:http refuses outright (say, a space in a configured path) lands here.
      lastSocket?.destroy();
      lastSocket = undefined;
      return resolve({ ok: false, aborted: false, connected: false, gotHeaders: false, received: false, cutShort: false, error: err });
    }
    // Undefined when net/tls refused the options outright; node:http then reports it as an error.
    const socket = lastSocket;
    lastSocket = undefined;
    const x = new Exchange(plan, signal, socket, req, resolve);
    (req as http.ClientRequest & WithExchange)[kExchange] = x;
    if (socket) {
      (socket as net.Socket & WithExchange)[kExchange] = x;
      // node:http attaches its own socket listeners a tick later; this one guards that gap and the
      // time after it lets go, so no socket error can ever go uncaught.
      socket.on('error', noop);
      // Fires at most once; on() spares once()'s wrapper.
      socket.on(plan.tlsOptions ? 'secureConnect' : 'connect', onConnected);
    }
    req.on('response', onResponse);
    req.on('upgrade', onUpgrade);
    req.on('error', onRequestError);
    req.on('close', onRequestClose);
    signal.addEventListener('abort', x, ONCE);
    req.end();
  });
}
