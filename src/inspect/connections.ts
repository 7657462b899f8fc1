/**
 * The connection table by state and remote address: what an operator reads in `netstat -tan`
 * to tell a surge (many addresses, a few connections each) from an attack (one address holding
 * many, or a pile of SYN_RECV from it on :110). Pure counting over the kernel's TCP table
 * (proc-net-tcp.ts), so the guard can use the same numbers.
 */
import type { Executor } from '../executors/types.ts';
import { readTcpTable, type TcpSocket, type TcpState } from './proc-net-tcp.ts';
import { plural, type Evidence } from './types.ts';

export type StateCounts = Partial<Record<TcpState, number>>;

/** One remote address and what it holds. */
export interface ConnectionSource {
  address: string;
  total: number;
  states: StateCounts;
  /** Connections per local port (the service: 80, 110, ...). */
  localPorts: Record<number, number>;
}

export interface ConnectionsEvidence extends Evidence {
  /** Connections counted (after the filters). */
  total: number;
  byState: StateCounts;
  /** Per local port (service), ascending port. */
  byLocalPort: { port: number; total: number; states: StateCounts }[];
  /** The sources holding most, largest first (at most `top`). */
  topSources: ConnectionSource[];
  distinctSources: number;
  filter: { direction: 'inbound' | 'all'; localPort?: number | undefined; states?: TcpState[] | undefined };
}

export interface ConnectionOptions {
  /** `inbound`: only connections to a port that listens here (clients of this server). @defaultValue 'inbound' */
  direction?: 'inbound' | 'all';
  /** Only connections to this local port. */
  localPort?: number;
  /** Only these states. */
  states?: TcpState[];
  /** How many sources to list. @defaultValue 10 */
  top?: number;
}

const bump = <K extends string | number>(o: Partial<Record<K, number>>, k: K, n = 1) => {
  o[k] = (o[k] ?? 0) + n;
};

function statesText(states: StateCounts): string {
  return Object.entries(states)
    .sort((a, b) => b[1]! - a[1]! || a[0].localeCompare(b[0]))
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** Counts a parsed TCP table (pure: no I/O). */
export function summarizeConnections(sockets: TcpSocket[], opts: ConnectionOptions = {}): ConnectionsEvidence {
  const direction = opts.direction ?? 'inbound';
  const top = opts.top ?? 10;
  const listeners = sockets.filter((s) => s.state === 'LISTEN');
  const inbound = (s: TcpSocket) =>
    listeners.some((l) => l.localPort === s.localPort && (l.localAddress === s.localAddress || l.localAddress === '0.0.0.0' || l.localAddress === '::'));
  const counted = sockets.filter(
    (s) =>
      s.state !== 'LISTEN' &&
      (direction === 'all' || inbound(s)) &&
      (opts.localPort === undefined || s.localPort === opts.localPort) &&
      (opts.states === undefined || opts.states.includes(s.state)),
  );
  const byState: StateCounts = {};
  const ports = new Map<number, { port: number; total: number; states: StateCounts }>();
  const sources = new Map<string, ConnectionSource>();
  for (const s of counted) {
    bump(byState, s.state);
    let p = ports.get(s.localPort);
    if (!p) ports.set(s.localPort, (p = { port: s.localPort, total: 0, states: {} }));
    p.total++;
    bump(p.states, s.state);
    let src = sources.get(s.remoteAddress);
    if (!src) sources.set(s.remoteAddress, (src = { address: s.remoteAddress, total: 0, states: {}, localPorts: {} }));
    src.total++;
    bump(src.states, s.state);
    bump(src.localPorts, s.localPort);
  }
  const topSources = [...sources.values()].sort((a, b) => b.total - a.total || a.address.localeCompare(b.address)).slice(0, top);
  const byLocalPort = [...ports.values()].sort((a, b) => a.port - b.port);
  const what = `${direction === 'inbound' ? 'inbound ' : ''}${opts.localPort !== undefined ? `:${opts.localPort} ` : ''}`;
  let summary: string;
  if (counted.length === 0) summary = `no ${what}connections${opts.states ? ` in ${opts.states.join('/')}` : ''}`;
  else {
    summary = `${plural(counted.length, `${what}connection`)} (${statesText(byState)}) from ${plural(sources.size, 'address', 'addresses')}`;
    const first = topSources[0]!;
    const onPorts = Object.entries(first.localPorts)
      .sort((a, b) => b[1] - a[1])
      .map(([p]) => `:${p}`)
      .join(' ');
    summary += `; most from ${first.address}: ${first.total} (${statesText(first.states)}) on ${onPorts}`;
  }
  return { total: counted.length, byState, byLocalPort, topSources, distinctSources: sources.size, filter: { direction, localPort: opts.localPort, states: opts.states }, summary };
}

/** Reads the server's TCP table and counts it. */
export async function inspectConnections(exec: Executor, opts: ConnectionOptions & { timeoutMs?: number } = {}): Promise<ConnectionsEvidence> {
  return summarizeConnections(await readTcpTable(exec, { timeoutMs: opts.timeoutMs }), opts);
}
