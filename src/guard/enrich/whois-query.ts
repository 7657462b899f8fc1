/**
 * One whois query over TCP port 43 (RFC 3912): connect, send the query and CRLF, read until the
 * server closes. Bounded on every side, since the peer is a stranger's server as soon as a
 * referral is followed: a connect timeout, a deadline for the whole lookup, and a cap on the bytes
 * kept (the rest is not read). node:net only, no whois binary and no shell.
 */
import net from 'node:net';

export class WhoisError extends Error {
  constructor(
    readonly kind: 'timeout' | 'connect' | 'network',
    message: string,
  ) {
    super(message);
    this.name = 'WhoisError';
  }
}

export interface QueryTarget {
  host: string;
  port: number;
}

export interface QueryOptions {
  connectTimeoutMs: number;
  /** Absolute time (ms since the epoch) when the whole lookup must be over. */
  deadline: number;
  maxBytes: number;
  signal?: AbortSignal | undefined;
}

export interface QueryAnswer {
  text: string;
  /** True when the answer was longer than `maxBytes` and was cut there. */
  truncated: boolean;
}

/** Whois answers are mostly UTF-8 now; older registries still send Latin-1. */
function decode(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

export function whoisQuery(target: QueryTarget, query: string, o: QueryOptions): Promise<QueryAnswer> {
  const where = `${target.host}:${target.port}`;
  return new Promise<QueryAnswer>((resolve, reject) => {
    const remaining = o.deadline - Date.now();
    if (remaining <= 0 || o.signal?.aborted) return reject(new WhoisError('timeout', `whois ${where}: no time left for the query`));
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let connected = false;
    let settled = false;
    const socket = net.connect({ host: target.host, port: target.port });
    const finish = (err?: WhoisError) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      o.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err) reject(err);
      else resolve({ text: decode(Buffer.concat(chunks, size)), truncated });
    };
    const onAbort = () => finish(new WhoisError('timeout', `whois ${where}: lookup cancelled`));
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const connectTimer = setTimeout(
      () => finish(new WhoisError('timeout', `whois ${where}: no connection within ${Math.round(Math.min(o.connectTimeoutMs, remaining))} ms`)),
      Math.min(o.connectTimeoutMs, remaining),
    );
    const totalTimer = setTimeout(() => finish(new WhoisError('timeout', `whois ${where}: no complete answer in time`)), remaining);
    socket.once('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      socket.write(`${query}\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      const room = o.maxBytes - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = chunk.length > room;
        if (truncated) return finish();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    socket.once('end', () => finish());
    socket.once('close', () => finish());
    socket.once('error', (e: NodeJS.ErrnoException) =>
      finish(new WhoisError(connected ? 'network' : 'connect', `whois ${where}: ${e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'unknown host' : e.message}`)),
    );
  });
}
