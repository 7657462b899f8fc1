/**
 * teams: Microsoft Teams through a Workflows (Power Automate) "post to a channel when a webhook
 * request is received" URL. The payload is the documented message-with-attachments form carrying
 * an Adaptive Card, which those workflows accept (the older Office 365 connector MessageCard is
 * being retired). The URL is the credential, from a secret.
 *
 * All text goes in RichTextBlock TextRuns, which Adaptive Cards never read as markdown (a
 * TextBlock would turn `[click](http://evil)` into a link and `**x**` into bold); the subject's
 * weight, size and colour are properties of its run, so mamoru's own formatting stays. A card
 * shows no mention unless the payload declares it in `msteams.entities`, which this one never does.
 */
import { chatWebhook, chatWebhookSchema } from './chat-webhook.ts';
import { defineNotifier, type NotificationMessage } from './types.ts';

export const schema = chatWebhookSchema('workflow webhook');

const color = { ok: 'good', warning: 'warning', critical: 'attention', unknown: 'default' } as const;

/**
 * One block per line: a TextRun keeps a newline as text on some Teams clients, separate blocks
 * break everywhere. A blank line becomes space above the next line (and the first line has it).
 */
function lines(text: string): object[] {
  const out: object[] = [];
  let gap = true;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      gap = true;
      continue;
    }
    out.push({ type: 'RichTextBlock', spacing: gap ? 'Medium' : 'None', inlines: [{ type: 'TextRun', text: line }] });
    gap = false;
  }
  return out;
}

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
          body: [{ type: 'RichTextBlock', inlines: [{ type: 'TextRun', text: m.subject, weight: 'Bolder', size: 'Medium', color: color[m.severity] }] }, ...lines(m.text)],
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
