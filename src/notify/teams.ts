/**
 * teams: Microsoft Teams through a Workflows (Power Automate) "post to a channel when a webhook
 * request is received" URL. The payload is the documented message-with-attachments form carrying
 * an Adaptive Card, which those workflows accept (the older Office 365 connector MessageCard is
 * being retired). The URL is the credential, from a secret.
 */
import { chatWebhook, chatWebhookSchema } from './chat-webhook.ts';
import { defineNotifier, type NotificationMessage } from './types.ts';

export const schema = chatWebhookSchema('workflow webhook');

const color = { ok: 'good', warning: 'warning', critical: 'attention', unknown: 'default' } as const;

/** A one-card message: the subject as a bold heading coloured by severity, the text below. */
export function teamsPayload(m: NotificationMessage): string {
  return JSON.stringify({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: m.subject, weight: 'Bolder', size: 'Medium', wrap: true, color: color[m.severity] },
            { type: 'TextBlock', text: m.text, wrap: true },
          ],
        },
      },
    ],
  });
}

export default defineNotifier({
  type: 'teams',
  summary: 'post an Adaptive Card to a Microsoft Teams channel through a workflow webhook',
  schema,
  create(o, ctx) {
    return chatWebhook(o, ctx, teamsPayload);
  },
});
