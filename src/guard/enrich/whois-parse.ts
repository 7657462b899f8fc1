/**
 * Reads a whois answer about an IP address from any of the registries, each of which words it
 * differently: IANA and the RPSL registries (RIPE, APNIC, AFRINIC: `inetnum`, `netname`,
 * `descr`, `org-name`, `country`, `abuse-mailbox`, the `% Abuse contact for` comment), ARIN
 * (`NetRange`, `CIDR`, `NetName`, `OrgName`, `Country`, `OrgAbuseEmail`, `ReferralServer`),
 * LACNIC (`inetnum: 200.160/20`, `owner`, `abuse-c` pointing at a `nic-hdl` block's `e-mail`) and
 * JPNIC's bracket form (`a. [Network Number]`, `g. [Organization]`, `o. [Abuse]`).
 *
 * An answer may hold several networks (ARIN's `n +` lists the parent and the customer; APNIC may
 * show a less specific block): the most specific one wins. Values come back raw; whois.ts
 * cleans them (sanitize.ts) before anyone sees them.
 */
import { parseRange } from './ip-scope.ts';

/** Where an answer says to ask next. */
export interface Referral {
  host: string;
  port?: number | undefined;
}

export interface ParsedWhois {
  referral?: Referral | undefined;
  /** The network as the registry wrote it (`178.216.48.0 - 178.216.55.255`, `8.8.8.0/24`). */
  network?: string | undefined;
  range?: { family: 4 | 6; start: bigint; end: bigint } | undefined;
  netName?: string | undefined;
  owner?: string | undefined;
  country?: string | undefined;
  abuse?: string | undefined;
}

interface Field {
  key: string;
  value: string;
  block: number;
}

const NETWORK_KEYS = new Set(['inetnum', 'inet6num', 'netrange', 'network number']);
const KEY_VALUE = /^([A-Za-z][A-Za-z0-9_-]*(?: [A-Za-z0-9_-]+)*):\s*(.*)$/s;
const JPNIC_FIELD = /^(?:[a-z]\.\s*)?\[([^\]]+)\]\s*(.*)$/s;
const ABUSE_COMMENT = /^%\s*Abuse contact for '([^']*)' is '([^']*)'/i;

/** `whois://host:port`, `host:port` or `host`; undefined for other protocols (rwhois://) or junk. */
export function parseReferral(value: string): Referral | undefined {
  let v = value.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(v);
  if (scheme) {
    if (scheme[1]!.toLowerCase() !== 'whois') return undefined;
    v = v.slice(scheme[0].length).replace(/\/.*$/, '');
  }
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?)\.?(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  return { host: m[1]!.toLowerCase(), port };
}

function fields(text: string): { fields: Field[]; abuseComments: Map<string, string> } {
  const out: Field[] = [];
  const abuseComments = new Map<string, string>();
  let block = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r+$/, '');
    if (line.trim() === '') {
      block++;
      continue;
    }
    const abuse = ABUSE_COMMENT.exec(line);
    if (abuse) abuseComments.set(abuse[1]!.trim(), abuse[2]!.trim());
    if (line.startsWith('%') || line.startsWith('#')) continue;
    const jp = JPNIC_FIELD.exec(line);
    const kv = jp ?? KEY_VALUE.exec(line);
    if (!kv) continue;
    out.push({ key: kv[1]!.trim().toLowerCase(), value: kv[2]!.trim(), block });
  }
  return { fields: out, abuseComments };
}

/** The fields from one network key to the next: the network and the objects that describe it. */
function sections(all: Field[]): Field[][] {
  const out: Field[][] = [];
  let current: Field[] | undefined;
  for (const f of all) {
    if (NETWORK_KEYS.has(f.key)) {
      current = [];
      out.push(current);
    }
    current?.push(f);
  }
  return out;
}

const first = (s: Field[], key: string, block?: number): string | undefined =>
  s.find((f) => f.key === key && f.value !== '' && (block === undefined || f.block === block))?.value;

function describe(s: Field[], abuseComments: Map<string, string>): ParsedWhois {
  const head = s[0]!;
  const isArin = head.key === 'netrange';
  const isJpnic = head.key === 'network number';
  const cidr = first(s, 'cidr');
  const network = isArin && cidr && !cidr.includes(',') ? cidr : head.value;
  const range = parseRange(head.value) ?? (cidr ? parseRange(cidr.split(',')[0]!) : undefined);
  const netName = first(s, 'netname') ?? first(s, 'network name');
  const organization = first(s, 'organization')?.replace(/\s*\([^)]*\)\s*$/, '');
  const owner = isJpnic
    ? organization
    : first(s, 'source') === 'IANA'
      ? first(s, 'organisation')
    : (first(s, 'org-name') ?? first(s, 'orgname') ?? first(s, 'custname') ?? first(s, 'owner') ?? organization ?? first(s, 'descr', head.block));
  const country = isJpnic ? 'JP' : (first(s, 'country', head.block) ?? first(s, 'country'));
  // LACNIC names the abuse contact by handle; its e-mail is in the block with that nic-hdl.
  const abuseHandle = first(s, 'abuse-c');
  const handleBlock = abuseHandle === undefined ? undefined : s.find((f) => f.key === 'nic-hdl' && f.value === abuseHandle)?.block;
  const lacnicAbuse = handleBlock === undefined ? undefined : first(s, 'e-mail', handleBlock);
  const comment = abuseComments.get(head.value) ?? (abuseComments.size === 1 ? [...abuseComments.values()][0] : undefined);
  const abuse = comment || first(s, 'abuse-mailbox') || first(s, 'orgabuseemail') || lacnicAbuse || (isJpnic ? first(s, 'abuse') : undefined);
  return { network, range, netName, owner, country, abuse };
}

/** NIR space shown by APNIC as one big block: the details are at the national registry. */
function nirReferral(p: ParsedWhois): Referral | undefined {
  if (p.netName && /^JPNIC-NET/i.test(p.netName)) return { host: 'whois.nic.ad.jp' };
  return undefined;
}

/** Parses one whois answer. */
export function parseWhois(text: string): ParsedWhois {
  const { fields: all, abuseComments } = fields(text);
  let referral: Referral | undefined;
  for (const f of all) {
    if (f.key !== 'refer' && f.key !== 'whois' && f.key !== 'referralserver') continue;
    referral = parseReferral(f.value);
    if (referral) break;
  }
  const candidates = sections(all).map((s) => describe(s, abuseComments));
  const size = (p: ParsedWhois) => (p.range ? p.range.end - p.range.start : undefined);
  let best: ParsedWhois | undefined;
  for (const c of candidates) {
    const a = size(c);
    const b = best ? size(best) : undefined;
    if (!best || (a !== undefined && (b === undefined || a <= b))) best = c;
  }
  const result: ParsedWhois = { ...best, referral };
  result.referral ??= nirReferral(result);
  return result;
}
