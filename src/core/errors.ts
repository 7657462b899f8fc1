/**
 * Errors are values with types: each says what went wrong, where, and what to do about it.
 * The CLI maps them to exit codes (2 for usage and config errors, as Nagios plugins' UNKNOWN
 * is 3 and kept for check results).
 */

/** One problem found in a config file: where it is and how to fix it. */
export interface ConfigProblem {
  file: string;
  /** 1-based line, when the problem can be placed. */
  line?: number | undefined;
  column?: number | undefined;
  /** Path inside the document, e.g. `targets[0].checks[3].timeout`. */
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  const where = p.line ? `${p.file}:${p.line}${p.column ? `:${p.column}` : ''}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export class ConfigError extends Error {
  /** `subject` names what was read when it is not mamoru's own config (an imported fail2ban or Nagios file). */
  constructor(
    readonly problems: ConfigProblem[],
    subject = 'the configuration',
  ) {
    super(`${problems.length} problem${problems.length === 1 ? '' : 's'} in ${subject}:\n` + problems.map((p) => '  ' + formatProblem(p)).join('\n'));
    this.name = 'ConfigError';
  }
}

/** Bad command-line use: the message says which option and what is expected. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
