/**
 * The one interface runbooks, inspections and actions use to touch a server (style.md 6): run
 * an argv and read a file, here or over SSH, always with a timeout and an output cap. An argv is
 * never a shell string: a word taken from an alert or a log line stays one argument however it is
 * spelled. Executors are a plugin family (`{ type, summary, schema, create }`); only the daemon
 * picks one per target.
 */
import type { z } from 'zod';
import type { Logger } from 'pino';
import type { SecretLookup } from '../core/secrets.ts';

/** Bounds of one command. */
export interface RunOptions {
  /** The command is killed (its whole process group) after this long. @defaultValue 30000 */
  timeoutMs?: number;
  /** Bytes kept of stdout and of stderr each; the rest is dropped and `truncated` set. @defaultValue 1048576 */
  maxOutputBytes?: number;
  /** Written to the command's stdin, which is then closed; without it stdin is empty. */
  stdin?: string | Buffer;
  /** Aborting kills the command as a timeout does (but `timedOut` stays false). */
  signal?: AbortSignal;
}

/** How a command ended and what it printed. A command that fails is a result, not an exception. */
export interface RunResult {
  /** Exit code, or null when a signal ended it. 127: not found, 126: not executable (as a shell says). */
  code: number | null;
  /** The signal that ended it (`SIGKILL`), or null. */
  signal: string | null;
  stdout: string;
  stderr: string;
  /** Output beyond `maxOutputBytes` was dropped (a command that kept talking is killed). */
  truncated: boolean;
  /** The timeout passed and the command was killed. */
  timedOut: boolean;
  durationMs: number;
}

export interface ReadFileOptions {
  /** At most this many bytes are returned. */
  maxBytes: number;
  /** The last `maxBytes` rather than the first (a log's recent end). @defaultValue false */
  tail?: boolean;
  /** @defaultValue 30000 */
  timeoutMs?: number;
}

/** Runs commands and reads files on one server. */
export interface Executor {
  /** Where commands run, for evidence and logs: `local` or `ssh root@10.0.0.5:22`. */
  readonly name: string;
  /** Runs argv[0] with the rest as its arguments, never through a shell of ours. */
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  /** A file's text (first or last `maxBytes`); throws ExecutorError when it cannot be read. */
  readFile(path: string, opts: ReadFileOptions): Promise<string>;
  /** Ends connections and kills what is still running. */
  close(): Promise<void>;
}

export interface ExecutorContext {
  /** Reads a secret named by an option ending in `_secret` (a key's passphrase). */
  secret: SecretLookup;
  log: Logger;
}

export interface ExecutorDefinition<S extends z.ZodObject = z.ZodObject> {
  /** Equals the file name and the config discriminator. */
  type: string;
  /** One line for the CLI help and the docs. */
  summary: string;
  schema: S;
  create(options: z.output<S>, ctx: ExecutorContext): Executor;
}

/** Identity helper that keeps the option types of each executor. */
export function defineExecutor<S extends z.ZodObject>(def: ExecutorDefinition<S>): ExecutorDefinition<S> {
  return def;
}

/** Why an executor could not do what was asked: `kind` for code, the message for a person. */
export type ExecutorErrorKind = 'host-key-unknown' | 'host-key-mismatch' | 'host-key-revoked' | 'connect' | 'auth' | 'config' | 'read-file' | 'closed';

export class ExecutorError extends Error {
  constructor(
    readonly kind: ExecutorErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ExecutorError';
  }
}

/** Defaults shared by the executors so a run means the same wherever it happens. */
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
/** After TERM, how long a command has before KILL. */
export const KILL_GRACE_MS = 1000;
/**
 * Output drained (and dropped) past the cap before a command that keeps talking is killed: a
 * command slightly over the cap still ends on its own with its real exit code.
 */
export function drainLimit(maxOutputBytes: number): number {
  return Math.max(maxOutputBytes * 8, 4 * 1024 * 1024);
}

/**
 * Text a person (and a parser) can read from raw output: invalid UTF-8 replaced. Kept separate
 * from the byte cap so a multi-byte character cut at the cap becomes one replacement character.
 */
export function decode(bytes: Buffer): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

/** Collects a stream's bytes up to a cap and counts what went past it. */
export class CappedBuffer {
  private chunks: Buffer[] = [];
  kept = 0;
  seen = 0;
  constructor(private readonly cap: number) {}
  push(d: Buffer): void {
    this.seen += d.length;
    if (this.kept >= this.cap) return;
    const part = d.length > this.cap - this.kept ? d.subarray(0, this.cap - this.kept) : d;
    this.chunks.push(part);
    this.kept += part.length;
  }
  get overflowed(): boolean {
    return this.seen > this.kept;
  }
  text(): string {
    return decode(Buffer.concat(this.chunks, this.kept));
  }
}

/**
 * Refuses an argv no executor can pass on faithfully: empty, a program name starting with "-",
 * or a NUL byte (which would cut an argument short, locally and on the remote side alike).
 */
export function checkArgv(argv: string[]): void {
  if (argv.length === 0 || argv[0] === '') throw new ExecutorError('config', 'run: the argv is empty; give the program and its arguments as a list');
  // A remote shell's `exec` would read a leading "-" as its own option; no program is named so.
  if (argv[0]!.startsWith('-')) throw new ExecutorError('config', `run: the program name "${argv[0]}" starts with "-"; give a program name or path`);
  const bad = argv.findIndex((a) => a.includes('\0'));
  if (bad >= 0) throw new ExecutorError('config', `run: argument ${bad} of "${argv[0]}" contains a NUL byte, which no program can receive`);
}
