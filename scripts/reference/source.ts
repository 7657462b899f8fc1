/**
 * What the reference pages read from the source files themselves, besides the registries: a
 * member's file header (the "what this room is for" comment every member has, style.md 10), the
 * actions a runbook's code can propose, the filter corpora's lines run through the real scanner,
 * and the jails of docs/guard-jails.md. All of it is read from files in the repository, so the
 * output depends on nothing but the checkout.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { FILTER_MODES, type FilterMode } from '../../src/guard/failure.ts';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import type { CorpusEntry } from '../../test/guard/corpus/types.ts';

export const ROOT = join(import.meta.dirname, '..', '..');

/** The member's file, relative to the repository (type equals file name, style.md 9). */
export function memberFile(dir: string, type: string): string {
  const rel = `${dir}/${type}.ts`;
  if (!existsSync(join(ROOT, rel))) throw new Error(`${rel} does not exist: a member's type must equal its file name`);
  return rel;
}

/** The file's leading `/** ... *\/` comment as Markdown lines, or '' when it has none. */
export function headerOf(rel: string): string {
  const text = readFileSync(join(ROOT, rel), 'utf8');
  const m = /^\s*\/\*\*([\s\S]*?)\*\//.exec(text);
  if (!m) return '';
  return m[1]!
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').replace(/\s+$/, ''))
    .join('\n')
    .trim();
}

/**
 * What a runbook's code can hand back, read from its own file and the runbook helpers it imports
 * (`./daemon-check.ts`): the action types it names in a proposal (`type: 'start-service'`), in
 * registry order, and whether it returns attack evidence (an `attack` field in its result). What
 * a runbook may do, not what it always does: the verdict decides.
 */
export function runbookScan(rel: string, actionTypes: readonly string[]): { actions: string[]; attack: boolean } {
  const seen = new Set<string>();
  const found = new Set<string>();
  let attack = false;
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/\btype: '([a-z0-9-]+)'/g)) if (actionTypes.includes(m[1]!)) found.add(m[1]!);
    if (/^\s*attack(?:,|: [a-zA-Z]+,)\s*$/m.test(text)) attack = true;
    for (const m of text.matchAll(/from '(\.\/[a-z0-9-]+\.ts)'/g)) if (m[1] !== './types.ts') walk(join(dirname(file), m[1]!));
  };
  walk(rel);
  return { actions: actionTypes.filter((t) => found.has(t)), attack };
}

/** A corpus line and what the scanner made of it. */
export interface FilterExample {
  line: string;
  form: string;
  mode: FilterMode;
  /** The address the scanner found; absent for a line that must not match. */
  address?: string;
}

/** The instant the corpora's year-less syslog times are read against (as test/guard/corpus.test.ts does). */
const NOW = Date.UTC(2026, 11, 7, 12);

/**
 * Lines of the filter's corpus (test/guard/corpus/<type>.ts) that the scanner, holding every
 * filter as a jail reading a shared log would, attributes to this filter in the form's own mode;
 * and lines of the corpus that match nothing. At most `per` of each mode, in corpus order.
 */
export async function filterExamples(type: string, per = 4): Promise<{ matched: FilterExample[]; unmatched: FilterExample[] }> {
  const file = join(ROOT, 'test', 'guard', 'corpus', `${type}.ts`);
  if (!existsSync(file)) return { matched: [], unmatched: [] };
  const corpus = (await import(file)).default as CorpusEntry[];
  const matched: FilterExample[] = [];
  const unmatched: FilterExample[] = [];
  for (const e of corpus) {
    const mode = e.mode ?? 'normal';
    const got = new LogScanner(Object.values(filters), { timeZone: 'UTC', now: () => NOW, mode }).scan(e.line);
    if (e.address !== null && got?.filter === type && got.address === e.address) {
      if (matched.filter((x) => x.mode === mode).length < per) matched.push({ line: e.line, form: e.form, mode, address: got.address });
    } else if (e.address === null && unmatched.length < 2) {
      const anyMode = FILTER_MODES.some((m) => new LogScanner(Object.values(filters), { timeZone: 'UTC', now: () => NOW, mode: m }).scan(e.line));
      if (!anyMode) unmatched.push({ line: e.line, form: e.form, mode });
    }
  }
  matched.sort((a, b) => FILTER_MODES.indexOf(a.mode) - FILTER_MODES.indexOf(b.mode));
  return { matched, unmatched };
}

/** The jails of docs/guard-jails.md (each block there is held to the schema by its own test). */
export function documentedJails(): Record<string, unknown>[] {
  const text = readFileSync(join(ROOT, 'docs', 'guard-jails.md'), 'utf8');
  const jails: Record<string, unknown>[] = [];
  for (const m of text.matchAll(/```yaml\n([\s\S]*?)```/g))
    for (const doc of parseAllDocuments(m[1]!)) {
      if (!('toJS' in doc)) continue;
      const list = (doc.toJS() as { guard?: { jails?: Record<string, unknown>[] } } | null)?.guard?.jails;
      if (Array.isArray(list)) jails.push(...list);
    }
  return jails;
}
