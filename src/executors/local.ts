/**
 * local: commands on the machine mamoru runs on. Each command is spawned from its argv (no
 * shell) as the leader of its own process group, so a timeout kills it and everything it
 * started; output is kept up to a cap and a command that keeps talking past it is killed.
 * Commands run with LC_ALL=C: the inspections parse their output, and a translated `ps` or `du`
 * would not parse.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { absolutePath } from '../core/schema.ts';
import { helperControl } from '../helper/client.ts';
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
  helper: absolutePath('the socket of `mamoru helper`')
    .optional()
    .meta({ description: "the socket of `mamoru helper` (/run/mamoru/helper.sock): start, stop, restart, reload and config tests of this target's services are asked of that root helper, which runs the commands its own reading of the config gives; everything else runs as mamoru's user" }),
});

type Options = z.output<typeof schema>;

/** Once the command has exited, how long to wait for descendants that still hold its stdout. */
const ORPHAN_WAIT_MS = 1000;
/**
 * Once a killed command has exited, how long to read what is still in its pipes: its group gets
 * KILL then, so nothing that holds them is waited for. And past the KILL, how long at most to
 * wait for the exit itself (a process stuck in the kernel) before answering without it.
 */
const KILLED_DRAIN_MS = 50;
const KILLED_EXIT_WAIT_MS = 500;

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
    let stuckTimer: NodeJS.Timeout | undefined;

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
      clearTimeout(stuckTimer);
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
    // After the KILL the answer waits for the command's exit only so long (the result says
    // SIGKILL), so a timeout is kept within KILL_GRACE_MS and a little, whatever the command does.
    const hardKill = () => {
      killGroup(child.pid, 'SIGKILL');
      stuckTimer = setTimeout(() => finish(exited ?? { code: null, signal: 'SIGKILL' }), KILLED_EXIT_WAIT_MS);
    };
    const kill = (hard: boolean) => {
      if (killed) return;
      killed = true;
      if (hard) return hardKill();
      killGroup(child.pid, 'SIGTERM');
      graceTimer = setTimeout(hardKill, KILL_GRACE_MS);
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
      orphanTimer = setTimeout(() => finish(exited!), killed ? KILLED_DRAIN_MS : ORPHAN_WAIT_MS);
    });
    child.on('close', (code, signal) => finish(exited ?? { code, signal }));
  });
}

/** Non-blocking, and never through a final symlink (trustedTarget resolves the ones to follow): see readLocalFile. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** What a file that is not regular is, for the message. */
function kindOf(st: Stats): string {
  return st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : st.isDirectory() ? 'a directory' : 'not a file';
}

const notRegular = (path: string, st: Stats) => new ExecutorError('read-file', `cannot read ${path}: not a regular file (${kindOf(st)}); mamoru reads only regular files`);
const untrustedLink = (path: string, why: string) =>
  new ExecutorError('read-file', `cannot read ${path}: it is a symbolic link ${why}; mamoru follows a link only when root (or its own user) made it in a directory no one else can write`);

/** Links followed in a row before giving up (Debian's a2enmod links are one). */
const MAX_LINK_HOPS = 8;

/**
 * The file a path names, following a final symlink only where no one but root (or this
 * process's user) could have put it: the link is theirs and its directory is writable by them
 * alone (or sticky, like /tmp, where others cannot replace their entries). Debian's
 * mods-enabled/x.conf -> ../mods-available/x.conf qualifies; `error.log -> /etc/shadow` planted
 * in a site's logs directory does not. Each hop is checked the same way; the last is returned
 * with its lstat (the caller opens it O_NOFOLLOW, so a link swapped in after this is refused).
 */
