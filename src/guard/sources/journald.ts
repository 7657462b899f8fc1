/**
 * journald: follows the systemd journal through `journalctl -f -o json` (argv, never a shell),
 * narrowed to the configured units and syslog identifiers, and resumes after a restart from the
 * cursor of the last entry handed on (saved like the file positions). Each entry becomes one line
 * in rsyslog's high-precision format (journald-entry.ts) with its time, identifier, unit and pid
 * as metadata. If journalctl exits, it is started again from the cursor after a short wait.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { z } from 'zod';
import { duration } from '../../core/schema.ts';
import { parseJournalLine } from './journald-entry.ts';
import { maxLineLengthOption } from './line-options.ts';
import { loadState, StateWriter } from './state-file.ts';
import { defineSource, SourceError, type LineBatch, type LineMeta, type Source, type SourceContext } from './types.ts';

const name = z.string().regex(/^[^\s=]+$/, 'a unit or identifier has no spaces and no "="');

export const schema = z.strictObject({
  units: z.array(name).default([]).meta({ description: 'systemd units whose messages are read (`dovecot` means `dovecot.service`)' }),
  identifiers: z.array(name).default([]).meta({ description: 'syslog identifiers whose messages are read (`vpopmail`, `sshd`)' }),
  matches: z
    .array(z.string().regex(/^[A-Z0-9_]+=/, 'a journal match looks like FIELD=value with an upper-case field name'))
    .default([])
    .meta({ description: 'further journal matches (`_TRANSPORT=syslog`); matches on different fields must all hold' }),
  directory: z.string().optional().meta({ description: 'read the journal files in this directory (journalctl --directory) instead of the system journal' }),
  journalctl: z.string().default('journalctl').meta({ description: 'the journalctl program' }),
  from: z.enum(['end', 'start']).default('end').meta({ description: 'where the first start (no saved cursor) begins: new entries only, or everything in the journal' }),
  restart_delay: duration('wait before starting journalctl again after it exited; doubles up to a minute').prefault('1s'),
  max_line_length: maxLineLengthOption('characters of a message searched; a longer one keeps its head and tail (half each), counted and warned of'),
  state_file: z.string().optional().meta({ description: 'where the cursor is kept; default `<state dir>/<source name>.journald.json`' }),
});

type Options = z.output<typeof schema>;

/** Fields asked of journalctl (the cursor and the timestamps always come with -o json). */
const FIELDS = 'MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM,_SYSTEMD_UNIT,_HOSTNAME';

/** A JSON line longer than this (no newline yet) is dropped rather than held. */
const MAX_PENDING = 8 * 1024 * 1024;

/** journalctl's arguments: position, then the matches (OR between groups, `+` separated). */
export function journalctlArgs(o: Options, cursor: string | undefined): string[] {
  const args = ['--follow', '--output=json', '--all', '--no-pager', '--quiet', `--output-fields=${FIELDS}`];
  if (o.directory !== undefined) args.push(`--directory=${o.directory}`);
  // No cursor: the journal had no matching entry at the first start, or `from: start`.
  if (cursor !== undefined) args.push(`--after-cursor=${cursor}`, '--no-tail');
  else args.push('--no-tail');
  return args.concat(matchArgs(o));
}

/** The matches: units, identifiers and raw matches, OR between the groups (`+`). */
function matchArgs(o: Options): string[] {
  const args: string[] = [];
  const groups = [
    o.units.map((u) => `_SYSTEMD_UNIT=${u.includes('.') ? u : `${u}.service`}`),
    o.identifiers.map((i) => `SYSLOG_IDENTIFIER=${i}`),
    o.matches,
  ].filter((g) => g.length > 0);
  groups.forEach((g, i) => args.push(...(i > 0 ? ['+'] : []), ...g));
  return args;
}

class JournaldSource implements Source {
  private cursor: string | undefined;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private pending = '';
  private stderr = '';
  private delay: number;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private onLines: (b: LineBatch) => unknown = () => undefined;
  /** Batches handed on one at a time, in order; journalctl's output is paused meanwhile. */
  private work: Promise<void> = Promise.resolve();
  private readonly refused = new WeakSet<ChildProcess>();
  private readonly stateFile: string;
  private readonly writer: StateWriter;

  constructor(
    private readonly o: Options,
    private readonly ctx: SourceContext,
  ) {
    this.delay = o.restart_delay;
    this.stateFile = o.state_file ?? join(ctx.stateDir, `${ctx.name}.journald.json`);
    this.writer = new StateWriter(this.stateFile, ctx.log);
  }

  async start(onLines: (b: LineBatch) => unknown): Promise<void> {
    this.onLines = onLines;
    const state = (await loadState(this.stateFile, this.ctx.log)) as { cursor?: unknown } | undefined;
    if (typeof state?.cursor === 'string' && state.cursor !== '') this.cursor = state.cursor;
    else if (this.o.from === 'end') {
      // Pin "the end" to a cursor now, so every entry written after start() resolves is read,
      // however long journalctl takes to begin following, and a restart resumes from here.
      this.cursor = await this.tailCursor();
      this.save();
    }
    await this.spawn();
  }

