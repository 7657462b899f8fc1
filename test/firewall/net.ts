/**
 * Real traffic for the firewall tests, all inside the lab's namespaces: a TCP listener in
 * `server` (dual stack, keeps every connection open), and in `attacker` and `client` a small
 * agent process that connects on request (connected / timeout / refused) and holds connections
 * open to report when the server side cuts them. One agent per namespace answers many requests,
 * so a check costs a round trip, not a process start.
 */
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { localRunner } from '../../src/firewall/run.ts';
import type { Runner } from '../../src/firewall/types.ts';
import type { LabHost } from '../lab/network.ts';

/** Runs argv inside the namespace (what mamoru's backends get in these tests). */
export function nsRunner(host: LabHost): Runner {
  return localRunner(['ip', 'netns', 'exec', host.ns]);
}

const LISTENER = `
const net = require('node:net');
const ports = process.argv.slice(1).map(Number);
let ready = 0;
for (const port of ports) {
  const srv = net.createServer((s) => { s.on('error', () => {}); s.write('hello\\n'); });
  srv.listen({ port, host: '::', ipv6Only: false }, () => { if (++ready === ports.length) console.log('ready'); });
}
`;

const AGENT = `
const net = require('node:net');
const rl = require('node:readline').createInterface({ input: process.stdin });
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
rl.on('line', (line) => {
  const m = JSON.parse(line);
  const s = net.connect({ host: m.host, port: m.port });
  let done = false;
  const timer = setTimeout(() => { if (!done) { done = true; s.destroy(); say({ id: m.id, result: 'timeout' }); } }, m.ms);
  s.on('connect', () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    say({ id: m.id, result: 'connected' });
    if (!m.hold) s.destroy();
  });
  s.on('error', (e) => {
    if (!done) { done = true; clearTimeout(timer); say({ id: m.id, result: e.code || 'error' }); }
    else if (m.hold) say({ id: m.id, event: 'closed', code: e.code || 'error' });
  });
  s.on('close', () => { if (m.hold && done) say({ id: m.id, event: 'closed' }); });
});
`;

/** Starts the listener in `host` on the given ports and waits until it accepts. */
export async function startListener(host: LabHost, ports: number[]): Promise<ChildProcess> {
  const child = host.spawn([process.execPath, '-e', LISTENER, ...ports.map(String)]);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`listener in ${host.ns} did not start`)), 10_000);
    createInterface({ input: child.stdout! }).once('line', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`listener in ${host.ns} exited (${code})`)));
  });
  return child;
}

export type ConnectResult = 'connected' | 'timeout' | string;

export interface Held {
  /** Resolves when the connection is closed or reset from the other side ('timeout' if not within ms). */
  closed(ms: number): Promise<'closed' | 'timeout'>;
}

/** A connecting agent in one namespace. */
export interface Agent {
  /** Connects and closes; `timeout` when nothing answers within ms (a dropped SYN). */
  connect(host: string, port: number, ms?: number): Promise<ConnectResult>;
  /** Connects and keeps the connection open. */
  hold(host: string, port: number, ms?: number): Promise<Held>;
  stop(): void;
}

export function startAgent(host: LabHost): Agent {
  const child = host.spawn([process.execPath, '-e', AGENT], { stdio: ['pipe', 'pipe', 'inherit'] });
  let seq = 0;
  const closedEarly = new Set<number>();
  const waiters = new Map<string, (m: { result?: string; event?: string }) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const m = JSON.parse(line) as { id: number; result?: string; event?: string };
    const key = `${m.id}:${m.event ?? 'result'}`;
    const w = waiters.get(key);
    if (w) {
      waiters.delete(key);
      w(m);
    } else if (m.event) closedEarly.add(m.id);
  });
  const ask = (msg: object, id: number) =>
    new Promise<string>((resolve) => {
      waiters.set(`${id}:result`, (m) => resolve(m.result ?? 'error'));
      child.stdin!.write(JSON.stringify({ ...msg, id }) + '\n');
    });
  return {
    connect(h, port, ms = 1000) {
      const id = ++seq;
      return ask({ host: h, port, ms }, id);
    },
    async hold(h, port, ms = 3000) {
      const id = ++seq;
      const result = await ask({ host: h, port, ms, hold: true }, id);
      if (result !== 'connected') throw new Error(`${host.name} could not connect to ${h}:${port}: ${result}`);
      return {
        closed: (wait) =>
          new Promise((resolve) => {
            if (closedEarly.has(id)) return resolve('closed');
            const timer = setTimeout(() => {
              waiters.delete(`${id}:closed`);
              resolve('timeout');
            }, wait);
            waiters.set(`${id}:closed`, () => {
              clearTimeout(timer);
              resolve('closed');
            });
          }),
      };
    },
    stop() {
      child.kill('SIGKILL');
    },
  };
}

/** Everything of the firewall in a namespace, as text a person would read to look for mamoru. */
export function ruleset(host: LabHost): string {
  const parts = [['nft', 'list', 'ruleset'], ['iptables-save'], ['ip6tables-save'], ['ipset', 'list', '-n']];
  return parts.map((argv) => host.run(argv).stdout).join('\n');
}

/** Polls `fn` until it returns true or `ms` pass; returns the last answer. */
export async function eventually(fn: () => Promise<boolean>, ms: number, every = 250): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}
