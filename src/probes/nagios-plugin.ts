/**
 * nagios-plugin: run any Nagios plugin as an argv array (never a shell string), parse its text,
 * long output and perfdata, and map its exit code (anything but 0..3 is UNKNOWN).
 *
 * A plugin is treated as hostile, and these hold whatever it does:
 * - the timeout is kept within a fraction of a second: at the timeout the result is CRITICAL
 *   ("Plugin timed out after N seconds", as Nagios core's default timeout state), the whole
 *   process group gets TERM, then KILL after KILL_GRACE_MS if anything of it is left; nothing
 *   waits for its stdout to close (a descendant that left the group may hold it for ever);
 * - output is capped while it is read: each line at `max_line_length`, everything at
 *   `max_output`, a line or an output cut says so ("line cut", "output cut"), and the result
 *   as printed (text, perfdata, long output and those notes) is at most `max_output` bytes;
 * - escape sequences are removed and control characters replaced by "?" (core/sanitize.ts,
 *   through core/result.ts), invalid UTF-8 by U+FFFD, before the text is printed, stored or shown.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { z } from 'zod';
import { NagiosState, stateFromExitCode, stateName } from '../core/nagios.ts';
import { formatPerfdata } from '../core/perfdata.ts';
import { outcome, parsePluginOutput, type ProbeOutcome } from '../core/result.ts';
import { cutToBytes, decodeText, utf8Boundary } from '../core/sanitize.ts';
import { defineProbe } from './types.ts';

/** The largest output a plugin may be allowed to keep (the bound on max_output itself). */
const MAX_OUTPUT_LIMIT = 16 * 1024 * 1024;

export const schema = z.strictObject({
  command: z.array(z.string()).min(1, 'expected the plugin and its arguments, e.g. ["/usr/lib/nagios/plugins/check_tcp", "-H", "$ADDRESS", "-p", "80"]').meta({
    description: 'the plugin and its arguments as a list; "$ADDRESS" and "$NAME" are replaced by the target\'s',
  }),
  env: z.record(z.string(), z.string()).default({}).meta({ description: 'extra environment variables' }),
  max_output: z.number().int().min(1024).max(MAX_OUTPUT_LIMIT).default(65536).meta({ description: 'bytes of output kept, all lines and notes together; the rest is cut' }),
  max_line_length: z.number().int().min(256).max(MAX_OUTPUT_LIMIT).optional().meta({ description: 'bytes kept of any one line (default: max_output); the rest of the line is cut' }),
});

export default defineProbe({
  type: 'nagios-plugin',
  summary: 'run any Nagios plugin (argv, timeout, output and perfdata parsed)',
  schema,
  positional: 'command',
  run(target, opts, ctx) {
    const argv = opts.command.map((a) => a.replaceAll('$ADDRESS', target.address).replaceAll('$NAME', target.name));
    const limits = { maxOutput: opts.max_output, maxLine: Math.min(opts.max_line_length ?? opts.max_output, opts.max_output) };
    return runPlugin(argv, opts.env, limits, ctx.signal, ctx.timeoutMs);
  },
});

// After TERM, how long the plugin's group has before KILL. It ends early when the plugin and
// everything that held its output are gone (then the rest of the group is killed at once), so
// a plugin that obeys TERM does not hold the caller (the CLI's exit) for the whole grace.
const KILL_GRACE_MS = 200;
// Output drained (and thrown away) past max_output before a plugin that never stops talking is killed.
const DRAIN_FACTOR = 64;
const MIN_DRAIN_BYTES = 16 * 1024 * 1024;
// Once the plugin has exited, how long to wait for descendants that still hold its stdout: what
// it printed before it exited is already in the pipe, so this only has to cover reading it.
const ORPHAN_WAIT_MS = 250;
const STDERR_BYTES = 4096;

type Exit = { code: number | null; sig: NodeJS.Signals | null };

/** Sends a signal to the plugin's whole process group (it runs detached, as its own group). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // already gone
  }
}

/** Stops reading a plugin's pipes: nothing that still holds them can hold the caller. */
function letGo(child: ChildProcess): void {
  for (const s of [child.stdout, child.stderr]) {
    s?.removeAllListeners('data');
    s?.destroy();
  }
}

/**
 * TERM to the whole group, then KILL to whatever of it is left after KILL_GRACE_MS, or as soon
 * as the plugin has exited and every holder of its pipes is gone ('close'). The group cannot be
 * watched any other way: kill(-pgid, 0) still finds the zombies an init that reaps slowly leaves.
 * Meanwhile the pipes are drained but unreferenced, so only the grace timer (which must run:
 * a CLI run must not exit before the KILL of a plugin that ignores TERM) holds the event loop.
 */
function stopGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return letGo(child);
  killGroup(pid, 'SIGTERM');
  for (const s of [child.stdout, child.stderr]) {
    s?.removeAllListeners('data');
    s?.resume();
    (s as Socket | null)?.unref();
  }
  const grace = setTimeout(() => {
    killGroup(pid, 'SIGKILL');
    child.kill('SIGKILL'); // in case it left its group
    letGo(child);
  }, KILL_GRACE_MS);
  child.once('close', () => {
    clearTimeout(grace);
    killGroup(pid, 'SIGKILL');
  });
}

