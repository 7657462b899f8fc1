/**
 * The one shape every log source has (the family shape of probes and notifiers):
 * `{ type, summary, schema, create }`. A source turns a place where logs appear (files that
 * rotate, the systemd journal) into batches of lines for the guard's filters; where it stopped is
 * kept in a small state file so a restart neither counts a line twice nor loses one.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';

/** What a journal entry says besides its text, for filters that want it without parsing. */
export interface LineMeta {
  /** When the entry was written, in milliseconds since the epoch (`__REALTIME_TIMESTAMP`). */
  time: number;
  /** `SYSLOG_IDENTIFIER` (or the command name when there is none). */
  identifier?: string | undefined;
  unit?: string | undefined;
  pid?: number | undefined;
}

/** Lines read in one go from one place, in the order they were written. */
export interface LineBatch {
  /** Complete lines without their newline; a line still being written is held back until it ends. */
  lines: string[];
  /** The source's name (the jail or source name from config). */
  source: string;
  /** The file the lines came from (file sources). */
  file?: string | undefined;
  /** Per-line metadata, index for index with `lines` (journald). */
  meta?: LineMeta[] | undefined;
  /**
   * Per-line identity, index for index with `lines`: where the line is in its log (file identity
   * and byte offset, or the journal cursor). The guard keys the failures it stores by it, so a
   * line read again after a restart is not counted twice.
   */
  ids?: string[] | undefined;
  /** Lines of this batch that were over max_line_length (their middle dropped; lines.ts). */
  long?: number | undefined;
}

/** A running source: lines flow to `onLines` between `start` and `stop`. */
export interface Source {
  /**
   * Starts following; resolves once following has begun (files opened, watchers set, journalctl
   * spawned). `onLines` is called with each batch, one at a time; the position is saved only
   * after what it returns has resolved (the guard stores the batch's failures first), so a kill
   * at any instant re-reads at most lines already stored, never skips one. When it rejects, the
   * batch is read again later.
   */
  start(onLines: (batch: LineBatch) => unknown): Promise<void>;
  /** Stops following, saves the position and releases files, watchers and processes. */
  stop(): Promise<void>;
}

export interface SourceContext {
  /** Names the source in batches, logs and the default state file name. */
  name: string;
  /** Where positions are kept (`/var/lib/mamoru/guard` in production, a temp dir in tests). */
  stateDir: string;
  log: Logger;
}

export interface SourceDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name and the config discriminator. */
  type: string;
  /** One line for the CLI help and the docs. */
  summary: string;
  /** The source's own options (snake_case keys, defaults in the schema). */
  schema: S;
  create(options: z.output<S>, ctx: SourceContext): Source;
}

/** Identity helper that keeps the option types of each source. */
export function defineSource<S extends z.ZodObject>(def: SourceDefinition<S>): SourceDefinition<S> {
  return def;
}

/** A source that cannot start: what, where, and what to do. */
export class SourceError extends Error {
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`log source "${source}": ${message}`);
    this.name = 'SourceError';
  }
}
