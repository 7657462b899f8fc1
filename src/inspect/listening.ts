/**
 * Is the port listening? (the runbook's `netstat -an | grep LISTEN | grep 80`). Read from the
 * kernel's TCP table through the executor, or from `ss -ltn` when asked or when /proc cannot be
 * read. The accept queue of each listener comes along: a full queue is a server that listens
 * but does not keep up.
 */
import type { Executor } from '../executors/types.ts';
import { compareAddresses, firstK } from './address-order.ts';
import { eachLine, eachLineSliced, words } from './lines.ts';
import { readTcpTable } from './proc-net-tcp.ts';
import { runSliced } from './time-slice.ts';
import { InspectionError, plural, type Evidence } from './types.ts';

export interface ListeningSocket {
  family: 4 | 6;
  /** `0.0.0.0` or `::` for every address. */
  address: string;
  port: number;
  /** Connections accepted by the kernel, waiting for the program to take them. */
  queued: number;
  /** The accept queue's size (the listen backlog); only `ss` knows it, /proc does not show it. */
  backlog?: number | undefined;
}

export interface ListeningEvidence extends Evidence {
  /** Where the facts came from. */
  source: 'proc' | 'ss';
  sockets: ListeningSocket[];
  /** Distinct ports, ascending. */
  ports: number[];
}

export interface PortEvidence extends Evidence {
  port: number;
  listening: boolean;
  sockets: ListeningSocket[];
  /** Some listener's accept queue is full: it listens but does not keep up. */
  queueFull: boolean;
  source: 'proc' | 'ss';
}

