/**
 * Command lines as Nagios writes them, turned into argument lists: the shell's quoting read
 * (single quotes, double quotes, backslashes) without ever running a shell, and a getopt-like
 * reader for the plugins' options (`-p 80`, `-p80`, `--port=80`, `--port 80`).
 */

/** Characters that make the command a shell pipeline or redirection, not one program. */
const SHELL_OPERATORS = /[|;&<>`]/;

/**
 * Words of a command line, or why it is not one program with arguments. Quotes group, a
 * backslash escapes the next character (outside single quotes); nothing is expanded.
 */
export function splitCommandLine(line: string): { argv: string[] } | { why: string } {
  const argv: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
      continue;
    }
    if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) word += line[++i];
      else if (ch === '`' || (ch === '$' && line[i + 1] === '(')) return { why: 'uses shell command substitution' };
      else word += ch;
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) argv.push(word);
      word = '';
      inWord = false;
    } else if (SHELL_OPERATORS.test(ch) || (ch === '$' && line[i + 1] === '(')) {
      return { why: `is a shell command line ("${ch}"); mamoru runs one program with its arguments, never a shell` };
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote) return { why: `has an unclosed ${quote} quote` };
  if (inWord) argv.push(word);
  if (!argv.length) return { why: 'is empty' };
  return { argv };
}

/** A plugin's options: each short letter with its long names and whether it takes a value. */
export type OptionSpec = Record<string, { long?: string[]; value: boolean }>;

export interface ParsedOptions {
  /** Values per short letter, in order given (a flag gets ""). */
  values: Map<string, string[]>;
  /** Words that are not options. */
  rest: string[];
}

/** Reads `args` by `spec`; an option not in it is an error naming the option. */
export function getopt(args: string[], spec: OptionSpec): ParsedOptions | { why: string } {
  const values = new Map<string, string[]>();
  const rest: string[] = [];
  const byLong = new Map<string, string>();
  for (const [short, s] of Object.entries(spec)) for (const l of s.long ?? []) byLong.set(l, short);
  const put = (k: string, v: string) => values.set(k, [...(values.get(k) ?? []), v]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '') continue; // an empty $ARGn$ in quotes: nothing given
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const short = byLong.get(name);
      if (short === undefined) return { why: `option --${name} has no counterpart` };
      if (!spec[short]!.value) put(short, '');
      else if (eq > 0) put(short, a.slice(eq + 1));
      else if (i + 1 < args.length) put(short, args[++i]!);
      else return { why: `option --${name} needs a value` };
    } else if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        const short = a[j]!;
        const s = spec[short];
        if (!s) return { why: `option -${short} has no counterpart` };
        if (!s.value) {
          put(short, '');
          continue;
        }
        if (j + 1 < a.length) put(short, a.slice(j + 1));
        else if (i + 1 < args.length) put(short, args[++i]!);
        else return { why: `option -${short} needs a value` };
        break;
      }
    } else rest.push(a);
  }
  return { values, rest };
}
