/**
 * The country of an address from the offline database of the `geoip-country` package (GeoLite2
 * data shipped with it): no query leaves the machine. The database (a few MB) is loaded on the
 * first lookup, not when mamoru starts, since most runs never ban anyone.
 */
import { createRequire } from 'node:module';
import { addressScope, unmap } from './ip-scope.ts';

export interface CountryInfo {
  /** ISO 3166-1 alpha-2 code, e.g. `SE`. */
  country: string;
  /** English name, e.g. `Sweden`. */
  name: string;
}

interface GeoipCountry {
  lookup(ip: string): { country?: string; name?: string } | null;
}

let db: GeoipCountry | undefined;

function database(): GeoipCountry {
  db ??= createRequire(import.meta.url)('geoip-country') as GeoipCountry;
  return db;
}

const names = new Intl.DisplayNames(['en'], { type: 'region' });

/** The English name of a two-letter country code (`JP` -> `Japan`), or undefined. */
export function countryName(code: string): string | undefined {
  try {
    const n = names.of(code);
    return n && n !== code ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The country an address is registered in, or undefined (private, reserved, unknown). */
export function countryOf(address: string): CountryInfo | undefined {
  const ip = unmap(address.trim());
  if (addressScope(ip) !== 'public') return undefined;
  let hit: ReturnType<GeoipCountry['lookup']>;
  try {
    hit = database().lookup(ip);
  } catch {
    return undefined;
  }
  const country = hit?.country;
  if (!country || !/^[A-Z]{2}$/.test(country)) return undefined;
  return { country, name: hit?.name ?? countryName(country) ?? country };
}
