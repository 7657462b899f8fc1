/**
 * What mamoru found and did, told in one vocabulary with a clear tense: found (the verdict, then
 * the findings), done (each action with its result), in progress, waiting for approval, would do
 * (dry run), could not do, and what is needed (from the client, or from a person when mamoru could
 * not finish). The sections are read from the incident's timeline records as the runbooks and
 * actions wrote them, and every line is the record's `Said` in the reader's language:
 *
 * - an action's line is its status record (`data.type`, `data.status`, `data.say`); the records
 *   between its start and its end (commands run, what was seen) are its steps;
 * - the verdict is the evidence record with `data.runbook`; needed-from-client is `data.needed`
 *   with `data.neededSay`; a runbook's escalation is the `escalated` record it wrote;
 * - a record with no `say` (older data, another room) is shown by its operator text in English;
 *   in Japanese it is never pasted: the section ends with one line counting such records.
 *
 * Times are worded here, in the reader's zone: a sentence names an instant of its record's data
 * as `{until}` (or `{{until}}`), and a UTC ISO instant that slipped into a sentence is reworded too.
 */
import type { IncidentEventKind } from '../../core/incident.ts';
import { saidFrom, type Language, type Said } from '../../core/said.ts';
import { localTime } from './plain.ts';

/** One timeline record as compose needs it (an `IncidentEvent` without its ids). */
export interface DetailRecord {
  kind: IncidentEventKind;
  /** The operator's line (English). */
  text: string;
  data?: Record<string, unknown> | undefined;
  at?: number | undefined;
}

export const actionStatuses = ['started', 'done', 'no-op', 'failed', 'escalate', 'dry-run', 'pending', 'refused'] as const;
export type ActionLineStatus = (typeof actionStatuses)[number];

/** A line to tell: its sentences when the record has them, else the operator's text. */
export interface Told {
  say?: Said | undefined;
  text: string;
  data?: Record<string, unknown> | undefined;
}

export interface ActionLine extends Told {
  type: string;
  status: ActionLineStatus;
  /** What happened on the way (commands, observations), in order. */
  steps: Told[];
}

/** The sections, gathered from the records, before they are worded. */
export interface Report {
  /** Verdicts first, then findings. */
  found: Told[];
  actions: ActionLine[];
  /** What only the client can do. */
  needed: Told[];
  /** Why a person must take over (a runbook's escalation). */
  person: Told[];
  /** An action ended without success, or a runbook escalated: a person must act. */
  personNeeded: boolean;
  /** Steps of no action with a status (older timelines): told in no tense. */
  loose: Told[];
}

const statusSet = new Set<string>(actionStatuses);
const OPEN = new Set<ActionLineStatus>(['started', 'pending']);
const UNFINISHED = new Set<ActionLineStatus>(['failed', 'escalate', 'refused']);

const told = (r: DetailRecord, sayKey = 'say'): Told => ({ say: saidFrom(r.data?.[sayKey]), text: r.text, data: r.data });

