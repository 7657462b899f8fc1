/**
 * Enrichment of an attacker's address for the incident and the ban record: country from the
 * offline database (country.ts), network, owner and abuse address from whois (whois.ts), in one
 * plain object. The country from the database wins (it says where the address is used today);
 * whois's country fills in when the database has none. Results are cached per address.
 *
 * Every field is plain short text with no control characters (the whois part is written by
 * whoever registered the network): fit for incidents, messages and the web page, and never to be
 * put into a shell command.
 */
import { z } from 'zod';
import { duration } from '../../core/schema.ts';
import { countryName, countryOf } from './country.ts';
import { addressScope, scopeNote, unmap } from './ip-scope.ts';
import { schema as whoisSchema, WhoisClient } from './whois.ts';

export const schema = z.strictObject({
  geoip: z.boolean().default(true).meta({ description: 'country from the offline geoip-country database' }),
  whois: whoisSchema.prefault({}),
  cache_ttl: duration('how long an address keeps its enrichment').prefault('1h'),
  cache_size: z.number().int().min(1).default(10_000).meta({ description: 'addresses kept in the cache' }),
});

export type EnrichOptions = z.output<typeof schema>;

/** Who and where an address is, as shown in incidents. */
export interface Enrichment {
  address: string;
  /** ISO 3166-1 alpha-2 code. */
  country?: string | undefined;
  countryName?: string | undefined;
  /** The network the address belongs to, as the registry wrote it. */
  network?: string | undefined;
  /** The registry's name for the network (`netname`). */
  netName?: string | undefined;
  owner?: string | undefined;
  abuse?: string | undefined;
  /** Where the facts came from: `geoip-country`, the whois server, or `none`. */
  source: string;
  /** Why something is missing (`private address`, a whois timeout). */
  note?: string | undefined;
}

export class Enricher {
  private readonly cache = new Map<string, { expires: number; value: Enrichment }>();
  readonly whois: WhoisClient;

  constructor(readonly o: EnrichOptions) {
    this.whois = new WhoisClient(o.whois);
  }

  /** Enriches one address; never throws (what could not be found is left out, with a note). */
  async enrich(address: string, signal?: AbortSignal): Promise<Enrichment> {
    const ip = unmap(address.trim());
    const scope = addressScope(ip);
    if (scope !== 'public') return { address: ip, source: 'none', note: scopeNote(scope) };
    const hit = this.cache.get(ip);
    if (hit && hit.expires > Date.now()) return hit.value;
    const geo = this.o.geoip ? countryOf(ip) : undefined;
    const w = await this.whois.lookup(ip, signal);
    const country = geo?.country ?? w.country;
    const sources = [geo ? 'geoip-country' : undefined, w.server].filter((s): s is string => s !== undefined);
    const value: Enrichment = { address: ip, source: sources.length > 0 ? sources.join(', ') : 'none' };
    if (country) {
      value.country = country;
      value.countryName = geo?.name ?? countryName(country);
    }
    if (w.network) value.network = w.network;
    if (w.netName) value.netName = w.netName;
    if (w.owner) value.owner = w.owner;
    if (w.abuse) value.abuse = w.abuse;
    if (w.note) value.note = w.note;
    this.cache.delete(ip);
    // A failed or partial whois answer is kept only as long as whois keeps its failures.
    const ttl = w.note === undefined ? this.o.cache_ttl : Math.min(this.o.cache_ttl, this.o.whois.failure_ttl);
    this.cache.set(ip, { expires: Date.now() + ttl, value });
    while (this.cache.size > this.o.cache_size) this.cache.delete(this.cache.keys().next().value!);
    return value;
  }
}

/** An enricher with the given options (defaults from the schema). */
export function createEnricher(options: z.input<typeof schema> = {}): Enricher {
  return new Enricher(schema.parse(options));
}
