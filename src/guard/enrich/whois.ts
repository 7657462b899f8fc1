/**
 * whois for an attacker's address, the way an operator types `whois 178.216.51.67`: ask IANA
 * which registry holds the address, follow the referral (`refer:`/`whois:`, ARIN's
 * `ReferralServer: whois://...`, JPNIC space shown by APNIC) to the registry, and read the
 * network, its name, owner, country and abuse address from the answer (whois-parse.ts).
 *
 * Everything is bounded: connect and whole-lookup timeouts, answer size, number of referrals (and
 * a loop is cut as soon as a server repeats); referrals are followed only to known registry hosts,
 * so a record cannot send mamoru to an arbitrary server. Private and loopback addresses are never
 * asked about. Answers are cached by the network range they describe, so a second attacker from
 * the same network costs no query. The output is plain, short text (sanitize.ts).
 */
import { z } from 'zod';
import { duration } from '../../core/schema.ts';
import { addressScope, ipNumber, scopeNote, unmap } from './ip-scope.ts';
import { cleanCountry, cleanEmail, cleanText } from './sanitize.ts';
import { parseWhois, type ParsedWhois } from './whois-parse.ts';
import { whoisQuery, type QueryTarget } from './whois-query.ts';

/** The registries and national registries a referral may lead to. */
export const REGISTRY_HOSTS = [
  'whois.iana.org',
  'whois.arin.net',
  'whois.ripe.net',
  'whois.apnic.net',
  'whois.lacnic.net',
  'whois.afrinic.net',
  'whois.nic.ad.jp',
  'whois.registro.br',
  'whois.twnic.net.tw',
];

/** Query wording each registry needs (`{ip}` is the address); plain address elsewhere. */
const QUERY_FORMAT: Record<string, string> = {
  // ARIN: network records only, with the organisation and its abuse contact ("+" = full output).
  'whois.arin.net': 'n + {ip}',
  // JPNIC answers in Japanese unless asked for English.
  'whois.nic.ad.jp': '{ip}/e',
};

const hostPort = z
  .string()
  .regex(/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::\d{1,5})?$/, 'expected host or host:port, e.g. "whois.iana.org" or "127.0.0.1:4343"');

export const schema = z.strictObject({
  enabled: z.boolean().default(true).meta({ description: 'ask whois about attackers (country still comes from the offline database when off)' }),
  server: hostPort.default('whois.iana.org').meta({ description: 'where every lookup starts: IANA, which refers to the right registry' }),
  servers: z
    .record(z.string(), hostPort)
    .default({})
    .meta({ description: 'where a registry is reached instead of its own name and port 43, e.g. a local mirror: `{ "whois.ripe.net": "10.0.0.5:4343" }`' }),
  follow: z.array(z.string()).default(REGISTRY_HOSTS).meta({ description: 'registry hosts a referral may lead to; referrals elsewhere are not followed' }),
  max_referrals: z.number().int().min(0).max(10).default(3).meta({ description: 'referrals followed at most per lookup' }),
  connect_timeout: duration('give up on a whois server that does not accept the connection within this time').prefault('5s'),
  timeout: duration('give up on a whole lookup, referrals included, after this time').prefault('15s'),
  max_answer_bytes: z.number().int().min(1024).default(64 * 1024).meta({ description: 'an answer is read up to this many bytes' }),
  cache_ttl: duration('how long an answer serves every address of its network').prefault('24h'),
  failure_ttl: duration('how long a failed lookup is not tried again').prefault('10m'),
  cache_size: z.number().int().min(1).default(10_000).meta({ description: 'networks kept in the cache' }),
  max_field_length: z.number().int().min(16).max(2000).default(200).meta({ description: 'each field of the answer is cut to this many characters' }),
});

export type WhoisOptions = z.output<typeof schema>;

/** What whois says about an address: plain, short text, safe to show anywhere. */
export interface WhoisResult {
  address: string;
  network?: string | undefined;
  netName?: string | undefined;
  owner?: string | undefined;
  country?: string | undefined;
  abuse?: string | undefined;
  /** The server whose answer this is (`whois.ripe.net`). */
  server?: string | undefined;
  /** Why something is missing: `private address`, `whois.ripe.net:43: connection refused`, ... */
  note?: string | undefined;
  /** True when the answer came from the cache (no query sent). */
  cached?: boolean | undefined;
}

interface CacheEntry {
  family: 4 | 6;
  start: bigint;
  end: bigint;
  expires: number;
  result: Omit<WhoisResult, 'address' | 'cached'>;
}

function target(spec: string): QueryTarget {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(spec)!;
  return { host: (m[1] ?? m[2])!, port: m[3] === undefined ? 43 : Number(m[3]) };
}

export class WhoisClient {
  /** Insertion-ordered: the oldest entry goes first when the cache is full. */
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<WhoisResult>>();
  private readonly follow: Set<string>;
  private readonly servers: Map<string, string>;

  constructor(readonly o: WhoisOptions) {
    this.follow = new Set(o.follow.map((h) => h.toLowerCase()));
    this.servers = new Map(Object.entries(o.servers).map(([k, v]) => [k.toLowerCase(), v]));
  }