/** Reads the records (in timeline order) into sections. */
export function gather(records: readonly DetailRecord[]): Report {
  const verdicts: Told[] = [];
  const findings: Told[] = [];
  const actions: ActionLine[] = [];
  const needed: Told[] = [];
  const person: Told[] = [];
  let buffer: Told[] = [];
  // The action under way: what is recorded meanwhile is its steps.
  let open: ActionLine | undefined;
  // An action asked for whose status records have not begun (older timelines have only this).
  let requested = false;
  // After a verdict, what an action saw (its own looks carry no `what`: a runbook's findings name theirs).
  let verdictSeen = false;
  for (const r of records) {
    const d = r.data ?? {};
    if (r.kind === 'evidence') {
      const actionLook = verdictSeen && d.what === undefined && d.kind === undefined && d.source === undefined && d.address === undefined;
      if (d.needed !== undefined || d.neededSay !== undefined) needed.push(told(r, d.neededSay !== undefined ? 'neededSay' : 'say'));
      // A note that nothing will be done is for the operator's config, not for the client.
      else if (d.unremediated !== undefined) continue;
      else if (d.runbook !== undefined && d.source === undefined) {
        verdicts.push(told(r));
        verdictSeen = true;
        // The look is over: "looking into the cause" is no longer under way.
        const looking = actions.findIndex((a) => a.type === 'investigate' && a.status === 'started');
        if (looking !== -1) {
          if (open === actions[looking]) open = undefined;
          actions.splice(looking, 1);
        }
      } else if (open) open.steps.push(told(r));
      else if (requested || actionLook) buffer.push(told(r));
      else findings.push(told(r));
    } else if (r.kind === 'action') {
      // An approval given means the action is under way (its own outcome record follows).
      const status = d.status === 'approved' ? 'started' : typeof d.status === 'string' && statusSet.has(d.status) ? (d.status as ActionLineStatus) : undefined;
      const type = typeof d.type === 'string' ? d.type : undefined;
      if (status) {
        const key = type ?? '?';
        let line = [...actions].reverse().find((a) => a.type === key && OPEN.has(a.status));
        if (!line) {
          line = { type: key, status, text: r.text, steps: [] };
          actions.push(line);
        }
        Object.assign(line, told(r), { status });
        line.steps.push(...buffer);
        buffer = [];
        requested = false;
        // Who approved stays with the action once it has its outcome.
        if (d.status === 'approved') line.steps.push(told(r));
        // The runbook's look has no steps of its own: what it finds is the findings.
        if (status === 'started' && key !== 'investigate') open = line;
        else if (open === line) open = undefined;
      } else if (type && d.status === undefined) {
        // The request itself ("proposed: ..."): its outcome has its own record; "proposed" never reaches a message.
        requested = true;
      } else if (open) open.steps.push(told(r));
      else buffer.push(told(r));
    } else if (r.kind === 'escalated' && d.level === undefined) {
      // "needs a person" from a runbook (an escalation level is the template's own news).
      person.push(told(r));
    }
  }
  const seen = new Set<string>();
  const unique = (t: Told) => {
    const k = t.say ? `${t.say.en}\n${t.say.ja}` : t.text;
    return seen.has(k) ? false : (seen.add(k), true);
  };
  const lastNeeded = needed.length ? [needed[needed.length - 1]!] : [];
  // The same outcome told twice (two checks of one service each started it) is one line.
  const told2 = new Map<string, ActionLine>();
  const merged = actions.filter((a) => {
    const k = `${a.type} ${a.status} ${a.say ? `${a.say.en}\n${a.say.ja}` : a.text}`;
    const first = told2.get(k);
    if (!first) return (told2.set(k, a), true);
    first.steps.push(...a.steps);
    return false;
  });
  return {
    found: [...verdicts, ...findings].filter(unique),
    actions: merged,
    needed: lastNeeded,
    person: person.filter(unique),
    // An action that declined in favour of another (`data.instead`: the raise with a restart) hands over, not to a person.
    personNeeded: person.length > 0 || merged.some((a) => UNFINISHED.has(a.status) && a.data?.instead === undefined),
    loose: buffer,
  };
}

const ISO = /\b(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})(?!\w)/g;
const SLOT = /\{\{?\s*([A-Za-z_]\w*)\s*\}?\}/g;

/** A sentence with its instants in the reader's zone: `{until}` from the record's data, UTC ISO reworded. */
export function wordTimes(sentence: string, data: Record<string, unknown> | undefined, timeZone: string): string {
  const slotted = sentence.replace(SLOT, (all, key: string) => {
    const v = data?.[key];
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    return Number.isFinite(ms) && ms > 1e11 ? localTime(ms, timeZone) : all;
  });
  return slotted.replace(ISO, (all, day: string, time: string, zone: string) => {
    const ms = Date.parse(`${day}T${time}${zone === 'Z' ? 'Z' : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2')}`);
    return Number.isFinite(ms) ? localTime(ms, timeZone) : all;
  });
}

/** One line in the reader's language, or undefined when the record has only English and the reader is not English. */
export function lineOf(t: Told | Said, lang: Language, timeZone: string): string | undefined {
  if (!('text' in t)) return wordTimes(t[lang], undefined, timeZone);
  if (t.say) return wordTimes(t.say[lang], t.data, timeZone);
  return lang === 'en' ? wordTimes(t.text, t.data, timeZone) : undefined;
}

/** The line counting records left out of a Japanese section. */
export function technicalNote(n: number, lang: Language, alone: boolean): string {
  if (lang === 'en') return `(${n} more technical ${n === 1 ? 'record is' : 'records are'} in the operator's timeline.)`;
  return `（${alone ? '' : 'このほか'}技術的な記録が ${n} 件あり、運用担当者のタイムラインに記録しております。）`;
}

/** Bulleted lines (steps indented under their action); records with no sentence in `lang` are counted. */
export function bullets<T extends Told & { steps?: Told[] }>(items: readonly T[], lang: Language, timeZone: string, how: { suffix?: (t: T) => string; bullet?: string; label?: string } = {}): string {
  const out: string[] = [];
  let left = 0;
  for (const t of items) {
    const line = lineOf(t, lang, timeZone);
    if (line === undefined) left++;
    else out.push(`${how.bullet ?? '- '}${how.label ?? ''}${line}${how.suffix ? how.suffix(t) : ''}`);
    for (const s of t.steps ?? []) {
      if (s.text === t.text && s.data === t.data) continue;
      const step = lineOf(s, lang, timeZone);
      if (step === undefined) left++;
      else out.push(`    ${step}`);
    }
  }
  if (left) out.push(technicalNote(left, lang, out.length === 0));
  return out.join('\n');
}

