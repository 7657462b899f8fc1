/**
 * The firewall backend and ICMP. A backend's tools must be on PATH, and, with the privilege to
 * (root, or CAP_NET_ADMIN), answer one harmless read (`nft list tables`): nothing is changed.
 * ICMP is tried the ping probe's own way (raw socket as root, else the ping binary) against
 * 127.0.0.1, so the answer is the one the ping checks will get.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { silentLogger } from '../core/log.ts';
import { NagiosState } from '../core/nagios.ts';
import { targetFromAddress } from '../core/target.ts';
import { secretsFromEnv } from '../core/secrets.ts';
import { probes } from '../probes/index.ts';
import type { CheckGroup } from './types.ts';
import { firstLine, runArgv } from './types.ts';

/** What each backend runs, a read that changes nothing, and the Debian package holding them. */
const BACKENDS: Record<string, { tools: string[]; reads: string[][]; pkg: string }> = {
  nftables: { tools: ['nft'], reads: [['nft', 'list', 'tables']], pkg: 'nftables' },
  iptables: { tools: ['iptables'], reads: [['iptables', '-w', '5', '-n', '-S', 'INPUT']], pkg: 'iptables' },
  ipset: { tools: ['ipset', 'iptables'], reads: [['ipset', 'list', '-name']], pkg: 'ipset iptables' },
  'dry-run': { tools: [], reads: [], pkg: '' },
};

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** The program's path on PATH (and the sbin directories a service's PATH has). */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean).concat(SEARCH)) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Whether this process holds CAP_NET_ADMIN (bit 12 of CapEff), as root usually does. */
export function hasNetAdmin(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << 12n)) !== 0n;
  } catch {
    return false;
  }
}

export const firewallChecks: CheckGroup = async (ctx) => {
  const type = (ctx.cfg.guard.firewall as { type: string }).type;
  const used = ctx.cfg.guard.jails.length > 0;
  // Without jails only bans by hand use the backend: a problem is worth a look, not a failure.
  const bad = used ? ('fail' as const) : ('warn' as const);
  const b = BACKENDS[type];
  if (!b) return [{ group: 'firewall', mark: 'warn', text: `firewall backend ${type}: doctor does not know its tools; not checked` }];
  if (b.tools.length === 0) return [{ group: 'firewall', mark: 'ok', text: `firewall backend ${type}: bans are only logged, nothing to check` }];
  const missing = b.tools.filter((t) => !onPath(t));
  if (missing.length > 0)
    return [{ group: 'firewall', mark: bad, text: `firewall backend ${type}: ${missing.join(', ')} not found on PATH`, fix: `apt-get install ${b.pkg}, or set guard.firewall.type to a backend this machine has` }];
  if (!hasNetAdmin())
    return [{ group: 'firewall', mark: 'warn', text: `firewall backend ${type}: ${b.tools.map((t) => onPath(t)).join(', ')} found; without CAP_NET_ADMIN doctor cannot try it`, fix: 'run mamoru doctor as root to try a harmless read' }];
  for (const argv of b.reads) {
    const r = await runArgv(argv, ctx.timeoutMs);
    if (r.code !== 0)
      return [{ group: 'firewall', mark: bad, text: `firewall backend ${type}: \`${argv.join(' ')}\` failed: ${firstLine(r)}`, fix: `make \`${argv.join(' ')}\` work as root (kernel module loaded? in a container, is the network namespace yours and CAP_NET_ADMIN granted?), or choose another guard.firewall.type` }];
  }
  return [{ group: 'firewall', mark: 'ok', text: `firewall backend ${type}: ${b.reads.map((a) => `\`${a.join(' ')}\``).join(', ')} works` }];
};

export const icmpChecks: CheckGroup = async (ctx) => {
  const used = ctx.cfg.targets.some((t) => t.checks.some((c) => c.type === 'ping'));
  const ping = probes.ping;
  const opts = ping.schema.parse({ packets: 1, method: 'auto' });
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  const r = await ping.run(targetFromAddress('127.0.0.1'), opts, { signal, timeoutMs: ctx.timeoutMs, log: silentLogger, secret: secretsFromEnv });
  const how = process.getuid?.() === 0 ? 'raw ICMP socket' : 'ping binary';
  if (r.state === NagiosState.OK) return [{ group: 'icmp', mark: 'ok', text: `ICMP echo to 127.0.0.1 works (${how}, as the ping probe sends it)` }];
  return [
    {
      group: 'icmp',
      mark: used ? 'fail' : 'warn',
      text: `ICMP echo to 127.0.0.1 failed (${how}): ${r.text}`,
      fix: 'run mamoru as root or with CAP_NET_RAW (the unit of `mamoru install-service` grants it), or install iputils-ping and allow ICMP sockets (sysctl net.ipv4.ping_group_range="0 2147483647")',
    },
  ];
};
