/**
 * slack: a Slack incoming webhook (https://api.slack.com/messaging/webhooks). The webhook URL is
 * the credential, so it comes from a secret and only its host is ever logged.
 */
import { chatWebhook, chatWebhookSchema } from './chat-webhook.ts';
import { defineNotifier, type NotificationMessage } from './types.ts';

export const schema = chatWebhookSchema('incoming-webhook');

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
    return chatWebhook(o, ctx, slackPayload);
  },
});
