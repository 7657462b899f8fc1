/**
 * The allow list: addresses the guard never bans, whatever the logs say. Beyond the configured
 * networks it always holds loopback and this machine's own addresses (a ban of those cuts the
 * machine off from itself), and by default the address of the operator's SSH session that
 * started the daemon (the classic way to lock yourself out is to mistype your own password five
 * times). Each entry keeps why it is there, so a refused ban can say so in the log.
 */
import os from 'node:os';
import { z } from 'zod';
import { CIDR_PATTERN } from '../config/address.ts';
import { formatCidr, overlaps, parseCidr, parseIp, unbannable, type Cidr } from './address.ts';

const CIDR = new RegExp(CIDR_PATTERN);

/** A config list of addresses and networks; a typo is a config error with the bad entry named. */
export const cidrList = (description: string) =>
  z
    .array(
      z
        .string()
        // The pattern (also the JSON Schema's) and the parser: both must take the text.
        .refine((s) => CIDR.test(s) && parseCidr(s) !== undefined, {
          error: (issue) => `expected an IP address or a network like 192.0.2.0/24 or 2001:db8::/64, got "${String(issue.input).slice(0, 80)}"`,
        })
        .meta({ pattern: CIDR_PATTERN }),
    )
    .meta({ description });

/** The guard's allow-list options (snake_case, defaults in the schema). */
export const allowSchema = z.strictObject({
  allow: cidrList('addresses and networks never banned (loopback and this machine are always allowed)').default([]),
  allow_ssh_session: z
    .boolean()
    .default(true)
    .meta({ description: "never ban the address of the SSH session that started mamoru (from SSH_CONNECTION / SSH_CLIENT)" }),
});

export type AllowOptions = z.output<typeof allowSchema>;

/** One allowed network and the reason it is allowed (`loopback`, `allow: 10.0.0.0/8`, ...). */
export interface AllowEntry {
  cidr: Cidr;
  why: string;
}

/** What the allow list reads from the machine; injected so tests can give their own. */
export interface AllowSources {
  /** The daemon's environment, for SSH_CONNECTION / SSH_CLIENT. @defaultValue process.env */
  env?: NodeJS.ProcessEnv;
  /** This machine's interfaces. @defaultValue os.networkInterfaces */
  interfaces?: () => NodeJS.Dict<os.NetworkInterfaceInfo[]>;
  /** Milliseconds now, to age the machine's addresses. @defaultValue Date.now */
  now?: () => number;
}

/** This machine's addresses are read again when older than this, so a new one (DHCP, an interface brought up) is never banned. */
export const MACHINE_ADDRESSES_MAX_AGE_MS = 10_000;

const LOOPBACK: AllowEntry[] = [
  { cidr: parseCidr('127.0.0.0/8')!, why: 'loopback' },
  { cidr: parseCidr('::1')!, why: 'loopback' },
];

/** The client address of the SSH session in the environment, if any. */
export function sshSessionAddress(env: NodeJS.ProcessEnv): string | undefined {
  // SSH_CONNECTION="client_ip client_port server_ip server_port"; SSH_CLIENT="client_ip client_port server_port".
  for (const v of [env.SSH_CONNECTION, env.SSH_CLIENT]) {
    const first = v?.trim().split(/\s+/)[0];
    const ip = first ? parseIp(first) : undefined;
    if (ip) return formatCidr(ip);
  }
  return undefined;
}

function machineEntries(interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]>): AllowEntry[] {
  const out: AllowEntry[] = [];
  for (const [name, infos] of Object.entries(interfaces)) {
    for (const info of infos ?? []) {
      const ip = parseIp(info.address);
      if (ip) out.push({ cidr: ip, why: `this machine (${name})` });
    }
  }
  return out;
}

/** Addresses the guard must never ban; ask it with `refusal()` before every ban. */
export class AllowList {
  private configured: AllowEntry[];
  private machine: AllowEntry[] = [];
  private session: AllowEntry[] = [];
  private readAt = 0;

  constructor(
    private readonly options: AllowOptions & { ban_link_local?: boolean | undefined },
    private readonly sources: AllowSources = {},
  ) {
    this.configured = options.allow.map((text) => {
      const cidr = parseCidr(text);
      if (!cidr) throw new TypeError(`allow: "${text}" is not an IP address or network; fix the guard's allow list`);
      return { cidr, why: `allow: ${formatCidr(cidr)}` };
    });
    this.refresh();
  }

  /** Re-reads this machine's addresses (after DHCP or a new interface) and the SSH session. */
  refresh(): void {
    this.machine = machineEntries((this.sources.interfaces ?? os.networkInterfaces)());
    this.readAt = (this.sources.now ?? Date.now)();
    const ssh = this.options.allow_ssh_session ? sshSessionAddress(this.sources.env ?? process.env) : undefined;
    this.session = ssh ? [{ cidr: parseIp(ssh)!, why: `operator's SSH session (${ssh})` }] : [];
  }

  /** Every entry, loopback first. */
  entries(): AllowEntry[] {
    if ((this.sources.now ?? Date.now)() - this.readAt > MACHINE_ADDRESSES_MAX_AGE_MS) this.refresh();
    return [...LOOPBACK, ...this.machine, ...this.session, ...this.configured];
  }

  /**
   * Why banning `target` (an address or a network) is refused, or undefined when it may be
   * banned. A network is refused when it overlaps any allowed entry: a /64 ban around an
   * attacker must not take the operator's address in the same /64 with it. Text that is not an
   * address is refused too (nothing unparsed goes near a firewall), and so is an address that
   * cannot be an attacker's (unspecified, broadcast, multicast, reserved, link-local unless
   * `ban_link_local`; address.ts `unbannable`).
   */
  refusal(target: string | Cidr): string | undefined {
    const c = typeof target === 'string' ? parseCidr(target) : target;
    if (!c) return `"${String(target)}" is not an IP address or network`;
    for (const e of this.entries()) if (overlaps(e.cidr, c)) return `${formatCidr(c)} is allowed (${e.why})`;
    return unbannable(c, { banLinkLocal: this.options.ban_link_local });
  }

  /** True when `ip` (or a network) touches an allowed entry; false for text that is not an address. */
  isAllowed(ip: string | Cidr): boolean {
    const c = typeof ip === 'string' ? parseCidr(ip) : ip;
    return c !== undefined && this.entries().some((e) => overlaps(e.cidr, c));
  }
}
