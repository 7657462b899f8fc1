/**
 * One HTTP POST for the webhook-style channels, over node:http/https so that redirects, timeouts
 * and the answer are ours to judge: a redirect is followed only to the same origin (the URL or a
 * header may be the credential) and only a few times, a loop ends, and every failure becomes a
 * receipt with the reason instead of an exception.
 */
import http from 'node:http';
import https from 'node:https';
import type { DeliveryReceipt } from './types.ts';

export interface PostOptions {
  headers: Record<string, string>;
  body: string | Buffer;
  timeoutMs: number;
  maxRedirects: number;
  signal: AbortSignal;
}

interface Answer {
  status: number;
  location: string | undefined;
  body: string;
}

// Enough of an error body to say why; the rest is drained and dropped.
const BODY_LIMIT = 4096;

function once(url: URL, o: PostOptions, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : http;
    const body = typeof o.body === 'string' ? Buffer.from(o.body) : o.body;
    const req = lib.request(url, {
      method: 'POST',
      headers: { ...o.headers, 'content-length': String(body.length), 'user-agent': 'mamoru' },
      signal,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < BODY_LIMIT) chunks.push(c);
        size += c.length;
      });
      res.on('error', reject);
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          location: typeof res.headers.location === 'string' ? res.headers.location : undefined,
          body: Buffer.concat(chunks).toString('utf8').slice(0, BODY_LIMIT),
        }),
      );
    });
    req.end(body);
  });
}

const excerpt = (s: string) => {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? t.slice(0, 200) + '…' : t;
};

/**
 * Posts `body` to `url`; 2xx is delivered. 5xx, 408, 429, timeouts and connection errors are
 * retryable failures; other 4xx are not (the request itself is wrong). `describe` names the URL
 * in texts (a channel whose URL is a secret passes its host only).
 */
export async function post(url: URL, o: PostOptions, describe: (u: URL) => string = (u) => u.href): Promise<DeliveryReceipt> {
  const timeout = AbortSignal.timeout(o.timeoutMs);
  const signal = AbortSignal.any([o.signal, timeout]);
  const seen = new Set<string>([url.href]);
  let current = url;
  for (let hop = 0; ; hop++) {
    let a: Answer;
    try {
      a = await once(current, o, signal);
    } catch (e) {
      if (timeout.aborted) return { ok: false, retryable: true, error: `no answer from ${describe(current)} within ${o.timeoutMs} ms` };
      if (o.signal.aborted) return { ok: false, retryable: false, error: 'cancelled (mamoru is stopping)' };
      const err = e as NodeJS.ErrnoException;
      return { ok: false, retryable: true, error: `cannot post to ${describe(current)}: ${err.code ?? err.message}` };
    }
    if (a.status >= 200 && a.status < 300) return { ok: true, status: a.status, detail: a.body ? excerpt(a.body) : undefined };
    if (a.status >= 300 && a.status < 400 && a.location !== undefined) {
      let next: URL;
      try {
        next = new URL(a.location, current);
      } catch {
        return { ok: false, status: a.status, retryable: false, error: `${describe(current)} redirected to an invalid location` };
      }
      if (next.origin !== current.origin)
        return { ok: false, status: a.status, retryable: false, error: `${describe(current)} redirected to another site (${next.origin}); not followed, update the URL` };
      if (seen.has(next.href)) return { ok: false, status: a.status, retryable: false, error: `redirect loop at ${describe(next)}` };
      if (hop >= o.maxRedirects) return { ok: false, status: a.status, retryable: false, error: `more than ${o.maxRedirects} redirects from ${describe(url)}` };
      seen.add(next.href);
      current = next;
      continue;
    }
    const retryable = a.status >= 500 || a.status === 408 || a.status === 429 || a.status < 200;
    const why = a.body ? `: ${excerpt(a.body)}` : '';
    return { ok: false, status: a.status, retryable, error: `${describe(current)} answered HTTP ${a.status}${why}` };
  }
}

/** For channels whose URL is the credential: the host is safe to log, the path is not. */
export const hostOnly = (u: URL) => `${u.protocol}//${u.host}/…`;
