/**
 * Template fields and rendering. The field list is closed: a template naming a field that does
 * not exist is a config error at load (with the path), never an empty hole in a message sent at
 * 3 a.m. Values are plain text; nothing here is evaluated. A section field with nothing in it is
 * "-" (`report` is empty instead: its sections carry their own headings).
 */
export const templateFields = {
  incident: 'incident number, e.g. #12',
  target: 'target name',
  address: "target's address",
  headline: 'one short line: the worst problem, in plain words',
  plain: 'what is wrong (or recovered), in plain words, one line per problem',
  problems: "what the checks say, in the plugins' words, one line per problem",
  changes: 'what changed since the last message',
  since: 'when the problem started (local time of the contact)',
  recovered_at: 'when it recovered (local time of the contact)',
  duration: 'how long the problem has lasted (or lasted)',
  report: 'what mamoru found, did, is doing, waits for approval for, would do (dry run), could not do, and what is needed: each section that has something, under its heading, in the contact\'s language (empty sections are left out)',
  findings: 'what mamoru found out: the verdict, then the findings',
  actions: 'every action in one list, each line labelled with its tense ("Done: ...", "Waiting for approval: ...")',
  done: 'what mamoru did, each action with its result',
  in_progress: 'actions started and not finished when the message was written',
  awaiting_approval: 'actions waiting for a person\'s approval (ask mode), with what they would change',
  would_do: 'what mamoru would do (dry run: nothing was changed)',
  could_not: 'what mamoru could not do',
  needed: 'what is needed from the client, and what a person must do when mamoru could not finish',
  level: 'escalation level',
  by: 'who acknowledged',
  comment: "the acknowledgement's comment",
  contact: "the contact's name",
  channel: 'the channel (type and name)',
  error: 'why a delivery failed',
} as const;

export type TemplateField = keyof typeof templateFields;
export type TemplateValues = Partial<Record<TemplateField, string>>;

const FIELD = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Names used in a template that are not fields (empty when it is fine). */
export function unknownFields(template: string): string[] {
  const out: string[] = [];
  for (const m of template.matchAll(FIELD)) if (!(m[1]! in templateFields)) out.push(m[1]!);
  return out;
}

/** Fills `{{field}}`s; a field with no value becomes "-" so a message never shows a hole. */
export function render(template: string, values: TemplateValues): string {
  return template.replace(FIELD, (_all, name: string) => values[name as TemplateField] ?? '-');
}
