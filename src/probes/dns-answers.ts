/**
 * DNS answers as the dns probe compares and prints them: each record type's answers become
 * plain comparable strings (names without the trailing dot, lower case; IPv6 in its canonical
 * form), and are shown the way dig and check_dig show a record (`www.example.com. 300 IN A
 * 192.0.2.1`), with a bound on how many so a huge answer stays one readable line.
 */
import type { Resolver } from 'node:dns/promises';

export const recordTypes = ['A', 'AAAA', 'MX', 'TXT', 'CNAME', 'NS'] as const;
export type RecordType = (typeof recordTypes)[number];

/** One answer: its comparable value, how dig would print its data, and its TTL when known. */
export interface Answer {
  value: string;
  /** Further forms an expected value may take (an MX's bare exchange). */
  aliases: string[];
  shown: string;
  ttl?: number | undefined;
}

const bareName = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** The canonical text of an IPv6 address (`2001:0DB8::0001` -> `2001:db8::1`); other text unchanged. */
export function canonicalIp6(text: string): string {
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return text.toLowerCase();
  }
}

/** Puts an expected value in the form answers are compared in. */
export function normalizeExpected(type: RecordType, text: string): string {
  const t = text.trim();
  switch (type) {
    case 'A':
    case 'TXT':
      return t;
    case 'AAAA':
      return canonicalIp6(t);
    case 'MX': {
      const m = /^(\d+)\s+(\S+)$/.exec(t);
      return m ? `${Number(m[1])} ${bareName(m[2]!)}` : bareName(t);
    }
    default:
      return bareName(t);
  }
}

/** Asks the resolver for one type and returns the answers sorted, so texts do not change with rotation. */
export async function query(resolver: Resolver, type: RecordType, name: string): Promise<Answer[]> {
  let answers: Answer[];
  switch (type) {
    case 'A':
      answers = (await resolver.resolve4(name, { ttl: true })).map((r) => ({ value: r.address, aliases: [], shown: r.address, ttl: r.ttl }));
      break;
    case 'AAAA':
      answers = (await resolver.resolve6(name, { ttl: true })).map((r) => {
        const v = canonicalIp6(r.address);
        return { value: v, aliases: [], shown: v, ttl: r.ttl };
      });
      break;
    case 'MX':
      answers = (await resolver.resolveMx(name))
        .sort((a, b) => a.priority - b.priority || a.exchange.localeCompare(b.exchange))
        .map((r) => ({ value: `${r.priority} ${bareName(r.exchange)}`, aliases: [bareName(r.exchange)], shown: `${r.priority} ${bareName(r.exchange)}.` }));
      return answers;
    case 'TXT':
      answers = (await resolver.resolveTxt(name)).map((chunks) => {
        const v = chunks.join('');
        return { value: v, aliases: [], shown: JSON.stringify(v) };
      });
      break;
    case 'CNAME':
      answers = (await resolver.resolveCname(name)).map((n) => ({ value: bareName(n), aliases: [], shown: `${bareName(n)}.` }));
      break;
    case 'NS':
      answers = (await resolver.resolveNs(name)).map((n) => ({ value: bareName(n), aliases: [], shown: `${bareName(n)}.` }));
      break;
  }
  return answers.sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
}

/** Answers shown in a result line at most; the rest are counted. */
const MAX_SHOWN = 5;
/** Characters of one answer's data shown at most (a long TXT record). */
const MAX_DATA = 100;

const clip = (s: string) => (s.length > MAX_DATA ? `${s.slice(0, MAX_DATA)}...` : s);

/** dig's answer line for the set: `www.example.com. 300 IN A 192.0.2.1, 192.0.2.2`. */
export function describeAnswers(name: string, type: RecordType, answers: Answer[]): string {
  const ttls = answers.map((a) => a.ttl).filter((t): t is number => t !== undefined);
  const ttl = ttls.length ? ` ${Math.min(...ttls)}` : '';
  const data = answers.slice(0, MAX_SHOWN).map((a) => clip(a.shown));
  const more = answers.length > MAX_SHOWN ? ` and ${answers.length - MAX_SHOWN} more` : '';
  return `${bareName(name)}.${ttl} IN ${type} ${data.join(', ')}${more}`;
}

/** The values as check_dns lists them: `192.0.2.1,192.0.2.2` (bounded like describeAnswers). */
export function listValues(values: string[]): string {
  const shown = values.slice(0, MAX_SHOWN).map(clip).join(',');
  return values.length > MAX_SHOWN ? `${shown} and ${values.length - MAX_SHOWN} more` : shown;
}