/** What ends a line cut at max_line_length. */
const lineCutNote = (bytes: number) => ` … (line of ${bytes} bytes cut)`;
const LINE_CUT_NOTE = / … \(line of \d+ bytes cut\)$/;

/**
 * A plugin's stdout kept while it is read, in bounded memory (never more than max_output): each
 * line up to maxLine bytes (a longer one ends in a "line cut" note, cut between characters),
 * everything up to maxOutput bytes; the rest is counted, not kept.
 */
export class CappedOutput {
  private buf = Buffer.alloc(0);
  /** Bytes kept (notes included). */
  len = 0;
  /** Bytes the plugin printed. */
  seen = 0;
  /** Something past max_output was dropped (not just the end of a cut line). */
  cut = false;
  private lineStart = 0;
  private lineSeen = 0;
  private full = false;
  constructor(
    private readonly maxOutput: number,
    private readonly maxLine: number,
  ) {}

  push(d: Buffer): void {
    this.seen += d.length;
    let i = 0;
    while (i < d.length) {
      const nl = d.indexOf(10, i);
      const seg = d.subarray(i, nl === -1 ? d.length : nl);
      if (this.full) {
        if (seg.length) this.cut = true;
      } else {
        const lineRoom = this.maxLine - (this.len - this.lineStart);
        const totalRoom = this.maxOutput - this.len;
        const take = Math.max(0, Math.min(seg.length, lineRoom, totalRoom));
        this.append(seg.subarray(0, take));
        // Where the line limit binds first (or both at once), the line's own note says so.
        if (take < seg.length && totalRoom < lineRoom) this.cut = this.full = true;
      }
      this.lineSeen += seg.length;
      if (nl === -1) break;
      this.endLine(true);
      i = nl + 1;
    }
  }

  /** Bytes of memory held for the output (at most max_output). */
  get allocated(): number {
    return this.buf.length;
  }

  /** What was kept, the last line closed. */
  bytes(): Buffer {
    if (this.lineSeen > 0) this.endLine(false);
    return this.buf.subarray(0, this.len);
  }

  private endLine(newline: boolean): void {
    const kept = this.len - this.lineStart;
    if (this.full) {
      if (this.lineSeen > kept) this.cut = true;
    } else if (this.lineSeen > kept) {
      // Cut by the line limit: the line's end makes room for a note saying so.
      const note = Buffer.from(lineCutNote(this.lineSeen));
      const line = this.buf.subarray(this.lineStart, this.len);
      this.len = this.lineStart + utf8Boundary(line, Math.max(0, kept - note.length));
      this.append(note);
    }
    if (newline && !this.full) {
      if (this.len < this.maxOutput) this.append(Buffer.from('\n'));
      else this.full = true;
    }
    this.lineStart = this.len;
    this.lineSeen = 0;
  }

  private append(part: Buffer): void {
    // Never past the cap, whatever the caller computed.
    if (part.length > this.maxOutput - this.len) part = part.subarray(0, Math.max(0, this.maxOutput - this.len));
    if (!part.length) return;
    if (this.len + part.length > this.buf.length) {
      const grown = Buffer.alloc(Math.min(this.maxOutput, Math.max(this.len + part.length, this.buf.length * 2, 4096)));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    part.copy(this.buf, this.len);
    this.len += part.length;
  }
}

/**
 * Runs a plugin (argv, no shell) and turns what it printed and how it ended into a result.
 * Never rejects: a plugin that cannot start, hangs, crashes or babbles is a result with the reason.
 */
export function runPlugin(argv: string[], env: Record<string, string>, limits: { maxOutput: number; maxLine: number }, signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  const cmd = argv[0]!;
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    const out = new CappedOutput(limits.maxOutput, limits.maxLine);
    const errParts: Buffer[] = [];
    let errKept = 0;
    let exited: Exit | undefined;
    let orphanTimer: NodeJS.Timeout | undefined;
    const drainLimit = Math.max(MIN_DRAIN_BYTES, limits.maxOutput * DRAIN_FACTOR);
    const end = (exit: Exit | undefined, problem?: string) => finish(out, Buffer.concat(errParts, errKept), exit, limits.maxOutput, problem);

    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    } catch (e) {
      // Arguments spawn refuses outright (a NUL byte in an argument).
      resolve(outcome(NagiosState.UNKNOWN, `UNKNOWN - cannot run "${cmd}": ${(e as Error).message}`));
      return;
    }

