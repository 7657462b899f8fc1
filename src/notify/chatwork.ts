/**
 * chatwork: a message to a ChatWork room through API v2
 * (`POST {api_url}/rooms/{room_id}/messages`, token in `X-ChatWorkToken`, form body `body=...`),
 * the chat many Japanese clients use. `api_url` is configurable for a proxy and for tests.
 */
import { z } from 'zod';
import { chatworkText } from './escape.ts';
import { post } from './http-post.ts';
import { attemptTimeout, httpUrl, secretName } from './options.ts';
import { defineNotifier, failed, type NotificationMessage } from './types.ts';

export const schema = z.strictObject({
  room_id: z
    .union([z.number().int().positive(), z.string().regex(/^\d+$/, 'expected a room id (digits)')], { error: 'expected a room id (digits)' })
    .transform(String)
    .meta({ description: 'the room id (the digits after "rid" in the room URL)' }),
  token_secret: secretName('secret holding the API token'),
  api_url: httpUrl('API base URL').default('https://api.chatwork.com/v2'),
  timeout: attemptTimeout(),
});

/**
 * The message in ChatWork notation: an [info] box titled with the subject. The box is mamoru's;
 * the subject and text inside it are plain text, their brackets made inert (escape.ts), so no
 * alert can write [toall], [To:…] or close the box.
 */
export function chatworkBody(m: NotificationMessage): string {
  return new URLSearchParams({ body: `[info][title]${chatworkText(m.subject)}[/title]${chatworkText(m.text)}[/info]` }).toString();
}

export default defineNotifier({
  type: 'chatwork',
  summary: 'post to a ChatWork room through the ChatWork API',
  schema,
  create(o, ctx) {
    const url = new URL(`${o.api_url.replace(/\/+$/, '')}/rooms/${o.room_id}/messages`);
    return {
      async send(message, signal) {
        let token: string;
        try {
          token = ctx.secret(o.token_secret);
        } catch (e) {
          return failed(e);
        }
        const headers = { 'content-type': 'application/x-www-form-urlencoded', 'x-chatworktoken': token };
        return post(url, { headers, body: chatworkBody(message), timeoutMs: o.timeout, maxRedirects: 0, signal });
      },
    };
  },
});
