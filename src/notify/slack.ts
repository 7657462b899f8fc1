/**
 * slack: a Slack incoming webhook (https://api.slack.com/messaging/webhooks). The webhook URL is
 * the credential, so it comes from a secret and only its host is ever logged.
 *
 * The message goes in Block Kit `plain_text` objects: Slack shows them as written, with no
 * mrkdwn, mention or link parsing, so nothing an alert says can ping a channel or hide a link.
 * The top-level `text` (what a phone notification shows) is mrkdwn, so it is escaped.
 */
import { chatWebhook, chatWebhookSchema } from './chat-webhook.ts';
import { slackText } from './escape.ts';
import { defineNotifier, type NotificationMessage } from './types.ts';

export const schema = chatWebhookSchema('incoming-webhook');

// Slack's documented limits: a header's text, a section's text, blocks in one message.
const HEADER_LIMIT = 150;
const SECTION_LIMIT = 3000;
const MAX_BLOCKS = 50;

/** The longest prefix of at most `max` UTF-16 units that does not split a surrogate pair. */
function prefix(s: string, max: number): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/** At most `max` units, cut with a mark. */
const fit = (s: string, max: number) => (s.length <= max ? s : prefix(s, max - 1) + '…');

/** The text in pieces of at most `max` units, split at line ends where it can be; blank pieces dropped. */
export function slackChunks(text: string, max = SECTION_LIMIT): string[] {
  const out: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const next = current === '' ? line : `${current}\n${line}`;
    if (next.length <= max) {
      current = next;
      continue;
    }
    if (current !== '') out.push(current);
    let rest = line;
    while (rest.length > max) {
      const piece = prefix(rest, max);
      out.push(piece);
      rest = rest.slice(piece.length);
    }
    current = rest;
  }
  out.push(current);
  return out.filter((c) => c.trim() !== '');
}

const plain = (text: string) => ({ type: 'plain_text', text, emoji: false });

/** `{ text, blocks }`: the subject as the header, the text below it, both shown exactly as written. */
export function slackPayload(m: NotificationMessage): string {
  const sections = slackChunks(m.text).map((c) => ({ type: 'section', text: plain(c) }));
  if (sections.length > MAX_BLOCKS - 1) sections.splice(MAX_BLOCKS - 2, Infinity, { type: 'section', text: plain('…') });
  return JSON.stringify({
    text: slackText(m.subject),
    blocks: [{ type: 'header', text: plain(fit(m.subject.trim() || '-', HEADER_LIMIT)) }, ...sections],
  });
}

export default defineNotifier({
  type: 'slack',
  summary: 'post to a Slack channel through an incoming webhook',
  schema,
  create(o, ctx) {
    return chatWebhook(o, ctx, slackPayload);
  },
});
