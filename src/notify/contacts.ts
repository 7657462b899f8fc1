/**
 * Contacts (who is told, in which language, through which channels, about which targets) and
 * template overrides, as config. The channel union is assembled from the notifier registry, as
 * the checks' union is from the probes.
 */
import { z } from 'zod';
import { defaultTemplates, templateEvents, type Template, type TemplateEvent } from './templates/defaults.ts';
import type { Language } from './templates/plain.ts';
import { unknownFields, templateFields } from './templates/render.ts';
import { notifiers } from './index.ts';

const nameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'expected a name of letters, digits, "_", ".", ":" and "-"');

const channelEntries = Object.entries(notifiers) as [string, (typeof notifiers)[keyof typeof notifiers]][];
export const channelSchema = z.discriminatedUnion(
  'type',
  channelEntries.map(([type, n]) => (n.schema as z.ZodObject).safeExtend({ type: z.literal(type), name: nameSchema.optional().meta({ description: 'name of this channel in messages and logs (default: the type)' }) })) as unknown as [z.ZodObject, ...z.ZodObject[]],
);

const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone like "Asia/Tokyo" or "UTC"');

export const contactSchema = z.strictObject({
  name: nameSchema.meta({ description: 'unique name of the person or group' }),
  language: z.enum(['en', 'ja']).default('en').meta({ description: 'language of the messages' }),
  time_zone: timeZone.optional().meta({ description: 'time zone of the times in messages (default: Asia/Tokyo for ja, UTC for en)' }),
  targets: z.array(nameSchema).default([]).meta({ description: 'targets this contact cares about; with no targets and no tags, every target' }),
  tags: z.array(z.string()).default([]).meta({ description: 'targets with any of these tags' }),
  escalation_level: z.number().int().min(0).max(10).default(0).meta({ description: 'told once an incident reaches this escalation level (0: from the start)' }),
  channels: z.array(channelSchema).min(1, 'expected at least one channel'),
});

export type ContactConfig = z.output<typeof contactSchema>;
export type ChannelConfig = ContactConfig['channels'][number] & { type: string; name?: string };

const templateOverride = z.strictObject({
  subject: z.string().min(1).optional(),
  text: z.string().min(1).optional(),
});

/** `templates: { ja: { open: { subject, text } } }`: any part left out keeps the built-in one. */
export const templatesSchema = z
  .strictObject({
    en: z.strictObject(Object.fromEntries(templateEvents.map((e) => [e, templateOverride.optional()])) as Record<TemplateEvent, z.ZodOptional<typeof templateOverride>>).optional(),
    ja: z.strictObject(Object.fromEntries(templateEvents.map((e) => [e, templateOverride.optional()])) as Record<TemplateEvent, z.ZodOptional<typeof templateOverride>>).optional(),
  })
  .default({})
  .superRefine((t, ctx) => {
    for (const [lang, events] of Object.entries(t))
      for (const [event, tpl] of Object.entries(events ?? {}))
        for (const part of ['subject', 'text'] as const) {
          const text = tpl?.[part];
          if (text === undefined) continue;
          for (const bad of unknownFields(text))
            ctx.addIssue({ code: 'custom', path: [lang, event, part], message: `unknown template field "{{${bad}}}"; known fields: ${Object.keys(templateFields).join(', ')}` });
        }
  });

export type TemplatesConfig = z.output<typeof templatesSchema>;

/** The template in force for a language and event: the config's parts over the built-in ones. */
export function templateFor(config: TemplatesConfig, lang: Language, event: TemplateEvent): Template {
  const base = defaultTemplates[lang][event];
  const o = config[lang]?.[event];
  return { subject: o?.subject ?? base.subject, text: o?.text ?? base.text };
}

/** Whether a contact is told about a target at an escalation level. */
export function contactWants(c: Pick<ContactConfig, 'targets' | 'tags' | 'escalation_level'>, target: { name: string; tags: readonly string[] }, level: number): boolean {
  if (level < c.escalation_level) return false;
  if (c.targets.length === 0 && c.tags.length === 0) return true;
  return c.targets.includes(target.name) || c.tags.some((t) => target.tags.includes(t));
}

/** A contact that sees every target (an operator): told when another contact's channel fails. */
export function seesEverything(c: Pick<ContactConfig, 'targets' | 'tags'>): boolean {
  return c.targets.length === 0 && c.tags.length === 0;
}

export function contactTimeZone(c: Pick<ContactConfig, 'time_zone' | 'language'>): string {
  return c.time_zone ?? (c.language === 'ja' ? 'Asia/Tokyo' : 'UTC');
}

export function channelLabel(ch: { type: string; name?: string | undefined }): string {
  return ch.name ? `${ch.name} (${ch.type})` : ch.type;
}