    // The caller has its answer at once; what is left of the plugin is stopped by the caller
    // of done (stopGroup or letGo), never waited for.
    const done = (r: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(orphanTimer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    const onAbort = () => {
      if (settled) return;
      const wasExited = exited;
      stopGroup(child);
      // It exited in time and only a straggler held stdout: its own answer stands.
      if (wasExited) return done(end(wasExited));
      const seconds = Math.round(timeoutMs / 100) / 10;
      const reason = signal.reason as Error | undefined;
      done(
        reason instanceof Error && reason.message === 'timeout'
          ? outcome(NagiosState.CRITICAL, `CRITICAL - Plugin timed out after ${seconds} seconds`)
          : outcome(NagiosState.UNKNOWN, 'UNKNOWN - plugin stopped: the check was cancelled'),
      );
    };

    child.on('error', (e: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here; nothing was started, so nothing to kill.
      done(outcome(NagiosState.UNKNOWN, `UNKNOWN - cannot run "${cmd}": ${e.code ?? e.message}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      out.push(d);
      if (out.seen > drainLimit && !settled) {
        const r = end(undefined, `plugin printed more than ${drainLimit} bytes and was killed`);
        stopGroup(child);
        done(r);
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (errKept >= STDERR_BYTES) return;
      const part = Buffer.from(d.subarray(0, STDERR_BYTES - errKept));
      errParts.push(part);
      errKept += part.length;
    });
    child.on('exit', (code, sig) => {
      exited = { code, sig };
      if (settled) return;
      // A descendant left running may hold stdout open: do not wait for it for ever.
      orphanTimer = setTimeout(() => {
        done(end(exited));
        killGroup(child.pid, 'SIGKILL');
        letGo(child);
      }, ORPHAN_WAIT_MS);
    });
    child.on('close', (code, sig) => done(end(exited ?? { code, sig })));
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();
  });
}

function finish(out: CappedOutput, stderr: Buffer, exit: Exit | undefined, maxOutput: number, problem?: string): ProbeOutcome {
  const parsed = parsePluginOutput(decodeText(out.bytes()));
  const notes: string[] = parsed.perfErrors.map((e) => `(bad perfdata dropped: ${e})`);
  if (out.cut) notes.push(`(output cut to max_output, ${maxOutput} bytes, of ${out.seen} printed)`);
  let state: NagiosState;
  let reason: string | undefined = problem;
  if (problem || !exit) state = NagiosState.UNKNOWN;
  else if (exit.sig) {
    state = NagiosState.UNKNOWN;
    reason = `plugin killed by ${exit.sig}`;
  } else {
    state = stateFromExitCode(exit.code);
    if (state === NagiosState.UNKNOWN && exit.code !== 3) reason = `plugin exited with code ${exit.code}`;
  }
  let text = parsed.text;
  if (!text) {
    const err = decodeText(stderr).split('\n').find((l) => l.trim());
    // Nagios core's own words for a silent plugin, plus stderr when that says why.
    text = err ? `(No output on stdout) stderr: ${err.trim()}` : '(No output returned from plugin)';
    text = reason ? `${stateName(state)} - ${reason}: ${text}` : `${stateName(state)} - ${text}`;
  } else if (reason) text = `${stateName(state)} - ${reason}: ${text}`;
  const r = outcome(state, text, parsed.perfdata);
  return fitOutput(r, parsed.longOutput ?? '', notes, maxOutput);
}

const bytesOf = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Makes the result, as printed (`TEXT | PERF` then the long output and the notes), at most
 * maxOutput bytes: the long output gives way first, then perfdata, then the end of the text;
 * the notes (what was cut or dropped) always stay.
 */
export function fitOutput(r: ProbeOutcome, longOutput: string, notes: string[], maxOutput: number): ProbeOutcome {
  const size = (text: string, perf: string, long: string) => bytesOf(text) + (perf ? 3 + bytesOf(perf) : 0) + (long ? 1 + bytesOf(long) : 0);
  const join = (...parts: string[]) => parts.filter(Boolean).join('\n');
  let perf = formatPerfdata(r.perfdata);
  if (size(r.text, perf, join(longOutput, ...notes)) <= maxOutput) return { ...r, longOutput: join(longOutput, ...notes) || undefined };
  if (!notes.some((n) => n.startsWith('(output cut'))) notes = [...notes, `(output cut to max_output, ${maxOutput} bytes)`];
  let perfdata = r.perfdata;
  const noteBytes = bytesOf(join(...notes)) + 1;
  if (size(r.text, perf, '') + noteBytes > maxOutput && perf) {
    perfdata = [];
    perf = '';
    notes = [...notes, '(perfdata dropped: too long for max_output)'];
  }
  const fixed = bytesOf(join(...notes)) + 1 + (perf ? 3 + bytesOf(perf) : 0);
  // A line-cut note at the end of the text stays: the words before it give way.
  const lineNote = LINE_CUT_NOTE.exec(r.text)?.[0] ?? '';
  const text = cutToBytes(r.text.slice(0, r.text.length - lineNote.length), maxOutput - fixed - bytesOf(lineNote)) + lineNote;
  const room = maxOutput - fixed - bytesOf(text) - 1;
  const long = room > 0 ? cutToBytes(longOutput, room).replace(/\n+$/, '') : '';
  return { state: r.state, text, perfdata, longOutput: join(long, ...notes) };
}
