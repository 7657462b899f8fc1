/**
 * The daemon's side of `mamoru helper`: one request over the unix socket, one answer, bounded in
 * size and time. The local executor carries it when its `helper` option names the socket, and
 * the service actions route the commands of a configured service through it
 * (src/actions/service-commands.ts): the request is a verb and a name, the command is the
 * helper's own reading of the config.
 */
import { connect } from 'node:net';
import type { Executor, RunResult } from '../executors/types.ts';
import { MAX_ANSWER_BYTES, VERBS, type HelperAnswer, type HelperRequest, type HelperVerb } from './protocol.ts';

/** How long past the command's own timeout the answer is awaited (the helper's kill grace, its start-up). */
const ANSWER_GRACE_MS = 5000;

/** Sends one request and reads its answer; never rejects (a failure is `{ ok: false, error }`). */
export function askHelper(socket: string, req: HelperRequest, timeoutMs: number, signal?: AbortSignal): Promise<HelperAnswer> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let done = false;
    const sock = connect(socket);
    const finish = (a: HelperAnswer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(a);
    };
    const onAbort = () => finish({ ok: false, error: 'aborted before the helper answered (the command may still finish)' });
    const timer = setTimeout(() => finish({ ok: false, error: `no answer from the helper within ${timeoutMs + ANSWER_GRACE_MS} ms (the command may still finish)` }), timeoutMs + ANSWER_GRACE_MS);
    signal?.addEventListener('abort', onAbort, { once: true });
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'no such socket: is mamoru-helper running?' : e.code === 'EACCES' ? "permission denied: the daemon's user must be in the socket's group" : e.code === 'ECONNREFUSED' ? 'connection refused: is mamoru-helper running?' : (e.code ?? e.message);
      finish({ ok: false, error: `cannot reach the helper at ${socket}: ${why}` });
    });
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > MAX_ANSWER_BYTES) finish({ ok: false, error: `the helper's answer is longer than ${MAX_ANSWER_BYTES} bytes` });
        return;
      }
      try {
        finish(JSON.parse(buf.subarray(0, nl).toString('utf8')) as HelperAnswer);
      } catch {
        finish({ ok: false, error: 'the helper answered something that is not JSON' });
      }
    });
    sock.on('close', () => finish({ ok: false, error: 'the helper closed the connection without an answer' }));
  });
}

/** Runs a verb for a service through the helper, told as a command's result (a refusal: exit 126 with the reason). */
export type HelperControl = (verb: HelperVerb, service: string, opts: { timeoutMs: number; signal?: AbortSignal | undefined }) => Promise<RunResult>;

export function helperControl(socket: string): HelperControl {
  return async (verb, service, opts) => {
    const t0 = performance.now();
    const a = await askHelper(socket, { verb, service }, opts.timeoutMs, opts.signal);
    if (!a.ok) return { code: 126, signal: null, stdout: '', stderr: `mamoru helper: ${a.error}`, truncated: false, timedOut: false, durationMs: performance.now() - t0 };
    return { code: a.code, signal: a.signal, stdout: a.stdout, stderr: a.stderr, truncated: a.truncated, timedOut: a.timed_out, durationMs: a.duration_ms };
  };
}

/** The first word of a command that goes to the helper (what the action records and dry runs show). */
export const HELPER_PROGRAM = 'mamoru-helper';

/** The helper an executor carries (a local executor with `helper:` set), if any. */
export function helperOf(exec: Executor): HelperControl | undefined {
  return (exec as { helper?: HelperControl }).helper;
}

/** The request a candidate argv stands for (`mamoru-helper VERB SERVICE`), or undefined for a command to run. */
export function helperRequestOf(argv: string[]): HelperRequest | undefined {
  if (argv.length !== 3 || argv[0] !== HELPER_PROGRAM || !(VERBS as readonly string[]).includes(argv[1]!)) return undefined;
  return { verb: argv[1] as HelperVerb, service: argv[2]! };
}
