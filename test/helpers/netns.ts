/**
 * Test hosts in network namespaces the test creates itself: a veth pair joins the namespace to
 * this machine, addresses live only there, and nftables in the namespace can drop everything
 * ("host down", "socket timeout"). Traffic never leaves this machine.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

let counter = 0;

export interface TestHost {
  ns: string;
  /** This machine's address on the link. */
  hostIp: string;
  /** The namespace's address: the "server". */
  ip: string;
  /** Runs argv inside the namespace and returns stdout. */
  exec(argv: string[]): string;
  /** Starts a long-running process inside the namespace. */
  spawn(argv: string[]): ChildProcess;
  /** Drops every packet that reaches the namespace (the host looks dead). */
  dropAll(): void;
  /** Undoes dropAll. */
  restore(): void;
  destroy(): void;
}

function ip(args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8' });
}

export function createTestHost(label = 't'): TestHost {
  const n = (process.pid % 200) * 10 + (counter++ % 10);
  const id = `${label.slice(0, 4)}${process.pid % 100000}${counter}`;
  const ns = `mamoru-${id}`;
  const hostIf = `mh${id}`.slice(0, 15);
  const nsIf = `mn${id}`.slice(0, 15);
  const a = 200 + Math.floor(n / 250);
  const b = n % 250;
  const hostIp = `10.${a}.${b}.1`;
  const nsIp = `10.${a}.${b}.2`;
  ip(['netns', 'add', ns]);
  try {
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', ns]);
    ip(['addr', 'add', `${hostIp}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', ns, 'addr', 'add', `${nsIp}/30`, 'dev', nsIf]);
    ip(['-n', ns, 'link', 'set', nsIf, 'up']);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  } catch (e) {
    try {
      ip(['netns', 'del', ns]);
    } catch {
      /* already gone */
    }
    throw e;
  }
  const children: ChildProcess[] = [];
  const host: TestHost = {
    ns,
    hostIp,
    ip: nsIp,
    exec: (argv) => execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' }),
    spawn(argv) {
      const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(c);
      return c;
    },
    dropAll() {
      execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], {
        input: 'table inet mamoru_test_drop {\n chain input {\n  type filter hook input priority -10; policy drop;\n }\n}\n',
      });
    },
    restore() {
      try {
        host.exec(['nft', 'delete', 'table', 'inet', 'mamoru_test_drop']);
      } catch {
        /* not there */
      }
    },
    destroy() {
      for (const c of children) c.kill('SIGKILL');
      try {
        ip(['link', 'del', hostIf]);
      } catch {
        /* gone with the namespace */
      }
      try {
        ip(['netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    },
  };
  return host;
}
