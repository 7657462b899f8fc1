/**
 * Process bookkeeping for the benches: CPU time read from /proc (our own reaped children, or
 * another live process), free loopback ports, and one registry of everything a bench started so
 * that Ctrl-C, a crash or a normal end all leave no nginx, exporter or plugin behind.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`: 100 on Linux). */
export const CLK_TCK = 100;

/** Fields of /proc/<pid>/stat after the command name, which may itself contain spaces and ")". */
function statFields(pid: number | 'self'): string[] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

// statFields()[0] is field 3 (state), so field n is at index n - 3.
const field = (f: string[], n: number): number => Number(f[n - 3]);

/**
 * CPU seconds (user + system) of this process's children that have exited and been waited for:
 * cutime + cstime, fields 16 and 17. Node reaps its children, so a plugin's CPU lands here.
 */
export function reapedChildrenCpu(): number {
  const f = statFields('self');
  return (field(f, 16) + field(f, 17)) / CLK_TCK;
}

/** CPU seconds (user + system, all threads) a live process has used: utime + stime, fields 14, 15. */
export function processCpu(pid: number): number {
  const f = statFields(pid);
  return (field(f, 14) + field(f, 15)) / CLK_TCK;
}

/** A port nothing listens on right now on 127.0.0.1 (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on 127.0.0.1:port, or rejects after `ms`. */
export async function waitForPort(port: number, child: ChildProcess, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before listening on ${port}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const live = new Set<ChildProcess>();
const cleanups: Array<() => void> = [];
let hooked = false;

/** Kills every tracked child (SIGKILL: at exit there is no time to wait) and runs the cleanups. */
function killAll(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  live.clear();
  while (cleanups.length) {
    try {
      cleanups.pop()!();
    } catch {
      /* best effort at exit */
    }
  }
}

function hook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      process.stderr.write(`\n${sig}: stopping every process the bench started\n`);
      killAll();
      process.exit(130);
    });
  }
}

/** Tracks a child so it is killed when the bench exits, however it exits. Returns the child. */
export function track<C extends ChildProcess>(child: C): C {
  hook();
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Runs `fn` (synchronous: removing a temp dir) when the bench exits, however it exits. */
export function atExit(fn: () => void): void {
  hook();
  cleanups.push(fn);
}

/** Stops a child politely (SIGTERM, then SIGKILL after `graceMs`) and waits for it to exit. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(killer);
}
