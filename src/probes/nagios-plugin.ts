/**
 * nagios-plugin: run any Nagios plugin as an argv array (never a shell string), parse its text,
 * long output and perfdata, and map its exit code (anything but 0..3 is UNKNOWN).
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { NagiosState, stateFromExitCode, stateName } from '../core/nagios.ts';
import { outcome, parsePluginOutput, type ProbeOutcome } from '../core/result.ts';
import { defineProbe } from './types.ts';

export const schema = z.strictObject({
  command: z.array(z.string()).min(1, 'expected the plugin and its arguments, e.g. ["/usr/lib/nagios/plugins/check_tcp", "-H", "$ADDRESS", "-p", "80"]').meta({
    description: 'the plugin and its arguments as a list; "$ADDRESS" and "$NAME" are replaced by the target\'s',
  }),
  env: z.record(z.string(), z.string()).default({}).meta({ description: 'extra environment variables' }),
  max_output: z.number().int().min(1024).default(65536).meta({ description: 'bytes of output kept; the rest is cut' }),
});

export default defineProbe({
  type: 'nagios-plugin',
  summary: 'run any Nagios plugin (argv, timeout, output and perfdata parsed)',
  schema,
  positional: 'command',
  run(target, opts, ctx) {
    const argv = opts.command.map((a) => a.replaceAll('$ADDRESS', target.address).replaceAll('$NAME', target.name));
    return runPlugin(argv, opts.env, opts.max_output, ctx.signal, ctx.timeoutMs);
  },
});

// How long a plugin has to go after SIGTERM before SIGKILL.
const KILL_GRACE_MS = 500;
// Output drained (and thrown away) past max_output before a plugin that never stops talking is killed.
const DRAIN_FACTOR = 64;
const MIN_DRAIN_BYTES = 16 * 1024 * 1024;
// Once the plugin has exited, how long to wait for descendants that still hold its stdout.
const ORPHAN_WAIT_MS = 1000;
const STDERR_BYTES = 4096;

/** Sends a signal to the plugin's whole process group (it runs detached, as its own group). */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Kills a process group politely, then for sure. */
function terminate(pid: number | undefined): void {
  killGroup(pid, 'SIGTERM');
  setTimeout(() => killGroup(pid, 'SIGKILL'), KILL_GRACE_MS);
}

/** Text a person can read: invalid UTF-8 replaced, control characters (bar newline and tab) dropped. */
export function cleanText(bytes: Buffer): string {
  return new TextDecoder('utf-8', { fatal: false })
    .decode(bytes)
    .replace(/\r\n/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '');
}

/**
 * Runs a plugin (argv, no shell) and turns what it printed and how it ended into a result.
 * Never rejects: a plugin that cannot start, hangs, crashes or babbles is a result with the reason.
 */
export function runPlugin(argv: string[], env: Record<string, string>, maxOutput: number, signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  const cmd = argv[0]!;
  return new Promise<ProbeOutcome>((resolve) => {
    let settled = false;
    const chunks: Buffer[] = [];
    let kept = 0;
    let seen = 0;
    let stderr = '';
    let exited: { code: number | null; sig: NodeJS.Signals | null } | undefined;
    let orphanTimer: NodeJS.Timeout | undefined;
    const drainLimit = Math.max(MIN_DRAIN_BYTES, maxOutput * DRAIN_FACTOR);

    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, argv.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    } catch (e) {
      // Arguments spawn refuses outright (a NUL byte in an argument).
      resolve(outcome(NagiosState.UNKNOWN, `UNKNOWN - cannot run "${cmd}": ${(e as Error).message}`));
      return;
    }

    const done = (r: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(orphanTimer);
      signal.removeEventListener('abort', onAbort);
      child.stdout?.removeAllListeners('data');
      child.stderr?.removeAllListeners('data');
      child.stdout?.resume();
      child.stderr?.resume();
      resolve(r);
    };
    const onAbort = () => {
      terminate(child.pid);
      const seconds = Math.round(timeoutMs / 100) / 10;
      const reason = signal.reason as Error | undefined;
      done(
        reason instanceof Error && reason.message === 'timeout'
          ? outcome(NagiosState.CRITICAL, `CRITICAL - Plugin timed out after ${seconds} seconds`)
          : outcome(NagiosState.UNKNOWN, 'UNKNOWN - plugin stopped: the check was cancelled'),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    if (signal.aborted) onAbort();

    child.on('error', (e: NodeJS.ErrnoException) => {
      // Spawn failures (ENOENT, EACCES) come here; nothing was started, so nothing to kill.
      done(outcome(NagiosState.UNKNOWN, `UNKNOWN - cannot run "${cmd}": ${e.code ?? e.message}`));
    });
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.length;
      if (kept < maxOutput) {
        const part = d.subarray(0, maxOutput - kept);
        chunks.push(part);
        kept += part.length;
      }
      if (seen > drainLimit) {
        terminate(child.pid);
        done(finish(chunks, kept, seen, stderr, undefined, `plugin printed more than ${drainLimit} bytes and was killed`));
      }
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < STDERR_BYTES) stderr += d.toString('utf8').slice(0, STDERR_BYTES - stderr.length);
    });
    child.on('exit', (code, sig) => {
      exited = { code, sig };
      // A descendant left running may hold stdout open: do not wait for it for ever.
      orphanTimer = setTimeout(() => {
        killGroup(child.pid, 'SIGKILL');
        done(finish(chunks, kept, seen, stderr, exited));
      }, ORPHAN_WAIT_MS);
    });
    child.on('close', (code, sig) => done(finish(chunks, kept, seen, stderr, exited ?? { code, sig })));
  });
}

function finish(chunks: Buffer[], kept: number, seen: number, stderr: string, exit: { code: number | null; sig: NodeJS.Signals | null } | undefined, problem?: string): ProbeOutcome {
  const parsed = parsePluginOutput(cleanText(Buffer.concat(chunks, kept)));
  const notes: string[] = parsed.perfErrors.map((e) => `(bad perfdata dropped: ${e})`);
  if (seen > kept) notes.push(`(output cut after ${kept} of ${seen} bytes)`);
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
    const err = cleanText(Buffer.from(stderr)).split('\n').find((l) => l.trim());
    // Nagios core's own words for a silent plugin, plus stderr when that says why.
    text = err ? `(No output on stdout) stderr: ${err.trim()}` : '(No output returned from plugin)';
    text = reason ? `${stateName(state)} - ${reason}: ${text}` : `${stateName(state)} - ${text}`;
  } else if (reason) text = `${stateName(state)} - ${reason}: ${text}`;
  const longOutput = [parsed.longOutput, ...notes].filter(Boolean).join('\n') || undefined;
  return outcome(state, text, parsed.perfdata, longOutput);
}
