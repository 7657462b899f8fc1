/**
 * How much of a server's Apache config mamoru reads at most, and the book-keeping that enforces
 * it. The config, the `ls` output and every included file come from the server, which an
 * attacker may own: without bounds, 10 included files of 4 MiB made 21 million directives and a
 * 2.7 GiB heap, and 40 crashed the daemon. A real config (Debian's: 40 files, 60 KiB) is far
 * below every limit; one that passes a limit is reported as too large to inspect, and nothing
 * is decided from it.
 */
import { formatBytes } from './types.ts';

/** Bounds of one config read; each can be changed through `ApacheConfigOptions.limits`. */
export interface ApacheConfigLimits {
  /**
   * A logical line (continuations joined) longer than this is skipped with a problem, not
   * parsed; a section tag that long makes the config too large (its nesting is unknown).
   * @defaultValue 16384
   */
  maxLineLength: number;
  /** Bytes of one file; a longer file makes the config too large. @defaultValue 4194304 (4 MiB) */
  maxFileBytes: number;
  /** Bytes of all files read. @defaultValue 16777216 (16 MiB) */
  maxTotalBytes: number;
  /**
   * Characters `${VAR}` substitution may add, over the whole config: Defines that double each
   * other would otherwise fill the heap from a few short lines. @defaultValue 1048576 (1 MiB)
   */
  maxExpansion: number;
  /** Files read (one read twice counts twice). @defaultValue 512 */
  maxFiles: number;
  /** Directives kept (those in effect). @defaultValue 100000 */
  maxDirectives: number;
  /** Entries of one directory listing. @defaultValue 10000 */
  maxListEntries: number;
  /** Commands run on the server to expand Includes (`ls`, `test -d`). @defaultValue 1000 */
  maxCommands: number;
  /** Arguments kept per directive; the rest are dropped and the directive marked `cut`. @defaultValue 16 */
  maxArgs: number;
  /** Characters kept per argument; a longer one is cut and the directive marked `cut`. @defaultValue 4096 */
  maxArgLength: number;
  /** Problems listed; the rest are counted in a last line. @defaultValue 100 */
  maxProblems: number;
}

/** The defaults: generous for real configs, small enough for the daemon's heap and loop. */
export const APACHE_CONFIG_LIMITS: Readonly<ApacheConfigLimits> = Object.freeze({
  maxLineLength: 16 * 1024,
  maxFileBytes: 4 * 1024 * 1024,
  maxTotalBytes: 16 * 1024 * 1024,
  maxExpansion: 1024 * 1024,
  maxFiles: 512,
  maxDirectives: 100_000,
  maxListEntries: 10_000,
  maxCommands: 1_000,
  maxArgs: 16,
  maxArgLength: 4096,
  maxProblems: 100,
});

/** Longest problem line kept: a path or ${NAME} from the server can be as long as a line. */
const MAX_PROBLEM_CHARS = 300;

/**
 * 100000 -> "100,000". By hand: the first toLocaleString() loads ICU's locale data, which held
 * the event loop for 50 ms.
 */
export function count(n: number): string {
  const digits = String(Math.trunc(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) out += (i > 0 && (digits.length - i) % 3 === 0 ? ',' : '') + digits[i];
  return out;
}

/** What the read has used so far, and the first limit it passed. */
export class ConfigBudget {
  readonly problems: string[] = [];
  private dropped = 0;
  bytes = 0;
  expansion = 0;
  commands = 0;
  /** Why the config is too large to inspect; set once, and the read stops. */
  tooLarge: string | undefined;

  constructor(readonly limits: Readonly<ApacheConfigLimits>) {}

  get exceeded(): boolean {
    return this.tooLarge !== undefined;
  }

  /** Notes a problem; past `maxProblems`, only counts it. */
  problem(text: string): void {
    if (this.problems.length >= this.limits.maxProblems) this.dropped++;
    else this.problems.push(text.length > MAX_PROBLEM_CHARS ? `${text.slice(0, MAX_PROBLEM_CHARS - 3)}...` : text);
  }

  /** Stops the read: the config passed a limit. `what` finishes "the Apache config is too large to inspect: ". */
  exceed(what: string): void {
    if (this.tooLarge) return;
    this.tooLarge = `the Apache config is too large to inspect: ${what}`;
  }

  /** Counts a command about to run; false (and too large) when the budget has none left. */
  command(): boolean {
    if (this.exceeded) return false;
    if (this.commands >= this.limits.maxCommands) {
      this.exceed(`expanding its Includes takes more than ${count(this.limits.maxCommands)} commands (ls, test)`);
      return false;
    }
    this.commands++;
    return true;
  }

  /** Counts bytes read or added by substitution; false (and too large) past the total. */
  addBytes(n: number, files: number): boolean {
    this.bytes += n;
    if (this.bytes <= this.limits.maxTotalBytes) return true;
    this.exceed(`more than ${formatBytes(this.limits.maxTotalBytes)} in ${count(files)} ${files === 1 ? 'file' : 'files'}`);
    return false;
  }

  /** Counts characters added by `${VAR}`; false (and too large) past the limit. */
  addExpansion(n: number): boolean {
    this.expansion += n;
    if (this.expansion <= this.limits.maxExpansion) return true;
    this.exceed(`\${...} substitution adds more than ${formatBytes(this.limits.maxExpansion)} to it`);
    return false;
  }

  /** The problems, a line for those not listed, and last why the read stopped (when it did). */
  list(): string[] {
    const out = [...this.problems];
    if (this.dropped) out.push(`... and ${count(this.dropped)} more problems`);
    if (this.tooLarge) out.push(this.tooLarge);
    return out;
  }
}
