/**
 * The connection table by state and remote address: what an operator reads in `netstat -tan`
 * to tell a surge (many addresses, a few connections each) from an attack (one address holding
 * many, or a pile of SYN_RECV from it on :110). Pure counting over the kernel's TCP table
 * (proc-net-tcp.ts), so the guard can use the same numbers.
 */
import type { Executor } from '../executors/types.ts';
import { compareAddresses, firstK } from './address-order.ts';
import { readTcpTable, type TcpSocket, type TcpState } from './proc-net-tcp.ts';
import { runSliced, runSync, type Steps } from './time-slice.ts';
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

/** Code-unit order: the same as localeCompare for TCP state names, without loading ICU. */
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function statesText(states: StateCounts): string {
  return Object.entries(states)
    .sort((a, b) => b[1]! - a[1]! || byText(a[0], b[0]))
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

/** Sockets counted between two yields (well under a millisecond). */
const STEP = 512;

/**
 * The counting, as steps (time-slice.ts): a flood puts 200,000 sockets in the table, and even
 * linear counting of that many took a few hundred milliseconds.
 */
function* countSteps(sockets: TcpSocket[], opts: ConnectionOptions): Steps<ConnectionsEvidence> {
  const direction = opts.direction ?? 'inbound';
  const top = opts.top ?? 10;
  // Listening addresses per port: one lookup per socket, not a scan of every listener (a
  // flood of 200,000 sockets against 50,000 listeners was ten billion comparisons).
  const listening = new Map<number, Set<string>>();
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i]!;
    if (s.state === 'LISTEN') {
      let at = listening.get(s.localPort);
      if (!at) listening.set(s.localPort, (at = new Set()));
      at.add(s.localAddress);
    }
    if (i % STEP === STEP - 1) yield;
  }
  const inbound = (s: TcpSocket) => {
    const at = listening.get(s.localPort);
    return at !== undefined && (at.has(s.localAddress) || at.has('0.0.0.0') || at.has('::'));
  };
  let total = 0;
  const byState: StateCounts = {};
  const ports = new Map<number, { port: number; total: number; states: StateCounts }>();
  // Per source its first port inline, a Map only from a second one: an object with a key like
  // 61000 is a sparse dictionary, and 200,000 of them (or of Maps) cost more than the counting
  // and kept the garbage collector busy; objects are made for the top sources only.
  const sources = new Map<string, { address: string; total: number; states: StateCounts; port: number; onPort: number; more: Map<number, number> | undefined }>();
  for (let i = 0; i < sockets.length; i++) {
    if (i % STEP === STEP - 1) yield;
    const s = sockets[i]!;
    if (s.state === 'LISTEN' || (direction !== 'all' && !inbound(s))) continue;
    if ((opts.localPort !== undefined && s.localPort !== opts.localPort) || (opts.states !== undefined && !opts.states.includes(s.state))) continue;
    total++;
    bump(byState, s.state);
    let p = ports.get(s.localPort);
    if (!p) ports.set(s.localPort, (p = { port: s.localPort, total: 0, states: {} }));
    p.total++;
    bump(p.states, s.state);
    let src = sources.get(s.remoteAddress);
    if (!src) sources.set(s.remoteAddress, (src = { address: s.remoteAddress, total: 0, states: {}, port: s.localPort, onPort: 0, more: undefined }));
    src.total++;
    bump(src.states, s.state);
    if (s.localPort === src.port) src.onPort++;
    else (src.more ??= new Map()).set(s.localPort, (src.more.get(s.localPort) ?? 0) + 1);
  }
  type Tally = typeof sources extends Map<string, infer V> ? V : never;
  const order = (a: Tally, b: Tally) => b.total - a.total || compareAddresses(a.address, b.address);
  // The summary names the first source even when no source is asked for (top 0).
  const best = yield* firstK(sources.values(), Math.max(top, 1), order);
  const asEvidence = (src: Tally): ConnectionSource => {
    const localPorts: Record<number, number> = { [src.port]: src.onPort };
    for (const [port, n] of src.more ?? []) localPorts[port] = n;
    return { address: src.address, total: src.total, states: src.states, localPorts };
  };
  const topSources: ConnectionSource[] = [];
  for (let i = 0; i < best.length && i < top; i++) {
    topSources.push(asEvidence(best[i]!));
    if (i % STEP === STEP - 1) yield;
  }
  // At most 65,536 ports: one sort of numbers.
  const byLocalPort = [...ports.values()].sort((a, b) => a.port - b.port);
  const what = `${direction === 'inbound' ? 'inbound ' : ''}${opts.localPort !== undefined ? `:${opts.localPort} ` : ''}`;
  let summary: string;
  if (total === 0) summary = `no ${what}connections${opts.states ? ` in ${opts.states.join('/')}` : ''}`;
  else {
    summary = `${plural(total, `${what}connection`)} (${statesText(byState)}) from ${plural(sources.size, 'address', 'addresses')}`;
    const first = asEvidence(best[0]!);
    const onPorts = Object.entries(first.localPorts)
      .sort((a, b) => b[1] - a[1])
      .map(([p]) => `:${p}`)
      .join(' ');
    summary += `; most from ${first.address}: ${first.total} (${statesText(first.states)}) on ${onPorts}`;
  }
  return { total, byState, byLocalPort, topSources, distinctSources: sources.size, filter: { direction, localPort: opts.localPort, states: opts.states }, summary };
}

/** Counts a parsed TCP table (pure: no I/O), at once. */
export function summarizeConnections(sockets: TcpSocket[], opts: ConnectionOptions = {}): ConnectionsEvidence {
  return runSync(countSteps(sockets, opts));
}

/**
 * The same, letting the event loop turn every few milliseconds: use it in the daemon on a table
 * read from a server (`summarizeConnections` holds the loop for as long as 200,000 sockets take).
 */
export function summarizeConnectionsSliced(sockets: TcpSocket[], opts: ConnectionOptions = {}): Promise<ConnectionsEvidence> {
  return runSliced(countSteps(sockets, opts));
}

/** Reads the server's TCP table and counts it. */
export async function inspectConnections(exec: Executor, opts: ConnectionOptions & { timeoutMs?: number } = {}): Promise<ConnectionsEvidence> {
  return summarizeConnectionsSliced(await readTcpTable(exec, { timeoutMs: opts.timeoutMs }), opts);
}
