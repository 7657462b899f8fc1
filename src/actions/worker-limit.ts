/**
 * The arithmetic of raising Apache's worker limit, apart from the doing: the next value (double,
 * or the configured target, bounded by the configured maximum, by what the MPM's ServerLimit
 * lets a graceful reload reach, and by memory: the workers that fit in what is free at the
 * running workers' average size), the memory facts read from /proc, and the one-line edit of the
 * directive where the inspection found it. Shared by raise-worker-limit (graceful, up to
 * ServerLimit) and raise-worker-limit-restart (ServerLimit raised too, then a full restart).
 */
import type { Executor } from '../executors/types.ts';

export interface LimitInputs {
  /** The effective limit now. */
  current: number;
  /** Worker processes running now. */
  running: number;
  /** Configured target; else the current limit doubled. */
  target?: number | undefined;
  maximum: number;
  /** What ServerLimit (× ThreadsPerChild) allows; raising it needs a full restart, not a reload. */
  cap: number;
  /** Threads per worker process (threaded MPMs); 1 for prefork. */
  threadsPerChild: number;
  /** Bytes free for new workers (MemAvailable less the reserve); undefined when unknown. */
  memoryFree?: number | undefined;
  /** Average resident size of one worker process, bytes; undefined when unknown. */
  workerRss?: number | undefined;
}

export type LimitBound = 'double' | 'target' | 'maximum' | 'server-limit' | 'memory';

export interface NextLimit {
  value: number;
  /** What decided the value. */
  boundBy: LimitBound;
  /** The memory bound, when known. */
  memoryBound?: number | undefined;
}

/** The next worker limit (pure). `value <= current` means it cannot be raised. */
export function nextLimit(i: LimitInputs): NextLimit {
  const wanted = i.target ?? i.current * 2;
  const bounds: [LimitBound, number][] = [[i.target !== undefined ? 'target' : 'double', wanted], ['maximum', i.maximum], ['server-limit', i.cap]];
  let memoryBound: number | undefined;
  if (i.memoryFree !== undefined && i.workerRss !== undefined && i.workerRss > 0) {
    memoryBound = (i.running + Math.max(0, Math.floor(i.memoryFree / i.workerRss))) * i.threadsPerChild;
    bounds.push(['memory', memoryBound]);
  }
  let [boundBy, value] = bounds[0]!;
  for (const [b, v] of bounds.slice(1)) if (v < value) [boundBy, value] = [b, v];
  // Threaded MPMs count in whole processes.
  if (i.threadsPerChild > 1) value -= value % i.threadsPerChild;
  return { value, boundBy, memoryBound };
}

/**
 * Apache's compiled-in ceiling for ServerLimit (MAX_SERVER_LIMIT in prefork, worker and event):
 * what a full restart can reach at most, where a graceful reload stops at the running ServerLimit.
 */
export const HARD_SERVER_LIMIT = 20000;

/** The ServerLimit a worker limit needs: one process per worker, or per ThreadsPerChild threads. */
export function serverLimitFor(limit: number, threadsPerChild: number): number {
  return Math.ceil(limit / Math.max(1, threadsPerChild));
}

/** What memory allows new workers: the facts, and the room left once the reserve is kept. */
export interface WorkerMemory {
  /** MemAvailable, bytes. */
  free?: number | undefined;
  /** The running workers' average resident size, bytes. */
  rss?: number | undefined;
  /** `free` less the reserve (never below 0); undefined when `free` is unknown. */
  memoryFree?: number | undefined;
}

/** MemAvailable and the average size of the master's children (the workers), less `reserveMb`. */
export async function workerMemory(exec: Executor, masterPid: number, reserveMb: number): Promise<WorkerMemory> {
  const free = await memAvailable(exec);
  const workers = await exec.run(['ps', '-o', 'pid=', '--ppid', String(masterPid)], { timeoutMs: 10_000 });
  const pids = workers.stdout.split('\n').map((l) => Number(l.trim())).filter((n) => n > 0);
  const rss = await averageRss(exec, pids);
  return { free, rss, memoryFree: free === undefined ? undefined : Math.max(0, free - reserveMb * 1024 * 1024) };
}

/** Bytes of /proc/meminfo's MemAvailable (the kernel's own estimate of what can be used without swapping). */
export async function memAvailable(exec: Executor): Promise<number | undefined> {
  const text = await exec.readFile('/proc/meminfo', { maxBytes: 64 * 1024, timeoutMs: 10_000 }).catch(() => '');
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(text) ?? /^MemFree:\s+(\d+) kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Average VmRSS of these processes, bytes (undefined when none could be read). */
export async function averageRss(exec: Executor, pids: number[]): Promise<number | undefined> {
  const sizes: number[] = [];
  for (const pid of pids.slice(0, 50)) {
    const text = await exec.readFile(`/proc/${pid}/status`, { maxBytes: 16 * 1024, timeoutMs: 10_000 }).catch(() => '');
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(text);
    if (m) sizes.push(Number(m[1]) * 1024);
  }
  return sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : undefined;
}

/**
 * The file's text with the directive on `line` (1-based) set to `to`; everything else, the
 * line's indentation and any trailing comment included, stays byte for byte. Throws when the
 * line is not that directive with that value any more (the file changed since it was read).
 */
export function setDirective(text: string, line: number, directive: string, from: number, to: number): string {
  if (!/^[A-Za-z]+$/.test(directive)) throw new Error(`"${directive}" is not a directive name`);
  const lines = text.split('\n');
  const old = lines[line - 1];
  const re = new RegExp(`^(\\s*${directive}\\s+)(\\d+)(\\s*(?:#.*)?\\r?)$`, 'i');
  const m = old === undefined ? null : re.exec(old);
  if (!m || Number(m[2]) !== from) throw new Error(`line ${line} is not "${directive} ${from}" any more (it reads "${old ?? '(no such line)'}")`);
  lines[line - 1] = `${m[1]}${to}${m[3]}`;
  return lines.join('\n');
}
