/**
 * webhook: a generic JSON POST for the operator's own tools. The body is signed so a receiver can
 * tell mamoru from anyone who learns the URL: `X-Mamoru-Signature: sha256=<hex>` is the
 * HMAC-SHA256, keyed with the `signing_secret`, of `<timestamp>.<body>` where `<timestamp>` is the
 * `X-Mamoru-Timestamp` header (Unix seconds) — signing the time too stops a replay of an old body.
 *
 * `idempotency_key` (32 hex characters) is the same on every attempt and every repeat of one
 * message to this channel, a repeat after mamoru restarted included (notify/outbox.ts): mamoru
 * may send a message again when it was killed after the receiver got it but before it could note
 * the delivery, so a receiver that must act once should drop a key it has already seen. The
 * timestamp, `sent_at` and the signature change between repeats; the key does not.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { hostOnly, post } from './http-post.ts';
import { attemptTimeout, httpUrl, maxRedirects, secretName } from './options.ts';
import { defineNotifier, failed, type NotificationMessage } from './types.ts';

export const schema = z.strictObject({
  url: httpUrl('where to POST the JSON'),
  signing_secret: secretName('secret that keys the HMAC-SHA256 signature of each request').optional(),
  timeout: attemptTimeout(),
  max_redirects: maxRedirects(),
});

/** The JSON a webhook receives: the message's fields in snake_case, its idempotency key, and when it was sent. */
export function webhookBody(m: NotificationMessage, sentAt: Date): string {
  return JSON.stringify({
    incident_id: m.incidentId,
    event: m.event,
    severity: m.severity,
    language: m.language,
    subject: m.subject,
    text: m.text,
    ...(m.html !== undefined ? { html: m.html } : {}),
    ...(m.idempotencyKey !== undefined ? { idempotency_key: m.idempotencyKey } : {}),
    sent_at: sentAt.toISOString(),
  });
}

/** `sha256=<hex>` over `<timestamp>.<body>`; receivers recompute it with the shared secret. */
export function signature(secret: string, timestamp: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export default defineNotifier({
  type: 'webhook',
  summary: 'POST the message as JSON to a URL, HMAC-SHA256 signed',
  schema,
  create(o, ctx) {
    const url = new URL(o.url);
    // A URL with user:password in it keeps them out of the logs.
    const describe = url.username || url.password ? hostOnly : (u: URL) => u.href;
    return {
      async send(message, signal) {
        let key: string | undefined;
        try {
          key = o.signing_secret === undefined ? undefined : ctx.secret(o.signing_secret);
        } catch (e) {
          return failed(e);
        }
        const now = new Date();
        const body = webhookBody(message, now);
        const timestamp = String(Math.floor(now.getTime() / 1000));
        const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'x-mamoru-timestamp': timestamp };
        if (key !== undefined) headers['x-mamoru-signature'] = signature(key, timestamp, body);
        return post(url, { headers, body, timeoutMs: o.timeout, maxRedirects: o.max_redirects, signal }, describe);
      },
    };
  },
});
