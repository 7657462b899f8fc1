/**
 * Writes one message for one contact about one incident event: the template of the contact's
 * language filled with what broke (plugin words and plain words), since when, what mamoru found
 * and did, what is needed, and for a recovery how long it lasted.
 */
import type { IncidentMember, IncidentRecord } from '../core/incident.ts';
import { contactTimeZone, templateFor, type ContactConfig, type TemplatesConfig } from './contacts.ts';
import type { TemplateEvent } from './templates/defaults.ts';
import { headlineMember, localTime, plainSentence, spokenDuration, type Language } from './templates/plain.ts';
import { render, type TemplateValues } from './templates/render.ts';
import type { NotificationEvent, NotificationMessage, NotificationSeverity } from './types.ts';

/** The event a channel sees (webhook receivers get this word). */
const channelEvent: Record<TemplateEvent, NotificationEvent> = { open: 'open', update: 'update', recovered: 'recovered', reminder: 'reminder', escalation: 'update', acknowledged: 'update', test: 'test', channel_failed: 'update' };

/** What other rooms wrote into the timeline: evidence, actions, and what the client should do. */
export interface IncidentDetails {
  findings: string[];
  actions: string[];
  needed?: string | undefined;
}

export interface ComposeInput {
  event: TemplateEvent;
  incident: IncidentRecord | null;
  address?: string | undefined;
  changes?: string[];
  level?: number;
  by?: string | undefined;
  comment?: string | undefined;
  channel?: string | undefined;
  error?: string | undefined;
  details?: IncidentDetails | undefined;
  now: number;
}

const none: Record<Language, { findings: string; actions: string; needed: string }> = {
  en: { findings: 'Nothing beyond the checks above yet.', actions: 'Nothing yet: we are watching.', needed: 'Nothing for now. We will write again when it changes.' },
  ja: { findings: '現時点では上記の監視結果以外の情報はありません。', actions: '現在状況を確認しております。', needed: '現時点でお客様にお願いすることはございません。状況が変わり次第ご連絡いたします。' },
};

const severityOf = (inc: IncidentRecord | null, event: TemplateEvent): NotificationSeverity =>
  event === 'recovered' || event === 'test' || !inc ? 'ok' : inc.severity === 'down' ? 'critical' : inc.severity;

const lines = (items: string[], empty: string) => (items.length ? items.map((l) => `- ${l}`).join('\n') : empty);

function memberLine(m: IncidentMember): string {
  const what = m.kind === 'service' ? `${m.label} ${m.state}` : m.kind === 'host' ? `host ${m.state}` : `${m.label} UNREACHABLE`;
  return `${what}: ${m.text || '-'}`;
}

export function templateValues(contact: Pick<ContactConfig, 'name' | 'language' | 'time_zone'>, input: ComposeInput): TemplateValues {
  const lang = contact.language;
  const tz = contactTimeZone(contact);
  const inc = input.incident;
  const values: TemplateValues = { contact: contact.name, channel: input.channel, error: input.error, by: input.by, comment: input.comment, level: String(input.level ?? 0) };
  if (!inc) return values;
  const recovered = input.event === 'recovered';
  // A recovery message speaks of what recovered; others of what is still wrong (and what came back).
  const shown = recovered ? inc.members : inc.members.filter((m) => m.recoveredAt === undefined).concat(inc.members.filter((m) => m.recoveredAt !== undefined));
  const live = inc.members.filter((m) => m.recoveredAt === undefined);
  const first = headlineMember(recovered || live.length === 0 ? inc.members : live, recovered);
  const d = input.details;
  const end = inc.resolvedAt ?? input.now;
  return {
    ...values,
    incident: `#${inc.id}`,
    target: inc.target,
    address: input.address ?? '-',
    // The first message of a problem mamoru fixed before it went out says so: "stopped working and works again".
    headline: first ? plainSentence(recovered ? { ...first, recoveredAt: first.recoveredAt ?? end } : first, inc.target, lang, input.event === 'open').replace(/[.。]$/, '') : inc.title,
    plain: shown.map((m) => plainSentence(recovered ? { ...m, recoveredAt: m.recoveredAt ?? end } : m, inc.target, lang, input.event === 'open')).join('\n'),
    problems: shown.map(memberLine).join('\n'),
    changes: lines(input.changes ?? [], '-'),
    since: localTime(inc.openedAt, tz),
    recovered_at: inc.resolvedAt === null ? '-' : localTime(inc.resolvedAt, tz),
    duration: spokenDuration(end - inc.openedAt, lang),
    findings: d?.findings.length ? lines(d.findings, '') : none[lang].findings,
    actions: d?.actions.length ? lines(d.actions, '') : none[lang].actions,
    needed: d?.needed ?? none[lang].needed,
  };
}

export function compose(contact: Pick<ContactConfig, 'name' | 'language' | 'time_zone'>, templates: TemplatesConfig, input: ComposeInput): NotificationMessage {
  const tpl = templateFor(templates, contact.language, input.event);
  const values = templateValues(contact, input);
  return {
    // A subject is one line, whatever a field brought in.
    subject: render(tpl.subject, values).replace(/\s*\n\s*/g, ' ').slice(0, 250),
    text: render(tpl.text, values),
    language: contact.language,
    incidentId: input.incident ? String(input.incident.id) : 'test',
    event: channelEvent[input.event],
    severity: severityOf(input.incident, input.event),
  };
}
