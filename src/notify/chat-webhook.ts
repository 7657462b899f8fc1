/**
 * What the chat channels whose credential is the webhook URL itself share (Slack, Discord,
 * Teams): the options (the URL comes from a secret, never the config text), and the send that
 * posts a channel's JSON payload without following redirects and names only the host in errors.
 */
import { z } from 'zod';
import { hostOnly, post } from './http-post.ts';
import { attemptTimeout, secretName, urlFromSecret } from './options.ts';
import { failed, type NotificationMessage, type Notifier, type NotifierContext } from './types.ts';

/** The options of a URL-as-credential channel; `what` names the kind of URL in the help text. */
export function chatWebhookSchema(what: string) {
  return z.strictObject({
    url_secret: secretName(`secret holding the ${what} URL`),
    timeout: attemptTimeout(),
  });
}

export function chatWebhook(o: { url_secret: string; timeout: number }, ctx: NotifierContext, payload: (m: NotificationMessage) => string): Notifier {
  return {
    async send(message, signal) {
      let url: URL;
      try {
        url = urlFromSecret(ctx.secret(o.url_secret), o.url_secret);
      } catch (e) {
        return failed(e);
      }
      const headers = { 'content-type': 'application/json; charset=utf-8' };
      return post(url, { headers, body: payload(message), timeoutMs: o.timeout, maxRedirects: 0, signal }, hostOnly);
    },
  };
}
