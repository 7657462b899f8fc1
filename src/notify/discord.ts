/**
 * discord: a Discord channel webhook (https://discord.com/developers/docs/resources/webhook).
 * The URL is the credential (from a secret). Discord rejects `content` over 2000 characters, so a
 * long message is cut with a mark rather than split: one incident event is one message.
 */
import { chatWebhook, chatWebhookSchema } from './chat-webhook.ts';
import { discordText } from './escape.ts';
import { defineNotifier, type NotificationMessage } from './types.ts';

export const schema = chatWebhookSchema('webhook');

/** Discord's documented limit on `content`, in characters (code points). */
export const DISCORD_LIMIT = 2000;

/** The message flag that turns off link previews (the only flags a webhook may set besides silent). */
const SUPPRESS_EMBEDS = 1 << 2;

/** Cuts to `limit` code points with a mark, never leaving half of a backslash escape at the end. */
function cut(content: string, limit: number): string {
  const chars = Array.from(content);
  if (chars.length <= limit) return content;
  const kept = chars.slice(0, limit - 1);
  let slashes = 0;
  for (let i = kept.length - 1; i >= 0 && kept[i] === '\\'; i--) slashes++;
  // An odd run of backslashes ends in an escape whose character was cut off; it would escape the mark.
  if (slashes % 2 === 1) kept.pop();
  return kept.join('') + '…';
}

/**
 * `{ content }` of at most 2000 characters: the subject in bold (mamoru's markup), everything from
 * the message escaped as plain text (escape.ts). Mentions never ping and links get no preview card,
 * whatever the text says.
 */
export function discordPayload(m: NotificationMessage): string {
  const content = cut(`**${discordText(m.subject)}**\n${discordText(m.text)}`, DISCORD_LIMIT);
  return JSON.stringify({ content, allowed_mentions: { parse: [] }, flags: SUPPRESS_EMBEDS });
}

export default defineNotifier({
  type: 'discord',
  summary: 'post to a Discord channel through a webhook',
  schema,
  create(o, ctx) {
    return chatWebhook(o, ctx, discordPayload);
  },
});
