/** @jsxRuntime automatic @jsxImportSource hono/jsx */
/**
 * Times and country names for the console's long lists (guard, incidents, a check's band and
 * results), kept once worked out.
 * The lists repeat the same instants and the same few countries on every load, and each costs an
 * Intl call (formatToParts is slow; DisplayNames is built per call): on the guard page 300 times
 * and 200 names were a fifth of the render, on the incident list times were a sixth, all of it
 * time the scheduler's due timers wait. Bounded: past MEMO_MAX entries a map starts again.
 */
import type { FC } from 'hono/jsx';
import { formatTime, type Lang } from './i18n.ts';
import { regionName } from './pages-console-kit.tsx';
import type { Reader } from './reader.ts';

const MEMO_MAX = 5000;
const regions = new Map<string, string | undefined>();
const times = new Map<string, string>();

function remember<V>(m: Map<string, V>, key: string, make: () => V): V {
  if (m.has(key)) return m.get(key) as V;
  const v = make();
  if (m.size >= MEMO_MAX) m.clear();
  m.set(key, v);
  return v;
}

/** regionName, kept per code and language. */
export const regionIn = (code: string | null | undefined, lang: Reader['lang']): string | undefined => (code ? remember(regions, `${code}|${lang}`, () => regionName(code, lang)) : undefined);

/** formatTime, kept per instant, language and zone: for instants that come back (stored ones, not `now`). */
export const timeAt = (at: number | string, lang: Lang, zone: string): string => remember(times, `${at}|${lang}|${zone}`, () => formatTime(at, lang, zone));
export const timeIn = (at: number | string, r: Reader): string => timeAt(at, r.lang, r.zone);

/** The kit's When (an instant in the reader's zone, in a <time>), from the kept formatting. */
export const At: FC<{ at: number | string | null | undefined; r: Reader }> = ({ at, r }) =>
  at === null || at === undefined ? <span>—</span> : <time datetime={new Date(at).toISOString()}>{timeIn(at, r)}</time>;