export interface ListeningOptions {
  /** `proc` (/proc/net/tcp*), `ss` (`ss -ltn`), or `auto`: proc, then ss. @defaultValue 'auto' */
  source?: 'auto' | 'proc' | 'ss';
  timeoutMs?: number;
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
/** Ports named in the summary line at most. */
const MAX_PORTS_NAMED = 50;

/** ss's lines are under 200 characters; a longer one is not split (see proc-net-tcp.ts). */
const MAX_LINE = 1024;

/** One line of `ss -ltn`, or undefined for the header and anything else. */
function parseSsLine(line: string): ListeningSocket | undefined {
  if (line.length > MAX_LINE) return undefined;
  const f = words(line, 4);
  if (f.length < 4 || f[0] !== 'LISTEN') return undefined;
  const local = f[3]!;
  const colon = local.lastIndexOf(':');
  const port = Number(local.slice(colon + 1));
  if (colon < 0 || !Number.isInteger(port)) return undefined;
  let address = local.slice(0, colon);
  // A scope (`fe80::1%eth0`) ends at "]" or the end: cut by hand, as /%[^\]]*/ did.
  const pct = address.indexOf('%');
  if (pct >= 0) {
    const close = address.indexOf(']', pct);
    address = address.slice(0, pct) + (close < 0 ? '' : address.slice(close));
  }
  if (address.length >= 2 && address.startsWith('[') && address.endsWith(']')) address = address.slice(1, -1);
  // Old ss prints `:::22` and `*:80`: both mean every address.
  if (address === '' || address === '::' || address === '*') address = '::';
  const family = address.includes(':') ? 6 : 4;
  // An IPv6 socket on an IPv4-mapped address: written as IPv4, as /proc's reading does.
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  return { family, address, port, queued: Number(f[1]) || 0, backlog: Number(f[2]) || 0 };
}

/** Parses `ss -ltn` / `ss -ltnH` output (header lines are skipped). */
export function parseSsListening(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  eachLine(text, (line) => {
    const s = parseSsLine(line);
    if (s) out.push(s);
  });
  return out;
}

/** The same, in time slices (8 MiB of output is 100,000 lines). */
async function parseSsSliced(text: string): Promise<ListeningSocket[]> {
  const out: ListeningSocket[] = [];
  await eachLineSliced(text, (line) => {
    const s = parseSsLine(line);
    if (s) out.push(s);
  });
  return out;
}

async function fromSs(exec: Executor, timeoutMs: number): Promise<ListeningSocket[]> {
  let r = await exec.run(['ss', '-ltnH'], { timeoutMs, maxOutputBytes: 8 * 1024 * 1024 });
  // ss before iproute2 4.12 has no -H: the header line is skipped by the parser anyway.
  if (r.code !== 0 && /invalid option|unrecognized|illegal/i.test(r.stderr)) r = await exec.run(['ss', '-ltn'], { timeoutMs, maxOutputBytes: 8 * 1024 * 1024 });
  if (r.code !== 0) throw new InspectionError('listening', `ss -ltn failed on ${exec.name} (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}): ${r.stderr.trim()}`);
  return parseSsSliced(r.stdout);
}

function summarize(sockets: ListeningSocket[]): string {
  const ports = [...new Set(sockets.map((s) => s.port))].sort((a, b) => a - b);
  if (ports.length === 0) return 'no TCP port is listening';
  // One line: a server listening on thousands of ports is named by its first ones.
  const list = ports.length > MAX_PORTS_NAMED ? `${ports.slice(0, MAX_PORTS_NAMED).join(', ')} and ${ports.length - MAX_PORTS_NAMED} more` : ports.join(', ');
  return `listening on TCP ${ports.length === 1 ? 'port' : 'ports'} ${list} (${plural(sockets.length, 'socket')})`;
}

/**
 * By port, family and address (in localeCompare's order), equal ones as they came: the order
 * Array.sort gave, as heap steps in slices (a hostile server can listen 100,000 times).
 */
async function sortSliced(sockets: ListeningSocket[]): Promise<ListeningSocket[]> {
  type At = { s: ListeningSocket; i: number };
  const order = (a: At, b: At) => a.s.port - b.s.port || a.s.family - b.s.family || compareAddresses(a.s.address, b.s.address) || a.i - b.i;
  const sorted = await runSliced(firstK(sockets.map((s, i) => ({ s, i })), sockets.length, order));
  return sorted.map((a) => a.s);
}

/** Every listening TCP socket on the server. */
export async function inspectListening(exec: Executor, opts: ListeningOptions = {}): Promise<ListeningEvidence> {
  const source = opts.source ?? 'auto';
  const timeoutMs = opts.timeoutMs ?? 15_000;
  let sockets: ListeningSocket[] | undefined;
  let used: 'proc' | 'ss' = 'proc';
  if (source !== 'ss') {
    try {
      sockets = (await readTcpTable(exec, { timeoutMs }))
        .filter((s) => s.state === 'LISTEN')
        .map((s) => ({ family: s.family, address: s.localAddress, port: s.localPort, queued: s.rxQueue }));
    } catch (e) {
      if (source === 'proc') throw e;
    }
  }
  if (!sockets) {
    used = 'ss';
    sockets = await fromSs(exec, timeoutMs);
  }
  sockets = await sortSliced(sockets);
  const ports = [...new Set(sockets.map((s) => s.port))];
  return { source: used, sockets, ports, summary: summarize(sockets) };
}

/**
 * Whether something listens on `port` (on `address`, when given: a socket on that address or on
 * every address counts).
 */
export function isListening(evidence: Pick<ListeningEvidence, 'sockets'>, port: number, address?: string): boolean {
  return evidence.sockets.some((s) => s.port === port && (address === undefined || s.address === address || WILDCARDS.has(s.address)));
}

/** The runbook's question for one port, answered with the listeners and their queues. */
export async function inspectPort(exec: Executor, port: number, opts: ListeningOptions & { address?: string } = {}): Promise<PortEvidence> {
  const all = await inspectListening(exec, opts);
  const mine = (list: ListeningSocket[]) => list.filter((s) => s.port === port && (opts.address === undefined || s.address === opts.address || WILDCARDS.has(s.address)));
  let sockets = mine(all.sockets);
  // Connections wait to be accepted and /proc does not say how many fit: ask ss, if it is there.
  if (sockets.some((s) => s.queued > 0 && s.backlog === undefined)) {
    const withBacklog = await fromSs(exec, opts.timeoutMs ?? 15_000).catch(() => undefined);
    if (withBacklog) {
      // The first ss line per port and address, looked up (a find per socket was quadratic).
      const backlogOf = new Map<string, number | undefined>();
      for (const w of withBacklog) if (!backlogOf.has(`${w.port} ${w.address}`)) backlogOf.set(`${w.port} ${w.address}`, w.backlog);
      sockets = sockets.map((s) => ({ ...s, backlog: backlogOf.get(`${s.port} ${s.address}`) }));
    }
  }
  const listening = sockets.length > 0;
  // The kernel's own test (sk_acceptq_is_full): more waiting than the backlog; new SYNs are dropped.
  const full = sockets.filter((s) => s.backlog !== undefined && s.queued > s.backlog);
  const where = [...new Set(sockets.map((s) => (s.family === 6 && s.address !== '::' ? `[${s.address}]` : s.address)))].join(', ');
  let summary = listening ? `port ${port} is listening on ${where}` : `nothing listens on TCP port ${port}${opts.address ? ` at ${opts.address}` : ''}`;
  if (full.length > 0) summary += `; its accept queue is full (${full[0]!.queued}/${full[0]!.backlog}): the program is not taking connections fast enough`;
  return { port, listening, sockets, queueFull: full.length > 0, source: all.source, summary };
}
