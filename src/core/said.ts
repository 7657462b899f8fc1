/**
 * A sentence for people in every language mamoru speaks, written side by side where it is made
 * (a runbook's verdict, a finding, an action's outcome, a ban), so a message is wholly in its
 * reader's language: the notify room picks the contact's language and never has to translate.
 * The operator's one-line `text` beside it stays the timeline's and the log's (English).
 *
 * Times inside a sentence would be in the wrong zone if written here: a sentence that needs one
 * names an instant of its record's data as a slot, `{until}`, and the notify room words it in the
 * contact's zone (`notify/templates/sections.ts` `wordTimes`).
 */
export const languages = ['en', 'ja'] as const;
export type Language = (typeof languages)[number];

export type Said = Record<Language, string>;

/** `said('Apache is down', 'Apache が停止しています')`. */
export const said = (en: string, ja: string): Said => ({ en, ja });

/** A Said read back from a timeline record's data (JSON), or undefined when it is not one. */
export function saidFrom(v: unknown): Said | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  return languages.every((l) => typeof o[l] === 'string') ? { en: o.en as string, ja: o.ja as string } : undefined;
}
