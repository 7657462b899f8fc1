/**
 * Plain words for what broke, for people who do not read plugin output: one sentence per incident
 * member, problem or recovery, in the contact's language. What the member is about and what is the
 * matter is cause.ts; the sentences of both languages are words.ts.
 */
import type { IncidentMember } from '../../core/incident.ts';
import { matterOf, readingOf, subjectOf } from './cause.ts';
import { words, type Language } from './words.ts';

export type { Language } from './words.ts';

/** The service a member stands for, in the client's words. */
export function serviceWords(m: Pick<IncidentMember, 'probe' | 'kind' | 'label'>, lang: Language): string {
  return words[lang].subject(subjectOf(m));
}

/**
 * One sentence about one member, as it is now (problem or recovered). `firstNews`: the message is
 * the incident's first (or an update), so a member already recovered was fixed meanwhile: said as
 * "stopped working and works again", never as a bare recovery under a problem's subject.
 */
export function plainSentence(m: IncidentMember, target: string, lang: Language, firstNews = false): string {
  const w = words[lang];
  if (m.kind === 'folded-host') return m.recoveredAt !== undefined ? w.behindBack(m.label) : w.behind(m.label);
  if (m.kind === 'folded-target') return m.recoveredAt !== undefined ? w.behindBack(m.label) : w.behindServer(m.label, target);
  if (m.kind === 'twin') return m.recoveredAt !== undefined ? w.twinBack(m.label, m.probe) : w.twin(m.label, m.probe);
  if (m.kind === 'host') return m.recoveredAt !== undefined ? (firstNews ? w.hostBackMeanwhile(target) : w.hostBack(target)) : w.hostDown(target);
  const subject = subjectOf(m);
  // A member closed with its incident still holds its problem's words: no reading to quote then.
  const reading = m.state === 'OK' ? readingOf(subject, m.text) : undefined;
  if (m.recoveredAt !== undefined) return firstNews ? w.fixedMeanwhile(subject, target, reading) : w.recovered(subject, target, reading);
  return w.problem(subject, matterOf(m, subject), target);
}

/**
 * The member the headline speaks of: the host itself first, then what is broken over what only
 * cannot be read (a dead SNMP agent, not the disk check it silenced), the earliest among equals.
 * Recovery headlines rank by the check alone, so they name what the problem headline named.
 */
export function headlineMember(members: readonly IncidentMember[], recovered: boolean): IncidentMember | undefined {
  const rank = (m: IncidentMember) => {
    if (m.kind === 'host') return 0;
    // A target behind, or a twin, is said beside its cause, never in its place.
    if (m.kind === 'folded-target' || m.kind === 'twin') return 9;
    const subject = subjectOf(m);
    const base = subject.kind === 'snmp-agent' ? 1 : 2;
    if (recovered || m.kind !== 'service') return base;
    return matterOf(m, subject).kind === 'unreadable' ? base + 2 : base;
  };
  let best: IncidentMember | undefined;
  let bestRank = Infinity;
  for (const m of members) {
    const r = rank(m);
    if (r < bestRank) [best, bestRank] = [m, r];
  }
  return best;
}

/** `4 min 12 s` / `4分12秒`. */
export function spokenDuration(ms: number, lang: Language): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const parts: string[] = [];
  if (lang === 'ja') {
    if (d) parts.push(`${d}日`);
    if (h) parts.push(`${h}時間`);
    if (m) parts.push(`${m}分`);
    if (sec || parts.length === 0) parts.push(`${sec}秒`);
    return parts.join('');
  }
  if (d) parts.push(`${d} d`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (sec || parts.length === 0) parts.push(`${sec} s`);
  return parts.join(' ');
}

/** A local time for people: `2026-11-26 14:05:09 JST`-like, in the contact's zone. */
export function localTime(ms: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }).formatToParts(new Date(ms));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  // Intl spells Japan's zone "GMT+9"; people there write JST.
  const zone = timeZone === 'Asia/Tokyo' ? 'JST' : get('timeZoneName');
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${zone}`;
}
