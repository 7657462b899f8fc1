/**
 * Recent lines of an error log (the operator's `tail error.log`): the end of the file, bounded in
 * bytes and lines, optionally only what came after a time (the alert's) and only lines matching a
 * pattern. Lines without a time of their own (a stack trace's continuation) take the time of the
 * line above them.
 */
import type { Executor } from '../executors/types.ts';
import { eachLine, eachLineSliced } from './lines.ts';
import { parseLogTime } from './log-time.ts';
import { TimeSlice } from './time-slice.ts';
import { InspectionError, plural, type Evidence } from './types.ts';

export interface LogLine {
  text: string;
  /** ISO time of the line (or of the timed line above it), when one could be read. */
  time?: string | undefined;
}

export interface ErrorLogEvidence extends Evidence {
  path: string;
  lines: LogLine[];
  /** Lines that passed the filters before the line limit cut them down. */
  matched: number;
  /** The file is longer than what was read: older lines were not looked at. */
  partial: boolean;
}

export interface ErrorLogOptions {
  path: string;
  /** Bytes read from the end of the file. @defaultValue 262144 */
  maxBytes?: number;
  /** Lines returned (the most recent). @defaultValue 50 */
  maxLines?: number;
  /** Only lines at or after this time. */
  since?: Date;
  /**
   * Only lines matching this. It runs over every line the server wrote (up to `maxBytes`), so it
   * must not backtrack: a literal or a simple alternation, never nested quantifiers.
   */
  match?: RegExp;
  timeoutMs?: number;
  /** "Now", for reading syslog times without a year. */
  now?: Date;
}

/** Gives each line its time, or the time of the timed line above it. */
class Timer {
  private last: string | undefined;
  constructor(private readonly now: Date) {}
  /** The line as evidence, or undefined for a blank one. */
  line(raw: string): LogLine | undefined {
    if (raw.trim() === '') return undefined;
    const t = parseLogTime(raw, this.now);
    if (t) this.last = t.toISOString();
    return { text: raw.endsWith('\r') ? raw.slice(0, -1) : raw, time: this.last };
  }
}

/** Splits a log's tail into timed lines (pure). `cut` drops the first, partial line. */
export function timedLines(text: string, cut: boolean, now = new Date()): LogLine[] {
  const timer = new Timer(now);
  const out: LogLine[] = [];
  let first = true;
  eachLine(text, (raw) => {
    if (first && cut) return void (first = false);
    first = false;
    const l = timer.line(raw);
    if (l) out.push(l);
  });
  return out;
}

/**
 * What inspectErrorLog keeps of the text: the lines passing the filters, counted, and only the
 * last `maxLines` of them held (a tail of 500,000 short lines would otherwise become as many
 * objects), in time slices. The same lines as filtering timedLines() and keeping its end.
 */
async function filteredTail(text: string, cut: boolean, opts: ErrorLogOptions, maxLines: number): Promise<{ lines: LogLine[]; matched: number }> {
  const timer = new Timer(opts.now ?? new Date());
  const since = opts.since?.getTime();
  const kept: LogLine[] = [];
  let matched = 0;
  let first = true;
  await eachLineSliced(
    text,
    (raw) => {
      if (first && cut) return void (first = false);
      first = false;
      const l = timer.line(raw);
      if (!l) return;
      if (since !== undefined && (l.time === undefined || Date.parse(l.time) < since)) return;
      if (opts.match && !opts.match.test(l.text)) return;
      matched++;
      kept.push(l);
      // Dropped in batches: shift() one at a time would copy the array per line.
      if (kept.length >= 2 * maxLines + 64) kept.splice(0, kept.length - maxLines);
    },
    new TimeSlice(),
  );
  return { lines: maxLines > 0 ? kept.slice(-maxLines) : [], matched };
}

/** Reads and filters the recent end of a log file. */
export async function inspectErrorLog(exec: Executor, opts: ErrorLogOptions): Promise<ErrorLogEvidence> {
  const maxBytes = opts.maxBytes ?? 256 * 1024;
  const maxLines = opts.maxLines ?? 50;
  let text: string;
  try {
    text = await exec.readFile(opts.path, { maxBytes, tail: true, timeoutMs: opts.timeoutMs ?? 20_000 });
  } catch (e) {
    throw new InspectionError('error log', (e as Error).message, { cause: e });
  }
  // A full read means the file goes on before it: its first line is likely cut in the middle.
  const partial = Buffer.byteLength(text) >= maxBytes;
  const { lines, matched } = await filteredTail(text, partial, opts, maxLines);
  const when = opts.since ? ` since ${opts.since.toISOString()}` : '';
  const what = opts.match ? ` matching ${opts.match}` : '';
  let summary: string;
  if (lines.length === 0) summary = `no lines in ${opts.path}${when}${what}`;
  else {
    const lastLine = lines[lines.length - 1]!.text;
    summary = `${plural(matched, 'line')} in ${opts.path}${when}${what}; last: ${lastLine.length > 160 ? lastLine.slice(0, 157) + '...' : lastLine}`;
  }
  return { path: opts.path, lines, matched, partial, summary };
}
