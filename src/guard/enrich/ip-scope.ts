/**
 * What kind of address an IP is, before anyone is asked about it: private, loopback and
 * link-local addresses (and the reserved ones) belong to no registry, so no whois query is sent
 * for them, and their numeric form for the range cache.
 */
import { BlockList, isIP } from 'node:net';

const privateV4 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '169.254.0.0/16', '100.64.0.0/10'];
const reservedV4 = ['0.0.0.0/8', '192.0.0.0/24', '192.0.2.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4'];
const privateV6 = ['::1/128', 'fc00::/7', 'fe80::/10'];
const reservedV6 = ['::/128', 'ff00::/8', '2001:db8::/32', '100::/64'];

function list(v4: string[], v6: string[]): BlockList {
  const b = new BlockList();
  for (const c of v4) b.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv4');
  for (const c of v6) b.addSubnet(c.split('/')[0]!, Number(c.split('/')[1]), 'ipv6');
  return b;
}
const PRIVATE = list(privateV4, privateV6);
const RESERVED = list(reservedV4, reservedV6);

export type AddressScope = 'public' | 'private' | 'reserved' | 'invalid';

/** An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`) as the IPv4 address it is; others unchanged. */
export function unmap(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip);
  return m ? m[1]! : ip;
}

export function addressScope(address: string): AddressScope {
  const ip = unmap(address);
  const family = isIP(ip);
  if (family === 0) return 'invalid';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (PRIVATE.check(ip, type)) return 'private';
  if (RESERVED.check(ip, type)) return 'reserved';
  return 'public';
}

/** The words shown instead of a whois answer for an address that is not public. */
export function scopeNote(scope: AddressScope): string | undefined {
  return scope === 'private' ? 'private address' : scope === 'reserved' ? 'reserved address' : scope === 'invalid' ? 'not an IP address' : undefined;
}

/** An address as a number, for range comparisons. */
export interface IpNumber {
  family: 4 | 6;
  value: bigint;
}

export function ipNumber(address: string): IpNumber | undefined {
  const ip = unmap(address);
  const family = isIP(ip);
  if (family === 4) return { family: 4, value: v4(ip) };
  if (family !== 6) return undefined;
  let text = ip.split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail) {
    const n = v4(tail[1]!);
    text = text.slice(0, -tail[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const a = head === '' ? [] : head.split(':');
  const b = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups = rest === undefined ? a : [...a, ...Array<string>(8 - a.length - b.length).fill('0'), ...b];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  return { family: 6, value };
}

function v4(ip: string): bigint {
  return ip.split('.').reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
}

/** An address range from whois text: `a - b`, a CIDR, or LACNIC's short form `200.160/20`. */
export function parseRange(text: string): { family: 4 | 6; start: bigint; end: bigint } | undefined {
  const t = text.trim();
  const dash = /^(\S+)\s*-\s*(\S+)$/.exec(t);
  if (dash) {
    const a = ipNumber(dash[1]!);
    const b = ipNumber(dash[2]!);
    if (!a || !b || a.family !== b.family || a.value > b.value) return undefined;
    return { family: a.family, start: a.value, end: b.value };
  }
  const cidr = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(t);
  if (!cidr) return undefined;
  let base = cidr[1]!;
  if (!base.includes(':')) {
    const octets = base.split('.');
    if (octets.length > 4) return undefined;
    while (octets.length < 4) octets.push('0');
    base = octets.join('.');
  }
  const n = ipNumber(base);
  const len = Number(cidr[2]);
  if (!n) return undefined;
  const bits = n.family === 4 ? 32 : 128;
  if (len > bits) return undefined;
  const host = (1n << BigInt(bits - len)) - 1n;
  return { family: n.family, start: n.value & ~host, end: (n.value & ~host) | host };
}
