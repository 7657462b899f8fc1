/**
 * Cutting the connections a banned address already has: a ban drops new packets, but an open
 * POP3 session or a slow HTTP request would otherwise hold a worker until it times out (a common
 * complaint about fail2ban). Two tools, both optional, used after any backend's ban:
 * - `ss -K dst <addr>` closes this machine's sockets to the address (the kernel's SOCK_DESTROY;
 *   the peer gets a reset, the local program an error, the worker is free at once);
 * - `conntrack -D -s <addr>` forgets the address's tracked flows, which also covers traffic this
 *   host forwards (containers behind DOCKER-USER) where there is no local socket to kill.
 * Argv only, from the parsed address.
 */
import type { Logger } from 'pino';
import { formatCidr, formatCidrWithPrefix } from '../guard/address.ts';
import { checkAddress } from './rule.ts';
import type { Proto, Runner } from './types.ts';
import { localRunner } from './run.ts';

export interface CutResult {
  /** Sockets `ss -K` closed; undefined when ss could not run. */
  sockets?: number | undefined;
  /** Flows conntrack deleted; undefined when conntrack could not run. */
  flows?: number | undefined;
  /** What could not be done, in words (a missing tool, no SOCK_DESTROY in the kernel). */
  problems: string[];
}

export interface CutOptions {
  /** Only connections to this local port (a per-port ban). */
  port?: number | undefined;
  proto?: Proto | undefined;
  /** @defaultValue both */
  tools?: ('ss' | 'conntrack')[] | undefined;
}

/** Closes open connections from `address` (an address or a network); never throws for a tool's failure. */
export async function cutConnections(address: string, deps: { log: Logger; run?: Runner | undefined }, opts: CutOptions = {}): Promise<CutResult> {
  const run = deps.run ?? localRunner();
  const cidr = checkAddress('cut', address);
  const text = formatCidr(cidr);
  const tools = opts.tools ?? ['ss', 'conntrack'];
  const out: CutResult = { problems: [] };
  const proto = opts.proto ?? 'tcp';

  if (tools.includes('ss') && proto === 'tcp') {
    // ss filter words: `dst <net>` is the remote end, `sport = :110` the local port. An IPv6
    // address goes in brackets, or ss reads its last group as a port.
    const dst = cidr.family === 6 ? `[${formatCidrWithPrefix(cidr)}]` : text;
    const argv = ['ss', '-K', '-n', '-t', '-H', 'dst', dst, ...(opts.port === undefined ? [] : ['sport', '=', `:${opts.port}`])];
    const r = await run(argv);
    if (r.status === 0) out.sockets = r.stdout.split('\n').filter((l) => l.trim() !== '').length;
    else out.problems.push(`ss -K failed (${(r.stderr || String(r.status)).trim().split('\n')[0]}); the kernel may lack SOCK_DESTROY (CONFIG_INET_DIAG_DESTROY)`);
  }
  if (tools.includes('conntrack')) {
    const argv = ['conntrack', '-D', '-f', cidr.family === 6 ? 'ipv6' : 'ipv4', '-s', text, ...(opts.port === undefined ? [] : ['-p', proto, '--dport', String(opts.port)])];
    const r = await run(argv);
    // conntrack exits 1 when nothing matched; its summary line says how many went.
    const m = /(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout);
    if (m) out.flows = Number(m[1]);
    else out.problems.push(`conntrack -D failed (${(r.stderr || String(r.status)).trim().split('\n')[0]}); is conntrack installed?`);
  }
  const log = deps.log.child({ firewall: 'cut' });
  if (out.problems.length > 0) log.warn({ address: text, problems: out.problems }, 'could not cut every open connection');
  else log.info({ address: text, sockets: out.sockets, flows: out.flows }, 'open connections cut');
  return out;
}
