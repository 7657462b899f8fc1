/**
 * discord: a Discord channel webhook (https://discord.com/developers/docs/resources/webhook).
 * The URL is the credential (from a secret). Discord rejects `content` over 2000 characters, so a
 * long message is cut with a mark rather than split: one incident event is one message.
 */
import { chatWebhook, chatWebhookSchema } from './chat-webhook.ts';
import { defineNotifier, type NotificationMessage } from './types.ts';

export const schema = chatWebhookSchema('webhook');

/** Discord's documented limit on `content`, in characters (code points). */
export const DISCORD_LIMIT = 2000;

/** `{ content }` of at most 2000 characters; mentions in the text never ping anyone. */
export function discordPayload(m: NotificationMessage): string {
  let content = `**${m.subject}**\n${m.text}`;
  const chars = Array.from(content);
  if (chars.length > DISCORD_LIMIT) content = chars.slice(0, DISCORD_LIMIT - 1).join('') + '…';
  // A host name or log line that says "@everyone" must not page a whole server.
  return JSON.stringify({ content, allowed_mentions: { parse: [] } });
}

export default defineNotifier({
  type: 'discord',
  summary: 'post to a Discord channel through a webhook',
  schema,
  create(o, ctx) {
    return chatWebhook(o, ctx, discordPayload);
  },
});