/** What each tense is called, as a section heading and as a short label on an update's line. */
export const tenseWords: Record<Language, Record<'found' | 'done' | 'started' | 'pending' | 'dry-run' | 'could-not' | 'steps' | 'needed' | 'person', { heading: string; label: string }>> = {
  en: {
    found: { heading: 'What mamoru found:', label: 'Found: ' },
    done: { heading: 'What mamoru did:', label: 'Done: ' },
    started: { heading: 'In progress (not finished when this was written):', label: 'In progress: ' },
    pending: { heading: 'Waiting for your approval (nothing changed yet):', label: 'Waiting for approval: ' },
    'dry-run': { heading: 'What mamoru would do (dry run: nothing was changed):', label: 'Would do (dry run): ' },
    'could-not': { heading: 'What mamoru could not do:', label: 'Could not do: ' },
    steps: { heading: "Steps in mamoru's timeline:", label: '' },
    needed: { heading: 'What we need from you:', label: 'Needed from you: ' },
    person: { heading: 'What a person must do:', label: 'A person must act: ' },
  },
  ja: {
    found: { heading: '■ 調査の結果', label: '調査結果: ' },
    done: { heading: '■ 実施した対応', label: '実施済み: ' },
    started: { heading: '■ 実施中の対応（本メール作成時点で未完了）', label: '実施中: ' },
    pending: { heading: '■ 承認待ちの対応（まだ何も変更しておりません）', label: '承認待ち: ' },
    'dry-run': { heading: '■ 実施予定の対応（試行モードのため、何も変更しておりません）', label: '試行（未実施）: ' },
    'could-not': { heading: '■ 対応できなかった内容', label: '対応できず: ' },
    steps: { heading: '■ 対応の記録', label: '' },
    needed: { heading: '■ お客様へのお願い', label: 'お願い: ' },
    person: { heading: '■ 担当者による対応が必要です', label: '要対応: ' },
  },
};

type Tense = keyof (typeof tenseWords)['en'];

const tenseOf = (s: ActionLineStatus): Tense => (s === 'done' || s === 'no-op' ? 'done' : s === 'started' ? 'started' : s === 'pending' ? 'pending' : s === 'dry-run' ? 'dry-run' : 'could-not');

/** When a person must act and the records do not say what: mamoru says it, never "nothing for now". */
const personDefault = (couldNot: boolean): Said =>
  couldNot
    ? {
        en: 'mamoru could not finish the fix by itself: a person must look at the server and fix it (see what mamoru could not do, above).',
        ja: 'mamoru による自動対応を完了できなかったため、担当者がサーバーを確認し対応する必要があります（上記「対応できなかった内容」をご参照ください）。',
      }
    : {
        en: 'mamoru cannot fix this by itself: a person must look at the server and fix it.',
        ja: 'この問題は mamoru では自動対応できないため、担当者がサーバーを確認し対応する必要があります。',
      };

/** "approval id abc, until 12:30 JST" for an approval's line. */
function approvalNote(a: ActionLine, lang: Language, timeZone: string): string {
  const id = [a.data, ...a.steps.map((s) => s.data)].map((d) => d?.approvalId).find((x) => typeof x === 'string');
  const exp = [a.data, ...a.steps.map((s) => s.data)].map((d) => d?.expiresAt).find((x) => typeof x === 'number') as number | undefined;
  if (id === undefined && exp === undefined) return '';
  const when = exp === undefined ? '' : localTime(exp, timeZone);
  if (lang === 'ja') return `（承認 ID ${id ?? '-'}${when ? `、${when} まで` : ''}）`;
  return ` (approval id ${id ?? '-'}${when ? `, until ${when}` : ''})`;
}

/** A runbook's escalation as the reason under "what a person must do": "needs a person: why" reads "why". */
const personTold = (p: Told): Told => (p.say ? p : { ...p, text: p.text.replace(/^needs a person:\s*/, '') });

const whyLabel: Record<Language, string> = { en: 'Why: ', ja: '理由: ' };

export interface Sections {
  found: string;
  done: string;
  started: string;
  pending: string;
  dryRun: string;
  couldNot: string;
  /** Steps of no action with a status (older timelines), in no tense. */
  steps: string;
  /** What the client must do, then what a person must do when mamoru could not finish; empty when nothing is. */
  needed: string;
  /** Every action in one list, each line labelled with its tense ("Done: ", "Waiting for approval: "). */
  actions: string;
  /** Every section that has something, each under its heading, in this order. */
  report: string;
}

