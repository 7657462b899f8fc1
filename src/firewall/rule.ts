/**
 * What every backend does to a ban before it goes near the kernel: the address parsed and put
 * in canonical form (nothing the caller wrote is copied into a script or an argv, only what
 * formatCidr prints from numbers), the port and protocol checked, networks so wide that a ban
 * would cut off the world refused. Also the rule identity reconcile.ts compares by.
 */
import { formatCidr, hostPrefix, parseCidr, type Cidr } from '../guard/address.ts';
import { FirewallError, type BanRequest, type BanRule, type Proto } from './types.ts';

/** The widest network a backend accepts: a ban of 0.0.0.0/0 would be an outage, not a ban. */
export const MIN_PREFIX = { 4: 8, 6: 16 } as const;

/** A ban, checked: canonical address text, parsed network, port and protocol. */
export interface CheckedBan {
  cidr: Cidr;
  /** Canonical (`1.2.3.4`, `2001:db8::/64`). */
  address: string;
  until?: number | undefined;
  port?: number | undefined;
  proto?: Proto | undefined;
}

/** Parses and checks an address or network; throws FirewallError naming the backend. */
export function checkAddress(backend: string, address: string): Cidr {
  const cidr = typeof address === 'string' ? parseCidr(address) : undefined;
  if (!cidr) throw new FirewallError(backend, `"${String(address)}" is not an IP address or network; nothing was changed`);
  if (cidr.prefix < MIN_PREFIX[cidr.family])
    throw new FirewallError(backend, `refusing to ban ${formatCidr(cidr)}: wider than /${MIN_PREFIX[cidr.family]}, it would cut off far more than an attacker`);
  // Belt and braces: the canonical text has only these characters, whatever came in.
  if (!/^[0-9a-f.:/]+$/.test(formatCidr(cidr))) throw new FirewallError(backend, `unexpected address text for ${String(address)}`);
  return cidr;
}

/** Checks a ban request (address, port 1-65535, tcp/udp, a finite `until`). */
export function checkBan(backend: string, b: BanRequest): CheckedBan {
  const cidr = checkAddress(backend, b.address);
  if (b.port !== undefined && (!Number.isInteger(b.port) || b.port < 1 || b.port > 65535))
    throw new FirewallError(backend, `ban of ${formatCidr(cidr)}: port ${String(b.port)} is not a port number from 1 to 65535`);
  if (b.proto !== undefined && b.proto !== 'tcp' && b.proto !== 'udp') throw new FirewallError(backend, `ban of ${formatCidr(cidr)}: proto must be tcp or udp`);
  if (b.proto !== undefined && b.port === undefined) throw new FirewallError(backend, `ban of ${formatCidr(cidr)}: a proto needs a port`);
  if (b.until !== undefined && !Number.isFinite(b.until)) throw new FirewallError(backend, `ban of ${formatCidr(cidr)}: until must be a time in ms since the epoch`);
  return {
    cidr,
    address: formatCidr(cidr),
    until: b.until,
    port: b.port,
    proto: b.port === undefined ? undefined : (b.proto ?? 'tcp'),
  };
}

/** True for a host address (/32, /128) rather than a network. */
export function isHost(c: Cidr): boolean {
  return c.prefix === hostPrefix(c.family);
}

/** Identity of a rule: the same address, protocol and port are the same rule whatever its end. */
export function ruleKey(r: { address: string; port?: number | undefined; proto?: Proto | undefined }): string {
  return `${r.address}|${r.port === undefined ? '' : `${r.proto ?? 'tcp'}/${r.port}`}`;
}

/** A BanRule from a checked ban, without undefined keys (for tidy lists and deepEqual). */
export function toRule(b: CheckedBan): BanRule {
  return {
    address: b.address,
    ...(b.until !== undefined ? { until: b.until } : {}),
    ...(b.port !== undefined ? { port: b.port, proto: b.proto ?? 'tcp' } : {}),
  };
}

/** The comment a rule carries so list() can tell its end: `mamoru:until=<ms>` or `mamoru:until=never`. */
export function untilComment(until: number | undefined): string {
  return `mamoru:until=${until === undefined ? 'never' : Math.round(until)}`;
}

/** Reads untilComment() back; undefined when the text is not one (or says never). */
export function parseUntilComment(text: string | undefined): { found: boolean; until?: number } {
  const m = /mamoru:until=(\d+|never)/.exec(text ?? '');
  if (!m) return { found: false };
  return m[1] === 'never' ? { found: true } : { found: true, until: Number(m[1]) };
}

/** Seconds from now to `until`, at least 1 (a kernel timeout of 0 means "never" in some tools). */
export function secondsLeft(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}
