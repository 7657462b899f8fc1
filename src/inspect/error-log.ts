/**
 * Recent lines of an error log (the operator's `tail error.log`): the end of the file, bounded in
 * bytes and lines, optionally only what came after a time (the alert's) and only lines matching a
 * pattern. Lines without a time of their own (a stack trace's continuation) take the time of the
 * line above them.
 */
import type { Executor } from '../executors/types.ts';
import { parseLogTime } from './log-time.ts';
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
  /** Only lines matching this. */
  match?: RegExp;
  timeoutMs?: number;
  /** "Now", for reading syslog times without a year. */
  now?: Date;
}

/** Splits a log's tail into timed lines (pure). `cut` drops the first, partial line. */
export function timedLines(text: string, cut: boolean, now = new Date()): LogLine[] {
  const raw = text.split('\n');
  if (cut) raw.shift();
  const out: LogLine[] = [];
  let last: string | undefined;
  for (const line of raw) {
    if (line.trim() === '') continue;
    const t = parseLogTime(line, now);
    if (t) last = t.toISOString();
    out.push({ text: line.replace(/\r$/, ''), time: last });
  }
  return out;
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
  const since = opts.since?.getTime();
  let lines = timedLines(text, partial, opts.now);
  if (since !== undefined) lines = lines.filter((l) => l.time !== undefined && Date.parse(l.time) >= since);
  if (opts.match) lines = lines.filter((l) => opts.match!.test(l.text));
  const matched = lines.length;
  lines = lines.slice(-maxLines);
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
