/**
 * Turns zod issues into problems a person can act on: where (file:line, path) and what to do,
 * with a "did you mean" for misspelled keys and check types.
 */
import type { z } from 'zod';

type Issue = z.core.$ZodIssue & { input?: unknown };

/** `targets[0].checks[3].timeout` from `['targets', 0, 'checks', 3, 'timeout']`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out;
}

function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return `${typeof v} ${String(v)}`;
}

const article: Record<string, string> = {
  number: 'a number',
  string: 'a string',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping',
  int: 'a whole number',
};

function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length]![b.length]!;
}

/** The closest of the candidates, when it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

export interface IssueMessage {
  path: PropertyKey[];
  message: string;
}

/**
 * One or more messages per issue (unknown keys give one per key, each with its own path so it
 * can be placed on its own line). `knownKeys` answers which keys the object at a path accepts.
 */
export function explainIssue(issue: Issue, knownKeys: (path: PropertyKey[]) => string[] | undefined): IssueMessage[] {
  const path = [...issue.path];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const hint = didYouMean(key, knownKeys(path) ?? []);
        const known = knownKeys(path);
        return {
          path: [...path, key],
          message: `unknown key "${key}"; ${hint ? `did you mean "${hint}"?` : known ? `expected one of: ${known.join(', ')}` : 'remove it'}`,
        };
      });
    case 'invalid_union': {
      if ('discriminator' in issue && issue.discriminator) {
        const options = ((issue as { options?: unknown[] }).options ?? []).map(String);
        const disc = String(issue.discriminator);
        // zod reports the whole object as input; the offending value is its discriminator key.
        const given = issue.input && typeof issue.input === 'object' ? (issue.input as Record<string, unknown>)[disc] : issue.input;
        if (given === undefined) return [{ path, message: `missing "${String(issue.discriminator)}"; expected one of: ${options.join(', ')}` }];
        const hint = typeof given === 'string' ? didYouMean(given, options) : undefined;
        return [{ path, message: `unknown ${String(issue.discriminator)} ${describeValue(given)}; ${hint ? `did you mean "${hint}"? ` : ''}expected one of: ${options.join(', ')}` }];
      }
      return [{ path, message: issue.message }];
    }
    case 'invalid_type': {
      const expected = article[issue.expected] ?? issue.expected;
      if (issue.input === undefined) return [{ path, message: `missing; expected ${expected}` }];
      return [{ path, message: `expected ${expected}, got ${describeValue(issue.input)}` }];
    }
    case 'invalid_value':
      return [{ path, message: `expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(issue.input)}` }];
    case 'too_small':
      return [{ path, message: issue.message.startsWith('Too small') ? `must be at least ${String(issue.minimum)}${issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : ''}` : issue.message }];
    case 'too_big':
      return [{ path, message: issue.message.startsWith('Too big') ? `must be at most ${String(issue.maximum)}${issue.origin === 'array' ? ' item(s)' : issue.origin === 'string' ? ' character(s)' : ''}` : issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}