  /** Looks an address up (or answers from the cache); never throws, failures are in `note`. */
  lookup(address: string, signal?: AbortSignal): Promise<WhoisResult> {
    const ip = unmap(address.trim());
    const scope = addressScope(ip);
    if (scope !== 'public') return Promise.resolve({ address: ip, note: scopeNote(scope) });
    if (!this.o.enabled) return Promise.resolve({ address: ip, note: 'whois is turned off' });
    const hit = this.fromCache(ip);
    if (hit) return Promise.resolve(hit);
    let p = this.inflight.get(ip);
    if (!p) {
      p = this.resolve(ip, signal).finally(() => this.inflight.delete(ip));
      this.inflight.set(ip, p);
    }
    return p;
  }

  private fromCache(ip: string): WhoisResult | undefined {
    const n = ipNumber(ip)!;
    const now = Date.now();
    let best: CacheEntry | undefined;
    for (const [key, e] of this.cache) {
      if (e.expires <= now) {
        this.cache.delete(key);
        continue;
      }
      if (e.family === n.family && e.start <= n.value && n.value <= e.end && (!best || e.end - e.start < best.end - best.start)) best = e;
    }
    return best ? { address: ip, ...best.result, cached: true } : undefined;
  }

  private remember(ip: string, result: Omit<WhoisResult, 'address' | 'cached'>, range: ParsedWhois['range'], ttl: number): void {
    const n = ipNumber(ip)!;
    const r = range && range.family === n.family && range.start <= n.value && n.value <= range.end ? range : { family: n.family, start: n.value, end: n.value };
    const key = `${r.family}:${r.start}-${r.end}`;
    this.cache.delete(key);
    this.cache.set(key, { ...r, expires: Date.now() + ttl, result });
    while (this.cache.size > this.o.cache_size) this.cache.delete(this.cache.keys().next().value!);
  }

  private async resolve(ip: string, signal?: AbortSignal): Promise<WhoisResult> {
    const deadline = Date.now() + this.o.timeout;
    const start = target(this.o.server);
    let host = start.host.toLowerCase();
    let port = start.port;
    const visited = new Set<string>();
    let best: { parsed: ParsedWhois; server: string } | undefined;
    let note: string | undefined;
    for (let hop = 0; ; hop++) {
      visited.add(`${host}:${port}`);
      const via = this.servers.get(host);
      const to = via ? target(via) : { host, port };
      let parsed: ParsedWhois;
      try {
        const answer = await whoisQuery(to, (QUERY_FORMAT[host] ?? '{ip}').replace('{ip}', ip), {
          connectTimeoutMs: this.o.connect_timeout,
          deadline,
          maxBytes: this.o.max_answer_bytes,
          signal,
        });
        parsed = parseWhois(answer.text);
        if (answer.truncated) note = `${host}: answer cut at ${this.o.max_answer_bytes} bytes`;
      } catch (e) {
        note = (e as Error).message.replace(/^whois /, '').replace(`${to.host}:${to.port}`, `${host}:${port}`);
        break;
      }
      // A registry's own answer beats IANA's (which only names the registry as owner).
      if (parsed.network !== undefined || parsed.owner !== undefined) best = { parsed, server: host };
      const next = parsed.referral;
      if (!next) break;
      const nextHost = next.host;
      const nextPort = next.port ?? 43;
      if (nextHost === host && nextPort === port) break; // "see this server": the answer is here
      if (visited.has(`${nextHost}:${nextPort}`)) {
        note = `referral loop at ${nextHost}`;
        break;
      }
      if (hop >= this.o.max_referrals) {
        note = `more than ${this.o.max_referrals} referrals; stopped at ${host}`;
        break;
      }
      if (!this.follow.has(nextHost) && !this.servers.has(nextHost)) {
        note = `referral to ${nextHost} not followed (not a known registry)`;
        break;
      }
      host = nextHost;
      port = nextPort;
    }
    const max = this.o.max_field_length;
    const result: Omit<WhoisResult, 'address' | 'cached'> = best
      ? {
          network: cleanText(best.parsed.network, max),
          netName: cleanText(best.parsed.netName, max),
          owner: cleanText(best.parsed.owner, max),
          country: cleanCountry(best.parsed.country),
          abuse: cleanEmail(best.parsed.abuse),
          server: cleanText(best.server, max),
          note: cleanText(note, max),
        }
      : { note: cleanText(note ?? 'no network in the whois answers', max) };
    for (const k of Object.keys(result) as (keyof typeof result)[]) if (result[k] === undefined) delete result[k];
    // Only a registry's complete answer speaks for its whole network; a failure (or IANA's
    // answer alone) is kept briefly and for this address only, so it is tried again soon.
    const complete = best !== undefined && note === undefined && best.server !== start.host.toLowerCase();
    this.remember(ip, result, complete ? best!.parsed.range : undefined, complete ? this.o.cache_ttl : this.o.failure_ttl);
    return { address: ip, ...result };
  }
}

/** A whois client with the given options (defaults from the schema). */
export function createWhoisClient(options: z.input<typeof schema> = {}): WhoisClient {
  return new WhoisClient(schema.parse(options));
}
