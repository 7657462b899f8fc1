/**
 * slack: a Slack incoming webhook (https://api.slack.com/messaging/webhooks). The webhook URL is
 * the credential, so it comes from a secret and only its host is ever logged.
 */
import { z } from 'zod';
import { hostOnly, post } from './http-post.ts';
import { attemptTimeout, secretName, urlFromSecret } from './options.ts';
import { defineNotifier, failed, type NotificationMessage } from './types.ts';

export const schema = z.strictObject({
  url_secret: secretName('secret holding the incoming-webhook URL'),
  timeout: attemptTimeout(),
});

// Slack's mrkdwn treats these three as control characters (its documented escaping).
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** `{ text }`: the subject in bold, then the plain text. */
export function slackPayload(m: NotificationMessage): string {
  return JSON.stringify({ text: `*${escape(m.subject)}*\n${escape(m.text)}` });
}

export default defineNotifier({
  type: 'slack',
  summary: 'post to a Slack channel through an incoming webhook',
  schema,
  create(o, ctx) {
    return {
      async send(message, signal) {
        let url: URL;
        try {
          url = urlFromSecret(ctx.secret(o.url_secret), o.url_secret);
        } catch (e) {
          return failed(e);
        }
        const headers = { 'content-type': 'application/json; charset=utf-8' };
        return post(url, { headers, body: slackPayload(message), timeoutMs: o.timeout, maxRedirects: 0, signal }, hostOnly);
      },
    };
  },
});
