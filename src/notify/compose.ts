/**
 * Writes one message for one contact about one incident event: the template of the contact's
 * language filled with what broke (plugin words and plain words), since when, what mamoru found
 * and did (sections.ts: one vocabulary with a clear tense, every line in the contact's language),
 * what is needed, and for a recovery how long it lasted.
 */
import type { IncidentMember, IncidentRecord } from '../core/incident.ts';
import { saidFrom, type Said } from '../core/said.ts';
import { contactTimeZone, templateFor, type ContactConfig, type TemplatesConfig } from './contacts.ts';
import type { TemplateEvent } from './templates/defaults.ts';
import { agentCause } from './templates/cause.ts';
import { headlineMember, localTime, plainSentence, spokenDuration, type Language } from './templates/plain.ts';
import { render, type TemplateValues } from './templates/render.ts';
import { composeAttack } from './templates/attack.ts';
import { changeLines, gather, lineOf, sections, technicalNote, type DetailRecord } from './templates/sections.ts';
import type { NotificationEvent, NotificationMessage, NotificationSeverity } from './types.ts';

/** The event a channel sees (webhook receivers get this word). */
const channelEvent: Record<TemplateEvent, NotificationEvent> = { open: 'open', update: 'update', recovered: 'recovered', reminder: 'reminder', escalation: 'update', acknowledged: 'update', test: 'test', channel_failed: 'update' };

export type { DetailRecord } from './templates/sections.ts';

/**
 * What other rooms wrote into the timeline, as they wrote it (evidence, verdicts, actions with
 * their status, what the client should do, a runbook's escalation), in timeline order: compose
 * words them in the contact's language.
 */
export interface IncidentDetails {
  records: DetailRecord[];
}

/**
 * One line of an update's "what changed": a sentence in both languages, a timeline record (worded
 * with its tense, see sections.ts), or an operator's line from a room that has no sentences yet
 * (shown to English readers, counted for others).
 */
export type Change = string | Said | DetailRecord;

export interface ComposeInput {
  /**
   * The contacts hear of this incident for the first time (a recovery that came before its problem
   * was told): the words say "stopped working and works again", never a bare "works again".
   */
  firstNews?: boolean | undefined;
  event: TemplateEvent;
  incident: IncidentRecord | null;
  address?: string | undefined;
  changes?: readonly Change[];
  level?: number;
  by?: string | undefined;
  comment?: string | undefined;
  channel?: string | undefined;
  error?: string | undefined;
  details?: IncidentDetails | undefined;
  now: number;
}

/** Changes told only in the monitoring's words, for a reader of another language. */
const stateChanges: Record<Language, (n: number) => string> = {
  en: (n) => `${n} monitoring ${n === 1 ? 'result changed' : 'results changed'} (see below).`,
  ja: (n) => `監視の記録が ${n} 件更新されました（内容は下記「発生している問題」「監視の記録（技術情報）」および運用担当者のタイムラインのとおりです）。`,
};

/** "What changed", each line in the contact's language and its tense. */
function changesText(changes: readonly Change[], lang: Language, tz: string): string {
  const out: string[] = [];
  const records: DetailRecord[] = [];
  let left = 0;
  // Other rooms' own lines (a check's new state, in the plugin's words): the message's plain part tells them.
  let states = 0;
  for (const c of changes) {
    if (typeof c === 'string') {
      const line = lineOf({ text: c }, lang, tz);
      if (line === undefined) states++;
      else out.push(`- ${line}`);
    } else if ('kind' in c) {
      if (c.kind === 'evidence' || c.kind === 'action' || c.kind === 'escalated') records.push(c);
      else {
        // Another room's record (a ban): its own sentence, or its operator line.
        const line = lineOf({ say: saidFrom(c.data?.say), text: c.text, data: c.data }, lang, tz);
        if (line === undefined) left++;
        else out.push(`- ${line}`);
      }
    } else {
      const said = saidFrom(c);
      if (said) out.push(`- ${lineOf(said, lang, tz)!}`);
    }
  }
  if (records.length) out.push(...changeLines(gather(records), lang, tz));
  if (states) out.push(`- ${stateChanges[lang](states)}`);
  if (left) out.push(technicalNote(left, lang, out.length === 0));
  return out.join('\n');
}

const severityOf = (inc: IncidentRecord | null, event: TemplateEvent): NotificationSeverity =>
  event === 'recovered' || event === 'test' || !inc ? 'ok' : inc.severity === 'down' ? 'critical' : inc.severity;


function memberLine(m: IncidentMember): string {
  const what = m.kind === 'service' || m.kind === 'twin' ? `${m.label} ${m.state}` : m.kind === 'host' ? `host ${m.state}` : `${m.label} UNREACHABLE`;
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
  // Readings lost with the SNMP agent are not the news: the agent is, even when it is back already.
  const agent = inc.members.find(agentCause.agent);
  const onlyLost = live.length > 0 && live.every(agentCause.unreadable);
  const first = headlineMember(recovered || live.length === 0 ? inc.members : onlyLost && agent ? [agent] : live, recovered);
  const end = inc.resolvedAt ?? input.now;
  const report = gather(input.details?.records ?? []);
  // A recovery has nothing left to ask for; what mamoru found (then) and did is still told.
  const told = sections(report, lang, tz, recovered);
  return {
    ...values,
    incident: `#${inc.id}`,
    target: inc.target,
    address: input.address ?? '-',
    // The first message of a problem mamoru fixed before it went out says so: "stopped working and works again".
    headline: first ? plainSentence(recovered ? { ...first, recoveredAt: first.recoveredAt ?? end } : first, inc.target, lang, input.event === 'open' || input.firstNews === true).replace(/[.。]$/, '') : inc.title,
    plain: shown.map((m) => plainSentence(recovered ? { ...m, recoveredAt: m.recoveredAt ?? end } : m, inc.target, lang, input.event === 'open' || input.firstNews === true)).join('\n'),
    problems: shown.map(memberLine).join('\n'),
    changes: changesText(input.changes ?? [], lang, tz) || '-',
    since: localTime(inc.openedAt, tz),
    recovered_at: inc.resolvedAt === null ? '-' : localTime(inc.resolvedAt, tz),
    duration: spokenDuration(end - inc.openedAt, lang),
    report: told.report,
    // Single sections for templates that lay them out themselves ("-" when empty, never filler).
    findings: told.found || '-',
    actions: told.actions || '-',
    done: told.done || '-',
    in_progress: told.started || '-',
    awaiting_approval: told.pending || '-',
    would_do: told.dryRun || '-',
    could_not: told.couldNot || '-',
    needed: told.needed || '-',
  };
}

export function compose(contact: Pick<ContactConfig, 'name' | 'language' | 'time_zone'>, templates: TemplatesConfig, input: ComposeInput): NotificationMessage {
  // An attack the guard blocked has its own message (templates/attack.ts).
  if (input.incident?.kind === 'attack' && (input.event === 'open' || input.event === 'update')) return composeAttack(contact, { ...input, incident: input.incident });
  const tpl = templateFor(templates, contact.language, input.event);
  const values = templateValues(contact, input);
  return {
    // A subject is one line, whatever a field brought in.
    subject: render(tpl.subject, values).replace(/\s*\n\s*/g, ' ').slice(0, 250),
    // A section with nothing in it is left out, with the blank lines around it.
    text: render(tpl.text, values).replace(/\n{3,}/g, '\n\n').trimEnd(),
    language: contact.language,
    incidentId: input.incident ? String(input.incident.id) : 'test',
    event: channelEvent[input.event],
    severity: severityOf(input.incident, input.event),
  };
}
