/**
 * IP addresses and CIDR networks as the guard and the firewall backends need them: parsed once,
 * normalised to one text form (so `::FFFF:1.2.3.4`, `1.2.3.4` and `1.2.3.4/32` are the same ban),
 * compared by containment, and widened to the prefix a ban covers (an IPv6 attacker usually owns
 * a whole /64). No dependencies: node:net validates, the arithmetic is BigInt.
 *
 * Why our own text form: every address here ends up in an nft script or an argv array, so the
 * only text that leaves this module is what formatCidr() prints from numbers, never the input.
 */
import net from 'node:net';
import { formatIpv6Groups } from '../core/ipv6.ts';

export type Family = 4 | 6;

/** A network: the host bits are always zero (`10.1.2.3/24` is stored as `10.1.2.0/24`). */
export interface Cidr {
  family: Family;
  /** The network address as a number (32 or 128 bits). */
  bits: bigint;
  /** Prefix length: 0..32 for IPv4, 0..128 for IPv6; a single host is 32 or 128. */
  prefix: number;
}

const WIDTH: Record<Family, number> = { 4: 32, 6: 128 };

function mask(family: Family, prefix: number): bigint {
  const width = BigInt(WIDTH[family]);
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(prefix))) - 1n);
}

function v4ToBits(text: string): bigint {
  let bits = 0n;
  for (const part of text.split('.')) bits = (bits << 8n) | BigInt(Number(part));
  return bits;
}

function v6ToBits(input: string): bigint {
  // node:net has accepted the text already: at most one `::`, an optional dotted IPv4 tail,
  // which is rewritten as its two hex groups first (`::ffff:1.2.3.4` -> `::ffff:102:304`).
  let text = input;
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const v4 = v4ToBits(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const double = text.indexOf('::');
  const left = groups(double < 0 ? text : text.slice(0, double));
  const right = double < 0 ? [] : groups(text.slice(double + 2));
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  let bits = 0n;
  for (const g of all) bits = (bits << 16n) | BigInt(g);
  return bits;
}

/**
 * Parses one IP address (no prefix). IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what a dual-stack
 * socket reports) becomes IPv4; brackets and a zone (`fe80::1%eth0`) are dropped. Returns
 * undefined for anything else, including IPv4 with leading zeros (ambiguous: octal or decimal).
 */
export function parseIp(input: string): Cidr | undefined {
  let text = input.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const kind = net.isIP(text);
  if (kind === 4) return { family: 4, bits: v4ToBits(text), prefix: 32 };
  if (kind !== 6) return undefined;
  const bits = v6ToBits(text);
  if (bits >> 32n === 0xffffn) return { family: 4, bits: bits & 0xffffffffn, prefix: 32 };
  return { family: 6, bits, prefix: 128 };
}

/**
 * Parses an address or a network (`1.2.3.4`, `10.0.0.0/8`, `2001:db8::/32`). Host bits are
 * cleared. An IPv4-mapped IPv6 network of prefix 96 or more becomes the IPv4 network.
 */
export function parseCidr(input: string): Cidr | undefined {
  const text = input.trim();
  const slash = text.indexOf('/');
  if (slash < 0) return parseIp(text);
  const ipText = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || ipText.includes('%')) return undefined;
  let prefix = Number(prefixText);
  const ip = parseIp(ipText);
  if (!ip) return undefined;
  // `::ffff:1.2.3.0/120` was written in IPv6 numbers: its prefix counts 96 bits more.
  const mapped = ip.family === 4 && net.isIPv6(ipText.replace(/^\[|\]$/g, ''));
  if (mapped) {
    if (prefix < 96) return undefined;
    prefix -= 96;
  }
  if (prefix > WIDTH[ip.family]) return undefined;
  return { family: ip.family, bits: ip.bits & mask(ip.family, prefix), prefix };
}

function formatV6(bits: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((bits >> BigInt(i * 16)) & 0xffffn));
  return formatIpv6Groups(groups);
}

/** The address part alone, in canonical form (`1.2.3.0`, `2001:db8::`). */
export function formatAddress(c: Cidr): string {
  if (c.family === 6) return formatV6(c.bits);
  return [24n, 16n, 8n, 0n].map((s) => String((c.bits >> s) & 0xffn)).join('.');
}

