/**
 * Real peers for the notifier tests, on 127.0.0.1 only: an HTTP server that records every request
 * and answers as a test scripts it, and the common bits (a message, a secret lookup).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecretError, type SecretLookup } from '../../src/core/secrets.ts';
import { silentLogger } from '../../src/core/log.ts';
import type { NotificationMessage, NotifierContext } from '../../src/notify/types.ts';

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How to answer a request: status and body, a redirect, or `hang` (never answer). */
export type Reply = { status: number; body?: string; location?: string } | 'hang';

export interface RecordingServer {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

/** Starts a recording server; `reply` is called with each request (index from 0). */
export async function recordingServer(reply: (req: Recorded, index: number) => Reply = () => ({ status: 200, body: 'ok' })): Promise<RecordingServer> {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rec = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(rec);
      const r = reply(rec, requests.length - 1);
      if (r === 'hang') return;
      res.writeHead(r.status, r.location ? { location: r.location } : {});
      res.end(r.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function secrets(values: Record<string, string>): SecretLookup {
  return (name) => {
    const v = values[name];
    if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
    return v;
  };
}

export function context(values: Record<string, string> = {}): NotifierContext {
  return { secret: secrets(values), log: silentLogger };
}

export const message = (over: Partial<NotificationMessage> = {}): NotificationMessage => ({
  subject: '[CRITICAL] web1: HTTP is down',
  text: 'HTTP CRITICAL - Connection refused since 10:42.',
  language: 'en',
  incidentId: 'inc-42',
  event: 'open',
  severity: 'critical',
  ...over,
});

export const jaMessage = (): NotificationMessage =>
  message({
    subject: '【障害】web1 の HTTP 応答がありません',
    text: 'web1 (192.0.2.10) の HTTP が 10:42 から応答していません。\n現在、原因を調査しています。',
    language: 'ja',
  });

export const never = () => new AbortController().signal;