  /** The cursor of the newest matching entry, or undefined when there is none (then all is new). */
  private tailCursor(): Promise<string | undefined> {
    const args = ['--lines=0', '--show-cursor', '--quiet', '--no-pager'];
    if (this.o.directory !== undefined) args.push(`--directory=${this.o.directory}`);
    return new Promise((resolve) => {
      execFile(this.o.journalctl, args.concat(matchArgs(this.o)), { env: { ...process.env, LC_ALL: 'C' }, timeout: 30_000, maxBuffer: 1024 * 1024 }, (_err, stdout) => {
        resolve(/^-- cursor: (\S+)$/m.exec(String(stdout))?.[1]);
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const kill = setTimeout(() => child.kill('SIGKILL'), 2000);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(kill);
    }
    await this.work;
    this.save();
    await this.writer.flush();
  }

  /** Starts journalctl; resolves once it runs, rejects when it cannot be started at all. */
  private spawn(): Promise<void> {
    const args = journalctlArgs(this.o, this.cursor);
    this.pending = '';
    this.stderr = '';
    const startedAt = Date.now();
    const child = spawn(this.o.journalctl, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C', SYSTEMD_COLORS: '0' } });
    this.child = child;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => this.data(chunk));
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-2000)));
    this.exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    return new Promise<void>((resolve, reject) => {
      child.once('spawn', () => {
        child.on('close', (code, signal) => this.closed(code, signal, startedAt));
        resolve();
      });
      child.once('error', (e) => {
        reject(new SourceError(this.ctx.name, `cannot run ${this.o.journalctl} (${e.message}): install systemd's journalctl or set journalctl: to its path`));
      });
    });
  }

  private data(chunk: string): void {
    const text = this.pending + chunk;
    const last = text.lastIndexOf('\n');
    if (last === -1) {
      this.pending = text.length > MAX_PENDING ? '' : text;
      return;
    }
    this.pending = text.slice(last + 1);
    const lines: string[] = [];
    const meta: LineMeta[] = [];
    const ids: string[] = [];
    let cursor: string | undefined;
    let long = 0;
    for (const json of text.slice(0, last).split('\n')) {
      if (json === '') continue;
      const e = parseJournalLine(json, this.o.max_line_length);
      if (!e) continue;
      if (e.cursor !== undefined) cursor = e.cursor;
      if (e.line === '') continue;
      if (e.long) long++;
      lines.push(e.line);
      meta.push(e.meta);
      ids.push(e.cursor ?? '');
    }
    const child = this.child;
    child?.stdout?.pause();
    this.work = this.work.then(async () => {
      // A batch of this journalctl was not taken: the rest of its output comes again too.
      if (child && this.refused.has(child)) return;
      try {
        if (lines.length > 0) await this.onLines({ lines, source: this.ctx.name, meta, ids, long });
      } catch (err) {
        // Not taken (the store could not record it): journalctl starts again after the last
        // cursor taken, so these entries come again.
        this.ctx.log.error({ source: this.ctx.name, err: (err as Error).message }, 'could not take journal entries; reading them again');
        if (child) this.refused.add(child);
        if (child && child.exitCode === null) child.kill('SIGTERM');
        return;
      }
      // The cursor moves only past entries whose failures are stored.
      if (cursor !== undefined) this.cursor = cursor;
      this.save();
      this.delay = this.o.restart_delay; // entries flow again: the next restart waits the short delay
      child?.stdout?.resume();
    });
  }

  private closed(code: number | null, signal: NodeJS.Signals | null, startedAt: number): void {
    if (this.stopped) return;
    const why = this.stderr.trim().split('\n').pop() ?? '';
    this.ctx.log.warn({ source: this.ctx.name, code, signal, stderr: why }, `journalctl exited; starting it again in ${this.delay} ms`);
    // A cursor journalctl cannot use (journal rotated away, another machine) would fail forever.
    // It is replaced by the journal's current end, not dropped: without a cursor the whole
    // journal would be read again.
    const refused = this.cursor !== undefined && /cursor/i.test(this.stderr) && Date.now() - startedAt < 10_000;
    if (refused) this.ctx.log.warn({ source: this.ctx.name }, 'the saved journal cursor was refused; continuing from the end of the journal');
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (this.stopped) return;
      (async () => {
        if (refused) {
          this.cursor = await this.tailCursor();
          this.save();
        }
        await this.spawn();
      })().catch((e: Error) => {
        this.ctx.log.error({ source: this.ctx.name, err: e.message }, 'cannot restart journalctl');
        this.closed(null, null, Date.now());
      });
    }, this.delay);
    this.retry.unref();
    this.delay = Math.min(this.delay * 2, 60_000);
  }

  private save(): void {
    const cursor = this.cursor;
    if (cursor !== undefined) this.writer.save(() => ({ version: 1, cursor }));
  }
}

export default defineSource({
  type: 'journald',
  summary: 'follow the systemd journal (journalctl -f -o json) for units and identifiers, cursor kept across restarts',
  schema,
  create: (options, ctx) => new JournaldSource(options, ctx),
});
