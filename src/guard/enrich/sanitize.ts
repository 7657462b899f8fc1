/**
 * Enrichment text comes from whois answers: attacker-influenced (anyone can register a network
 * name or an organisation description) and shown later in incidents, notifications and the web
 * page. Every field is made plain and short here: no control characters (terminal escapes, line
 * breaks that forge lines), no bidirectional or invisible format characters, a bounded length.
 * None of it is ever handed to a shell.
 */

// C0, DEL, C1; bidi embeddings/overrides/isolates and marks; zero-width and BOM; line/paragraph separators.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]/gu;

/** Plain one-line text of at most `max` characters, or undefined when nothing is left. */
export function cleanText(value: unknown, max = 200): string | undefined {
  if (typeof value !== 'string') return undefined;
  const plain = value.replace(UNSAFE, ' ').replace(/\s+/g, ' ').trim();
  if (plain === '') return undefined;
  const chars = Array.from(plain);
  return chars.length <= max ? plain : chars.slice(0, max).join('').trimEnd();
}

const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)+$/;

/** An e-mail address that looks like one (letters, digits and the usual signs only), else undefined. */
export function cleanEmail(value: unknown): string | undefined {
  const t = cleanText(value, 254);
  if (t === undefined) return undefined;
  const addr = t.replace(/^mailto:/i, '').replace(/^<(.*)>$/, '$1');
  return EMAIL.test(addr) ? addr : undefined;
}

/** A two-letter country code in capitals, else undefined. */
export function cleanCountry(value: unknown): string | undefined {
  const t = cleanText(value, 8)?.toUpperCase();
  return t !== undefined && /^[A-Z]{2}$/.test(t) ? t : undefined;
}
