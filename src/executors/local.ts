/**
 * local: commands on the machine mamoru runs on. Each command is spawned from its argv (no
 * shell) as the leader of its own process group, so a timeout kills it and everything it
 * started; output is kept up to a cap and a command that keeps talking past it is killed.
 * Commands run with LC_ALL=C: the inspections parse their output, and a translated `ps` or `du`
 * would not parse.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import {
  CappedBuffer,
  checkArgv,
  decode,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  defineExecutor,
  drainLimit,
  ExecutorError,
  KILL_GRACE_MS,
  type Executor,
  type ReadFileOptions,
  type RunOptions,
  type RunResult,
} from './types.ts';

export const schema = z.strictObject({
  env: z.record(z.string(), z.string()).default({}).meta({ description: 'extra environment variables for every command (LC_ALL is C unless set here)' }),
});

type Options = z.output<typeof schema>;

/** Once the command has exited, how long to wait for descendants that still hold its stdout. */
const ORPHAN_WAIT_MS = 1000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

/** Runs one argv; never rejects for a failing command (see RunResult). */
async function runLocal(argv: string[], opts: RunOptions, env: NodeJS.ProcessEnv, running: Set<ChildProcess>): Promise<RunResult> {
  checkArgv(argv);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const drain = drainLimit(cap);
  const t0 = performance.now();
  return new Promise<RunResult>((resolve) => {
    const out = new CappedBuffer(cap);
    const err = new CappedBuffer(cap);
    let timedOut = false;
    let killed = false;
    let settled = false;
    let exited: { code: number | null; signal: string | null } | undefined;
    let orphanTimer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], env });
    running.add(child);

    const finish = (exit: { code: number | null; signal: string | null }) => {
      if (settled) return;
      settled = true;
      running.delete(child);
      clearTimeout(timer);
      clearTimeout(orphanTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      // A killed command's group goes entirely; after a normal exit the group is left alone,
      // since a command may rightly leave a daemon behind (an init script's `start`).
      if (killed) killGroup(child.pid, 'SIGKILL');
      clearTimeout(graceTimer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve({
        code: exit.code,
        signal: exit.signal,
        stdout: out.text(),
        stderr: err.text(),
        truncated: out.overflowed || err.overflowed,
        timedOut,
        durationMs: performance.now() - t0,
      });
    };
    const kill = (hard: boolean) => {
      if (killed) return;
      killed = true;
      if (hard) return killGroup(child.pid, 'SIGKILL');
      killGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
    };
    const onAbort = () => kill(false);
    const timer = setTimeout(() => {
      timedOut = true;
      kill(false);
    }, timeoutMs);
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    if (opts.signal?.aborted) onAbort();

    child.on('error', (e: NodeJS.ErrnoException) => {
      // Nothing was started (ENOENT, EACCES): answer as a shell would, so local and ssh agree.
      const code = e.code === 'ENOENT' ? 127 : e.code === 'EACCES' ? 126 : 127;
      err.push(Buffer.from(`${argv[0]}: ${e.code === 'ENOENT' ? 'not found' : e.code === 'EACCES' ? 'permission denied' : e.message}\n`));
      finish({ code, signal: null });
    });
    const onData = (buf: CappedBuffer) => (d: Buffer) => {
      buf.push(d);
      if (buf.seen > drain) kill(true);
    };
    child.stdout!.on('data', onData(out));
    child.stderr!.on('data', onData(err));
    if (opts.stdin !== undefined) {
      // A command that exits without reading its input is not an error of ours.
      child.stdin!.on('error', () => {});
      child.stdin!.end(opts.stdin);
    }
    child.on('exit', (code, signal) => {
      exited = { code, signal };
      orphanTimer = setTimeout(() => finish(exited!), ORPHAN_WAIT_MS);
    });
    child.on('close', (code, signal) => finish(exited ?? { code, signal }));
  });
}

/** Reads the first or last maxBytes of a regular file (including /proc's, whose size reads as 0). */
export async function readLocalFile(path: string, opts: ReadFileOptions): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fileError(path, e);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new ExecutorError('read-file', `cannot read ${path}: not a regular file`);
    const max = opts.maxBytes;
    if (opts.tail && st.size > 0) {
      const start = Math.max(0, st.size - max);
      const buf = Buffer.alloc(Math.min(max, st.size));
      const { bytesRead } = await fh.read(buf, 0, buf.length, start);
      return decode(buf.subarray(0, bytesRead));
    }
    // Size unknown (/proc) or the head wanted: read in order, keeping at most max bytes.
    const chunks: Buffer[] = [];
    let kept = 0;
    const block = Buffer.alloc(64 * 1024);
    for (;;) {
      const { bytesRead } = await fh.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(block.subarray(0, bytesRead)));
      kept += bytesRead;
      if (!opts.tail && kept >= max) break;
      while (opts.tail && kept - chunks[0]!.length >= max) kept -= chunks.shift()!.length;
    }
    const all = Buffer.concat(chunks, kept);
    return decode(opts.tail ? all.subarray(Math.max(0, all.length - max)) : all.subarray(0, max));
  } catch (e) {
    throw e instanceof ExecutorError ? e : fileError(path, e);
  } finally {
    await fh.close();
  }
}

function fileError(path: string, e: unknown): ExecutorError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? (e as Error).message);
  return new ExecutorError('read-file', `cannot read ${path}: ${why}`, { cause: e });
}

/** The local executor (exported for tests and for the CLI, which needs no config to use it). */
export function createLocalExecutor(options: Partial<Options> = {}): Executor {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', ...options.env };
  const running = new Set<ChildProcess>();
  return {
    name: 'local',
    run: (argv, opts = {}) => runLocal(argv, opts, env, running),
    readFile: readLocalFile,
    async close() {
      for (const c of running) killGroup(c.pid, 'SIGKILL');
    },
  };
}

export default defineExecutor({
  type: 'local',
  summary: 'commands and files on the machine mamoru runs on (argv, process-group timeouts, output caps)',
  schema,
  create: (options) => createLocalExecutor(options),
});
