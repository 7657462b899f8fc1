/**
 * A fake server for the hostile-input tests: an Executor whose files and directory listings
 * are functions of the path, so a test can stand up 2,000 files of 4 MiB, or a directory of
 * 10,000 entries, without holding them. It answers `ls -1Ap -- DIR`, `test -d PATH` and
 * `test -e PATH` as the real tools do (other commands as the test says), reads files within
 * `maxBytes`, and records every argv it was asked to run and every file read, so a test can
 * assert what mamoru executed. `measure` gives the event loop's longest block and the heap's
 * peak while a piece of work runs.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Executor, ReadFileOptions, RunOptions, RunResult } from '../../src/executors/types.ts';
import { ExecutorError } from '../../src/executors/types.ts';

export interface LazyTree {
  /** A file's text, or undefined when there is no such file. */
  file(path: string): string | undefined;
  /** A directory's entries (directories with a trailing "/"), or undefined when it is none. */
  dir(path: string): string[] | undefined;
  /** Other commands' output (`ss -ltnH`...); undefined: not found (127). */
  command?(argv: string[]): string | undefined;
}

/**
 * The text as an executor gives it: flat (decoded from bytes in one piece). A string a test
 * builds with repeat() or join() is a rope that the first search flattens, copying it all in
 * one go; that is the test's cost, not the parser's, so tests flatten their texts first.
 */
export function flat(text: string): string {
  text.indexOf('\n');
  return text;
}

const result = (code: number | null, stdout = '', truncated = false): RunResult => ({ code, signal: null, stdout, stderr: '', truncated, timedOut: false, durationMs: 0 });

export class LazyServer implements Executor {
  readonly name = 'lazy fake server';
  readonly ran: string[][] = [];
  readonly reads: string[] = [];

  constructor(private readonly tree: LazyTree) {}

  async run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    this.ran.push([...argv]);
    const [cmd, ...rest] = argv;
    if (cmd === 'ls' && rest.length === 3 && rest[0] === '-1Ap' && rest[1] === '--') {
      const entries = this.tree.dir(rest[2]!);
      if (!entries) return result(2);
      const max = opts.maxOutputBytes ?? 1024 * 1024;
      let out = '';
      for (const e of entries) {
        if (out.length + e.length + 1 > max) return result(null, out, true);
        out += `${e}\n`;
      }
      return result(0, out);
    }
    // test(1) with one unary operator and one operand: "--" would be a third word and an error.
    if (cmd === 'test' && rest.length === 2 && (rest[0] === '-d' || rest[0] === '-e')) {
      const path = rest[1]!;
      const isDir = this.tree.dir(path) !== undefined;
      return result(isDir || (rest[0] === '-e' && this.tree.file(path) !== undefined) ? 0 : 1);
    }
    if (cmd === 'test') return result(2);
    const out = this.tree.command?.(argv);
    return out === undefined ? result(127) : result(0, out);
  }

  async readFile(path: string, opts: ReadFileOptions): Promise<string> {
    this.reads.push(path);
    const text = this.tree.file(path);
    if (text === undefined) throw new ExecutorError('read-file', `cannot read ${path}: no such file`);
    if (text.length <= opts.maxBytes) return text;
    return opts.tail ? text.slice(-opts.maxBytes) : text.slice(0, opts.maxBytes);
  }

  async close(): Promise<void> {}
}

/** How the event loop and the heap fared while `work` ran. */
export interface Measured<T> {
  value: T;
  /** The longest the event loop was held, by the wall clock: how late a 10 ms interval fired, at worst. */
  longestBlockMs: number;
  /**
   * The same, counting only time this process was on a CPU: a block is at most the CPU time
   * used while the interval waited. On a loaded machine the wall clock also counts the time
   * other processes had the CPU, which no code of ours can give back; this is what we hold.
   */
  longestCpuBlockMs: number;
  /** The wall figure from perf_hooks' delay histogram (its max, less its 10 ms resolution). */
  histogramMaxMs: number;
  /** Highest heapUsed seen, less heapUsed before. */
  peakHeapMiB: number;
  elapsedMs: number;
}

/** CPU time this process used so far, in ms. */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs `work` with a 10 ms interval probing lateness (wall and CPU) and sampling the heap. */
export async function measure<T>(work: () => Promise<T>): Promise<Measured<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let late = 0;
  let cpuLate = 0;
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let last = performance.now();
  let lastCpu = cpuMs();
  const tick = () => {
    const now = performance.now();
    const cpu = cpuMs();
    late = Math.max(late, now - last - 10);
    cpuLate = Math.max(cpuLate, Math.min(now - last - 10, cpu - lastCpu));
    last = now;
    lastCpu = cpu;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  };
  const probe = setInterval(tick, 10);
  const t0 = performance.now();
  try {
    const value = await work();
    tick();
    return { value, longestBlockMs: late, longestCpuBlockMs: cpuLate, histogramMaxMs: Math.max(0, histogram.max / 1e6 - 10), peakHeapMiB: (peak - before) / 2 ** 20, elapsedMs: performance.now() - t0 };
  } finally {
    clearInterval(probe);
    histogram.disable();
  }
}
