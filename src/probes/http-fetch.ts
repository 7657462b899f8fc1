/**
 * One HTTP request over one fresh connection, for the http probe: undici's Client with our own
 * connector (so we choose where to connect whatever the Host header says, and can read the peer
 * certificate) and a bare dispatch handler (no body stream, no promise per chunk: cheap in CPU).
 * Reads at most MAX_BODY_BYTES of the body, then drops the connection.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Client } from 'undici';

/** At most this much of a body is read: memory and time stay bounded on endless or huge pages. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HopRequest {
  /** Address or name to connect to (may differ from the Host header). */
  connectHost: string;
  port: number;
  tls: boolean;
  /** TLS server name (SNI); only for names, never for IP addresses. */
  servername?: string | undefined;
  /** Host header; undici's default (connectHost:port) when undefined. */
  hostHeader?: string | undefined;
  path: string;
  method: 'GET' | 'HEAD' | 'POST';
  /** Reject a certificate that does not verify (chain and name). */
  verify: boolean;
  /** Read the peer certificate's name and expiry. */
  wantCert: boolean;
  /** Keep the body's text (up to MAX_BODY_BYTES) for a regex. */
  keepBody: boolean;
  signal: AbortSignal;
}

export interface PeerCert {
  /** Subject CN, or the first subjectAltName when there is no CN. */
  name: string;
  validTo: Date;
}

export interface HopResponse {
  ok: true;
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
  error: unknown;
}

export type HopResult = HopResponse | HopFailure;

function noop(): void {}

function readCert(socket: tls.TLSSocket): PeerCert | undefined {
  const c = socket.getPeerCertificate();
  if (!c || !c.valid_to) return undefined;
  const cn = c.subject?.CN;
  const name = (Array.isArray(cn) ? cn[0] : cn) ?? c.subjectaltname?.split(',')[0]?.replace(/^\s*\w+:/, '') ?? 'unknown';
  return { name, validTo: new Date(c.valid_to) };
}

/** Fetches one URL over a new connection; never rejects, failures are values. */
export function fetchOnce(r: HopRequest): Promise<HopResult> {
  return new Promise<HopResult>((resolve) => {
    let finished = false;
    let connected = false;
    let cert: PeerCert | undefined;
    let status = 0;
    let statusText = '';
    let headerBytes = 0;
    let location: string | undefined;
    let contentLength: number | undefined;
    let bodyBytes = 0;
    let chunks: Buffer[] | undefined;
    let socket: net.Socket | undefined;

    const hostInUrl = net.isIPv6(r.connectHost) ? `[${r.connectHost}]` : r.connectHost;
    const client = new Client(`${r.tls ? 'https' : 'http'}://${hostInUrl}:${r.port}`, {
      pipelining: 1,
      // The runner's abort signal is the only timeout: no undici timers per check.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect(_opts, callback) {
        const s: net.Socket = r.tls
          ? tls.connect({ host: r.connectHost, port: r.port, rejectUnauthorized: r.verify, ...(r.servername ? { servername: r.servername } : {}) })
          : net.connect(r.port, r.connectHost);
        socket = s;
        const onError = (err: Error) => {
          s.destroy();
          callback(err, null);
        };
        s.once('error', onError);
        s.once(r.tls ? 'secureConnect' : 'connect', () => {
          s.removeListener('error', onError);
          connected = true;
          if (r.wantCert) cert = readCert(s as tls.TLSSocket);
          callback(null, s);
        });
      },
    });

    const finish = (result: HopResult) => {
      if (finished) return;
      finished = true;
      r.signal.removeEventListener('abort', onAbort);
      // Closing our own socket without an error is the cheap way out: undici's destroy() and its
      // "Connection: close" handling each make an Error whose stack Node's streams format.
      // A socket still connecting is not undici's yet: close it here or it lingers on SYN retries.
      socket?.destroy();
      if (!result.ok) client.destroy(noop);
      resolve(result);
    };
    const success = (truncated: boolean) =>
      finish({
        ok: true,
        status,
        statusText,
        location,
        headerBytes,
        bodyBytes,
        contentLength,
        truncated,
        body: chunks ? Buffer.concat(chunks).toString('utf8') : r.keepBody ? '' : undefined,
        cert,
      });
    const onAbort = () => finish({ ok: false, aborted: true, connected, gotHeaders: status !== 0, error: r.signal.reason });
    if (r.signal.aborted) return onAbort();
    r.signal.addEventListener('abort', onAbort, { once: true });

    client.dispatch(
      {
        path: r.path,
        method: r.method,
        // One request per connection, as check_http asks. undici's own close after it would make
        // an Error whose stack Node formats; finish() closes the socket first, so it skips that.
        reset: true,
        headers: r.hostHeader === undefined ? { 'user-agent': 'mamoru' } : { host: r.hostHeader, 'user-agent': 'mamoru' },
      },
      {
        onConnect() {},
        onHeaders(statusCode: number, raw: Buffer[], _resume: () => void, text: string) {
          status = statusCode;
          statusText = text;
          // "HTTP/1.1 200 OK\r\n" + "name: value\r\n" per header + "\r\n"
          headerBytes = 9 + String(statusCode).length + 1 + text.length + 2 + 2;
          for (let i = 0; i < raw.length; i += 2) {
            const name = raw[i]!;
            const value = raw[i + 1]!;
            headerBytes += name.length + value.length + 4;
            if (name.length === 8 && name.toString('latin1').toLowerCase() === 'location') location = value.toString('latin1');
            else if (name.length === 14 && name.toString('latin1').toLowerCase() === 'content-length') contentLength = Number(value.toString('latin1'));
          }
          return true;
        },
        onData(chunk: Buffer) {
          if (finished) return true;
          const room = MAX_BODY_BYTES - bodyBytes;
          const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
          bodyBytes += part.length;
          if (r.keepBody) (chunks ??= []).push(part);
          // Enough: success() closes the socket. Pausing undici's parser here instead trips
          // its internal asserts once the socket closes, so keep it running to the end of the chunk.
          if (bodyBytes >= MAX_BODY_BYTES) success(true);
          return true;
        },
        onComplete() {
          success(false);
        },
        onError(err: Error) {
          finish({ ok: false, aborted: false, connected, gotHeaders: status !== 0, error: err });
        },
        onUpgrade() {},
      },
    );
  });
}