/** Findings a message lists after the verdicts; the rest (every port's count...) stay in the timeline, counted. */
const FINDINGS_SHOWN = 6;

/** The verdicts, then the first findings; how many more there are in one line. */
function foundLines(found: readonly Told[], lang: Language, timeZone: string): string {
  if (found.length === 0) return '';
  const verdicts = found.filter((f) => f.data?.runbook !== undefined);
  const rest = found.filter((f) => f.data?.runbook === undefined);
  const text = bullets([...verdicts, ...rest.slice(0, FINDINGS_SHOWN)], lang, timeZone);
  const more = rest.length - FINDINGS_SHOWN;
  return more > 0 ? `${text}\n${technicalNote(more, lang, false)}` : text;
}

/** Findings are told as they were found (in the present): a recovery says they were then. */
const foundThen: Record<Language, string> = { en: 'What mamoru found (while the problem lasted):', ja: '■ 調査の結果（障害発生時点）' };

/** The sections worded for one reader. `recovered`: the findings were then, and nothing is left to ask. */
export function sections(r: Report, lang: Language, timeZone: string, recovered = false): Sections {
  const withNeeded = !recovered;
  const w = tenseWords[lang];
  const byTense = (t: Tense) => r.actions.filter((a) => tenseOf(a.status) === t);
  const actionBullets = (t: Tense) => {
    const list = byTense(t);
    // An approval's line also says which approval and until when it can be given.
    return list.length ? bullets(list, lang, timeZone, t === 'pending' ? { suffix: (a) => approvalNote(a, lang, timeZone) } : {}) : '';
  };
  const done = actionBullets('done');
  const couldNot = actionBullets('could-not');
  const fallback = personDefault(couldNot !== '');
  // What a person must do comes first; why (the runbook's escalation) follows beneath it.
  const person = r.personNeeded ? [`- ${fallback[lang]}`, ...(r.person.length ? [bullets(r.person.map(personTold), lang, timeZone, { bullet: '    ', label: whyLabel[lang] })] : [])].join('\n') : '';
  const client = r.needed.length ? bullets(r.needed, lang, timeZone) : '';
  const out: Sections = {
    found: foundLines(r.found, lang, timeZone),
    done,
    started: actionBullets('started'),
    pending: actionBullets('pending'),
    dryRun: actionBullets('dry-run'),
    couldNot,
    steps: r.loose.length ? bullets(r.loose, lang, timeZone) : '',
    needed: withNeeded ? [client, person].filter(Boolean).join('\n') : '',
    actions: [...r.actions.map((a) => bullets([a], lang, timeZone, { label: a.status === 'no-op' ? '' : w[tenseOf(a.status)].label })), ...(r.loose.length ? [bullets(r.loose, lang, timeZone)] : [])].join('\n'),
    report: '',
  };
  const parts: Array<[string, string]> = [
    [recovered ? foundThen[lang] : w.found.heading, out.found],
    [w.done.heading, out.done],
    [w.started.heading, out.started],
    [w.pending.heading, out.pending],
    [w['dry-run'].heading, out.dryRun],
    [w['could-not'].heading, out.couldNot],
    [w.steps.heading, out.steps],
    [w.needed.heading, withNeeded ? client : ''],
    [w.person.heading, withNeeded ? person : ''],
  ];
  out.report = parts
    .filter(([, body]) => body)
    .map(([h, body]) => `${h}\n${body}`)
    .join('\n\n');
  return out;
}

/** The lines of an update ("what changed"), bulleted, each with its tense, from what was recorded since the last message. */
export function changeLines(r: Report, lang: Language, timeZone: string): string[] {
  const w = tenseWords[lang];
  const out: string[] = [];
  let left = 0;
  const add = (t: Told, label: string) => {
    const line = lineOf(t, lang, timeZone);
    if (line === undefined) left++;
    else out.push(`${label.startsWith(' ') ? '' : '- '}${label}${line}`);
  };
  for (const f of r.found.filter((f) => f.data?.runbook !== undefined)) add(f, w.found.label);
  for (const a of r.actions) add(a, a.status === 'no-op' ? '' : w[tenseOf(a.status)].label);
  for (const l of r.loose) add(l, '');
  for (const n of r.needed) add(n, w.needed.label);
  if (r.personNeeded) {
    out.push(`- ${w.person.label}${personDefault(r.actions.some((a) => tenseOf(a.status) === 'could-not'))[lang]}`);
    for (const p of r.person.map(personTold)) add(p, `    ${whyLabel[lang]}`);
  }
  if (left) out.push(technicalNote(left, lang, out.length === 0));
  return out;
}
