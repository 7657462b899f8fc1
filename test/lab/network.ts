/**
 * The lab's network: namespaces this test run creates, joined by a bridge in the root namespace
 * (the `monitor`, where mamoru runs). `server` is the client's server, `attacker` attacks it,
 * `client` is a legitimate user. One /24 and one IPv6 /64 per lab, chosen from the process id so
 * two runs at once do not collide; everything is torn down on destroy(), on process exit, and
 * by the next lab when a killed run left something behind. No namespace has a default route:
 * traffic never leaves this machine.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type HostName = 'server' | 'attacker' | 'client';

export interface LabHost {
  name: HostName;
  /** The network namespace's name (`ip netns exec NS ...`). */
  ns: string;
  ip: string;
  ip6: string;
  /** Runs argv inside the namespace and returns stdout; throws with stderr on failure. */
  exec(argv: string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): string;
  /** Like exec, but never throws: exit status and output. */
  run(argv: string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): { status: number | null; stdout: string; stderr: string };
  /** Starts a long-running process inside the namespace; it is killed on destroy(). */
  spawn(argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Drops every packet that reaches this host (it looks powered off). */
  dropAll(): void;
  /** Undoes dropAll(). */
  restore(): void;
}

export interface Lab {
  id: string;
  /** This machine's address on the lab network. */
  monitorIp: string;
  monitorIp6: string;
  server: LabHost;
  attacker: LabHost;
  client: LabHost;
  /** A temporary directory for daemons' configs, data and logs; removed on destroy(). */
  dir: string;
  /** Runs a function at destroy(), latest first (daemons register their stop here). */
  onDestroy(fn: () => void | Promise<void>): void;
  destroy(): Promise<void>;
}

const PREFIX = 'mlab';
const hostNumbers: Record<HostName, number> = { server: 10, attacker: 66, client: 20 };
let counter = 0;
/** Labs not yet destroyed, with their synchronous teardown (all that can run at process exit). */
const live = new Map<Lab, () => void>();

function ip(args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function tryIp(args: string[]): void {
  spawnSync('ip', args, { stdio: 'ignore' });
}

function killNamespace(ns: string): void {
  const pids = spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ?? [];
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  tryIp(['netns', 'del', ns]);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Removes namespaces and bridges left by lab runs whose process is gone (a killed test). */
export function sweepStale(): void {
  const names = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? '';
  for (const line of names.split('\n')) {
    const m = new RegExp(`^(${PREFIX}(\\d+)x\\d+)-\\w+`).exec(line);
    if (m && !alive(Number(m[2]))) {
      killNamespace(line.split(' ')[0]!);
      tryIp(['link', 'del', `${m[1]}`.slice(0, 15)]);
    }
  }
}

function makeHost(lab: { id: string; subnet: string; subnet6: string; children: ChildProcess[] }, name: HostName, bridge: string): LabHost {
  const ns = `${lab.id}-${name}`;
  const n = hostNumbers[name];
  const outer = `${lab.id.slice(-10)}${name[0]}`.slice(0, 15);
  ip(['netns', 'add', ns]);
  ip(['link', 'add', outer, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  ip(['link', 'set', outer, 'master', bridge, 'up']);
  ip(['-n', ns, 'addr', 'add', `${lab.subnet}.${n}/24`, 'dev', 'eth0']);
  ip(['-n', ns, 'addr', 'add', `${lab.subnet6}::${n}/64`, 'dev', 'eth0', 'nodad']);
  ip(['-n', ns, 'link', 'set', 'eth0', 'up']);
  ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  const execIn = (argv: string[], opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}) =>
    spawnSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 30_000, env: opts.env ?? process.env });
  const host: LabHost = {
    name,
    ns,
    ip: `${lab.subnet}.${n}`,
    ip6: `${lab.subnet6}::${n}`,
    exec(argv, opts) {
      const r = execIn(argv, opts);
      if (r.status !== 0) throw new Error(`${name}: ${argv.join(' ')} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || String(r.error ?? '')).trim()}`);
      return r.stdout;
    },
    run(argv, opts) {
      const r = execIn(argv, opts);
      return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
    },
    spawn(argv, opts = {}) {
      const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
      lab.children.push(c);
      return c;
    },
    dropAll() {
      host.exec(['nft', '-f', '-'], { input: 'table inet mamoru_lab_drop {\n chain input {\n  type filter hook input priority -10; policy drop;\n }\n}\n' });
    },
    restore() {
      host.run(['nft', 'delete', 'table', 'inet', 'mamoru_lab_drop']);
    },
  };
  return host;
}

/** Builds the lab. Needs root (namespaces, veth, a bridge). */
export async function createLab(): Promise<Lab> {
  sweepStale();
  const seq = counter++;
  const id = `${PREFIX}${process.pid}x${seq}`;
  // 10.(100..199).(0..249): distinct per process and per lab within it.
  const k = (process.pid * 7 + seq) % 25000;
  const subnet = `10.${100 + Math.floor(k / 250)}.${k % 250}`;
  const subnet6 = `fd6d:${(k >> 8).toString(16)}:${(k & 255).toString(16)}`;
  const bridge = id.slice(0, 15);
  const children: ChildProcess[] = [];
  const cleanups: (() => void | Promise<void>)[] = [];
  const dir = mkdtempSync(join(tmpdir(), `${id}-`));
  const hosts: LabHost[] = [];
  const teardown = () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const h of hosts) killNamespace(h.ns);
    for (const name of ['server', 'attacker', 'client'] as const) killNamespace(`${id}-${name}`);
    tryIp(['link', 'del', bridge]);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    ip(['link', 'add', bridge, 'type', 'bridge']);
    ip(['addr', 'add', `${subnet}.1/24`, 'dev', bridge]);
    ip(['addr', 'add', `${subnet6}::1/64`, 'dev', bridge, 'nodad']);
    ip(['link', 'set', bridge, 'up']);
    const ctx = { id, subnet, subnet6, children };
    for (const name of ['server', 'attacker', 'client'] as const) hosts.push(makeHost(ctx, name, bridge));
  } catch (e) {
    teardown();
    throw e;
  }
  let destroyed = false;
  const lab: Lab = {
    id,
    monitorIp: `${subnet}.1`,
    monitorIp6: `${subnet6}::1`,
    server: hosts[0]!,
    attacker: hosts[1]!,
    client: hosts[2]!,
    dir,
    onDestroy: (fn) => cleanups.push(fn),
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      live.delete(lab);
      for (const fn of cleanups.reverse()) {
        try {
          await fn();
        } catch {
          /* keep tearing down */
        }
      }
      teardown();
    },
  };
  live.set(lab, teardown);
  return lab;
}

// A test that throws or is interrupted still leaves nothing behind: at exit only synchronous
// work runs, so the namespaces (and every process in them) are removed directly.
process.once('exit', () => {
  for (const teardown of live.values()) teardown();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    for (const teardown of live.values()) teardown();
    process.exit(130);
  });