/** Canonical text: a single host without a prefix (`1.2.3.4`), a network with (`2001:db8::/64`). */
export function formatCidr(c: Cidr): string {
  const a = formatAddress(c);
  return c.prefix === WIDTH[c.family] ? a : `${a}/${c.prefix}`;
}

/** Always with the prefix (`1.2.3.4/32`), as iptables-save prints it. */
export function formatCidrWithPrefix(c: Cidr): string {
  return `${formatAddress(c)}/${c.prefix}`;
}

/** The canonical text of an address or network, or undefined when it is neither. */
export function normalize(input: string): string | undefined {
  const c = parseCidr(input);
  return c && formatCidr(c);
}

/** True when the address or network `inner` lies wholly inside `outer`. */
export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  return (inner.bits & mask(outer.family, outer.prefix)) === outer.bits;
}

/** True when the two share at least one address (one contains the other). */
export function overlaps(a: Cidr, b: Cidr): boolean {
  return containsCidr(a, b) || containsCidr(b, a);
}

/** True when `ip` (an address, or a network wholly inside) is in `cidr`; false for bad input. */
export function contains(cidr: string | Cidr, ip: string | Cidr): boolean {
  const outer = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const inner = typeof ip === 'string' ? parseCidr(ip) : ip;
  return outer !== undefined && inner !== undefined && containsCidr(outer, inner);
}

/** How wide a ban is. @defaultValue IPv6 /128 (one address); /64 covers a typical subscriber. */
export interface BanPrefix {
  prefix_v6?: 128 | 64 | undefined;
}

/** The network a ban of `c` covers: an IPv6 address widens to prefix_v6; networks stay as wide as they are. */
export function widen(c: Cidr, opts: BanPrefix = {}): Cidr {
  const prefix = Math.min(c.prefix, c.family === 6 ? (opts.prefix_v6 ?? 128) : 32);
  return { family: c.family, bits: c.bits & mask(c.family, prefix), prefix };
}

/**
 * The network a ban of the address `ip` covers: the IPv4 address itself, the IPv6 address or
 * its /64. Only a single address is accepted (a network here would come from text an attacker
 * wrote into a log line): undefined otherwise.
 */
export function banTarget(ip: string, opts: BanPrefix = {}): Cidr | undefined {
  const c = parseIp(ip);
  return c && widen(c, opts);
}

/** Prefix width of a family: 32 or 128. */
export function hostPrefix(family: Family): number {
  return WIDTH[family];
}

/**
 * Addresses that can never be an attacker's source, whatever a log line says: nothing sends
 * from them, or a ban of them cuts this machine off from something it needs (the network it is
 * on, multicast). Documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24,
 * 2001:db8::/32) are not here: tests ban them. Link-local is here unless the config allows it
 * (`guard.ban_link_local`): a neighbour on the same link can attack, but the router's
 * fe80:: address is what every packet goes through.
 */
const NEVER: { cidr: Cidr; why: string; linkLocal?: true }[] = [
  ['0.0.0.0/8', 'the unspecified address ("this network"), never a source'],
  ['255.255.255.255', 'the broadcast address, never a source'],
  ['224.0.0.0/4', 'multicast, never a source'],
  ['240.0.0.0/4', 'reserved (240/4), never routed'],
  ['::', 'the unspecified address, never a source'],
  ['ff00::/8', 'multicast, never a source'],
  ['169.254.0.0/16', 'link-local (a neighbour on this link or the router; guard.ban_link_local: true allows it)', true],
  ['fe80::/10', 'link-local (a neighbour on this link or the router; guard.ban_link_local: true allows it)', true],
].map(([text, why, linkLocal]) => ({ cidr: parseCidr(text as string)!, why: why as string, ...(linkLocal ? { linkLocal: true as const } : {}) }));

/**
 * Why `c` (an address, or the network a ban would cover) must never be banned, or undefined.
 * Loopback is the allow list's (always there). A network is refused when it touches any of
 * these ranges.
 */
export function unbannable(c: Cidr, opts: { banLinkLocal?: boolean | undefined } = {}): string | undefined {
  for (const n of NEVER) if (!(n.linkLocal && opts.banLinkLocal) && overlaps(n.cidr, c)) return `${formatCidr(c)} is ${n.why}`;
  return undefined;
}