async function trustedTarget(path: string): Promise<{ path: string; st: Stats }> {
  const me = process.getuid?.() ?? 0;
  const ours = (uid: number) => uid === 0 || uid === me;
  let p = path;
  for (let hop = 0; ; hop++) {
    const st = await lstat(p);
    if (!st.isSymbolicLink()) return { path: p, st };
    if (hop >= MAX_LINK_HOPS) throw untrustedLink(path, `chain longer than ${MAX_LINK_HOPS} links`);
    if (!ours(st.uid)) throw untrustedLink(path, `(${p}) owned by uid ${st.uid}`);
    const dir = dirname(p);
    const ds = await stat(dir);
    if (!ours(ds.uid) || ((ds.mode & 0o022) !== 0 && (ds.mode & 0o1000) === 0)) throw untrustedLink(path, `(${p}) in ${dir}, which others can write`);
    p = resolve(dir, await readlink(p));
  }
}

/**
 * Reads the first or last maxBytes of a regular file (including /proc's, whose size reads as 0),
 * within `timeoutMs` for the whole read. The path may lie where someone else can write (a site's
 * log directory), so what is there is not trusted:
 * - a symlink at the final component is followed only when root made it where no one else could
 *   (trustedTarget), or root would read whatever a planted link names (/etc/shadow into an
 *   incident's evidence); the file itself is opened O_NOFOLLOW; directories above are followed
 *   as they are, so /proc/PID/... and /proc/net/tcp (through the /proc/self link) still read;
 * - anything but a regular file is refused: `lstat` first, so no device's open routine runs
 *   (opening /dev/watchdog arms it), then `fstat` of what was opened, which is what counts;
 * - the open is O_NONBLOCK: a FIFO swapped in between the two would otherwise hold one of
 *   libuv's four threads until a writer came, and four of them would stop every fs call of the
 *   daemon. On a regular file O_NONBLOCK changes nothing.
 * A read that passes the timeout rejects; the handle is closed as soon as the call that holds it
 * (a hung network filesystem) returns.
 */
export async function readLocalFile(path: string, opts: ReadFileOptions): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const state = { expired: false };
  const reading = readBounded(path, opts, state);
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      state.expired = true;
      reject(new ExecutorError('read-file', `cannot read ${path}: timed out after ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([reading, expiry]);
  } finally {
    clearTimeout(timer);
    // Lost the race: its own error (after the timeout) has no one to hear it.
    reading.catch(() => undefined);
  }
}

async function readBounded(path: string, opts: ReadFileOptions, state: { expired: boolean }): Promise<string> {
  const late = () => {
    if (state.expired) throw new ExecutorError('read-file', `cannot read ${path}: timed out`);
  };
  let fh: FileHandle;
  try {
    const target = await trustedTarget(path);
    if (!target.st.isFile()) throw notRegular(path, target.st);
    late();
    fh = await open(target.path, READ_FLAGS);
  } catch (e) {
    throw e instanceof ExecutorError ? e : fileError(path, e);
  }
  try {
    late();
    const st = await fh.stat();
    if (!st.isFile()) throw notRegular(path, st);
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
      late();
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
    await fh.close().catch(() => undefined);
  }
}

function fileError(path: string, e: unknown): ExecutorError {
  const code = (e as NodeJS.ErrnoException).code;
  // ELOOP: the final component became a symlink between lstat and open (O_NOFOLLOW refused it).
  if (code === 'ELOOP') return new ExecutorError('read-file', `cannot read ${path}: it is a symbolic link (or too many levels of links); not followed`, { cause: e });
  // ENXIO: a socket; EAGAIN: a file under another process's lease, which O_NONBLOCK does not wait for.
  const why =
    code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : code === 'ENXIO' ? 'not a regular file (a socket or a device with nothing behind it)' : code === 'EAGAIN' || code === 'EWOULDBLOCK' ? 'held by another process (a lease); try again' : (code ?? (e as Error).message);
  return new ExecutorError('read-file', `cannot read ${path}: ${why}`, { cause: e });
}

/** The local executor (exported for tests and for the CLI, which needs no config to use it). */
export function createLocalExecutor(options: Partial<Options> = {}): Executor {
  const env: NodeJS.ProcessEnv = { ...process.env, LC_ALL: 'C', ...options.env };
  const running = new Set<ChildProcess>();
  return {
    name: 'local',
    // The service actions ask this helper for what needs root (src/actions/service-commands.ts).
    ...(options.helper ? { helper: helperControl(options.helper) } : {}),
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
