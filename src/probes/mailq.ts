/**
 * mailq: how many messages wait in this machine's mail queue, with warning and critical counts,
 * in check_mailq's words (`WARNING: postfix mailq is 12 (threshold w = 10)`, perfdata
 * `unsent=12;10;20;0`). Each mailer is one entry of `mailers` (the command to list the queue
 * and how to read its count), so exim or sendmail is one more entry, not another probe.
 *
 * A queue of a million messages lists as a hundred megabytes: only the listing's tail is kept,
 * where Postfix writes the count.
 */
import { spawn } from 'node:child_process';
import { z } from 'zod';
import { NagiosState } from '../core/nagios.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { timeoutSeconds } from './tcp-errors.ts';
import { defineProbe } from './types.ts';

const count = (description: string) => z.number({ error: 'expected a number of messages' }).int().min(0).meta({ description });

export const schema = z
  .strictObject({
    mailer: z.enum(['postfix']).default('postfix').meta({ description: 'the mail server whose queue is counted' }),
    config_directory: z.string().min(1).optional().meta({ description: "the mailer's configuration directory, for a second instance (postqueue -c)" }),
    warning: count('WARNING when the queue holds at least this many messages').optional(),
    critical: count('CRITICAL when the queue holds at least this many messages').optional(),
  })
  .refine((o) => o.warning === undefined || o.critical === undefined || o.warning < o.critical, {
    message: 'warning must be below critical',
    path: ['warning'],
  });

type Options = z.output<typeof schema>;

interface Mailer {
  /** The command that lists the queue. */
  argv(o: Options): string[];
  /** The number of queued messages in the listing's tail, or undefined when it does not say. */
  count(tail: string): number | undefined;
}

export const mailers: Record<Options['mailer'], Mailer> = {
  postfix: {
    argv: (o) => ['postqueue', ...(o.config_directory ? ['-c', o.config_directory] : []), '-p'],
    // The last line is "-- 12 Kbytes in 34 Requests." (or "Request."), or "Mail queue is empty".
    count(tail) {
      if (/Mail queue is empty\s*$/.test(tail)) return 0;
      const m = /Kbytes in (\d+) Requests?\.?\s*$/.exec(tail);
      return m ? Number(m[1]) : undefined;
    },
  },
};

/** Bytes of the listing kept: the count is on its last line. */
const TAIL_BYTES = 4096;
const STDERR_BYTES = 2048;
/** The usual places of the mailers' commands, for a PATH that lacks sbin (a service's PATH often does). */
const SBIN_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface Listing {
  code: number | null;
  tail: string;
  stderr: string;
  error?: NodeJS.ErrnoException;
  aborted: boolean;
}

function list(argv: string[], signal: AbortSignal): Promise<Listing> {
  return new Promise((resolve) => {
    let tail = '';
    let stderr = '';
    let error: NodeJS.ErrnoException | undefined;
    const env = { ...process.env, PATH: `${process.env.PATH ?? ''}:${SBIN_PATH}`, LC_ALL: 'C' };
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env, signal, killSignal: 'SIGKILL' });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (tail = (tail + d).slice(-TAIL_BYTES)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-STDERR_BYTES)));
    child.on('error', (e) => (error ??= e as NodeJS.ErrnoException));
    child.on('close', (code) => resolve({ code, tail, stderr: stderr.trim(), aborted: signal.aborted, ...(error && !signal.aborted ? { error } : {}) }));
  });
}

function judge(n: number, o: Options): ProbeOutcome {
  const name = `${o.mailer} mailq`;
  const perf = [{ label: 'unsent', value: n, unit: '', warn: o.warning === undefined ? undefined : { start: 0, end: o.warning, inside: false }, crit: o.critical === undefined ? undefined : { start: 0, end: o.critical, inside: false }, min: 0 }];
  if (o.critical !== undefined && n >= o.critical) return outcome(NagiosState.CRITICAL, `CRITICAL: ${name} is ${n} (threshold c = ${o.critical})`, perf);
  if (o.warning !== undefined && n >= o.warning) return outcome(NagiosState.WARNING, `WARNING: ${name} is ${n} (threshold w = ${o.warning})`, perf);
  if (n === 0) return outcome(NagiosState.OK, `OK: ${name} reports queue is empty`, perf);
  if (o.warning === undefined && o.critical === undefined) return outcome(NagiosState.OK, `OK: ${name} is ${n}`, perf);
  return outcome(NagiosState.OK, `OK: ${name} (${n}) is below threshold (${o.warning ?? '-'}/${o.critical ?? '-'})`, perf);
}

async function probeMailq(o: Options, signal: AbortSignal, timeoutMs: number): Promise<ProbeOutcome> {
  const mailer = mailers[o.mailer];
  const argv = mailer.argv(o);
  const shown = argv.join(' ');
  const said = (stderr: string) => (stderr ? `: ${stderr.split('\n').pop()}` : '');
  const r = await list(argv, signal);
  // check_mailq's own choice: a queue listing that hangs is WARNING, not CRITICAL.
  if (r.aborted) return outcome(NagiosState.WARNING, `WARNING: timed out waiting for ${shown} after ${timeoutSeconds(timeoutMs)} seconds`);
  if (r.error?.code === 'ENOENT') return outcome(NagiosState.UNKNOWN, `UNKNOWN: ${argv[0]} not found: is ${o.mailer} installed?`);
  if (r.error) return outcome(NagiosState.UNKNOWN, `UNKNOWN: could not run ${shown}: ${r.error.message}`);
  if (r.code !== 0) return outcome(NagiosState.CRITICAL, `CRITICAL: Error code ${r.code ?? 'signal'} returned from ${shown}${said(r.stderr)}`);
  const n = mailer.count(r.tail);
  if (n === undefined) return outcome(NagiosState.UNKNOWN, `UNKNOWN: Couldn't match ${shown} output${said(r.stderr)}`);
  return judge(n, o);
}

export default defineProbe({
  type: 'mailq',
  summary: 'local mail queue length with warning/critical counts (like check_mailq)',
  schema,
  shortFlags: { warning: 'w', critical: 'c', mailer: 'M', config_directory: 'd' },
  run(_target, options, ctx) {
    return probeMailq(options, ctx.signal, ctx.timeoutMs);
  },
});
