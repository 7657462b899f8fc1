/**
 * The console's languages and times: every page is said in the reader's language (`en` or `ja`)
 * and every instant in the reader's time zone, with the zone named (never the server's zone
 * unnamed). Words are kept beside the page that says them, as `{ en, ja }` pairs (core/said.ts).
 */
import type { Said } from '../core/said.ts';

export type Lang = 'en' | 'ja';
export const LANGS: readonly Lang[] = ['en', 'ja'];

/** The reader's words of a pair. */
export const say = (lang: Lang, s: Said): string => s[lang];

/** A language from an Accept-Language header: `ja` when Japanese comes before English, else `en`. */
export function langFromHeader(header: string | undefined): Lang {
  const h = (header ?? '').slice(0, 200).toLowerCase();
  const ja = h.search(/\bja\b|\bja-/);
  const en = h.search(/\ben\b|\ben-/);
  return ja >= 0 && (en < 0 || ja < en) ? 'ja' : 'en';
}

export { isTimeZone } from '../auth/validate.ts';

const formats = new Map<string, Intl.DateTimeFormat>();
function formatOf(lang: Lang, zone: string): Intl.DateTimeFormat {
  const key = `${lang}|${zone}`;
  let f = formats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(lang === 'ja' ? 'ja-JP' : 'en-GB', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' });
    if (formats.size > 200) formats.clear();
    formats.set(key, f);
  }
  return f;
}

/** `2026-12-07 18:14:45 JST`: an instant in the reader's zone, the zone named; `—` for none. */
export function formatTime(at: string | number | null | undefined, lang: Lang, zone: string): string {
  if (at === null || at === undefined) return '—';
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return '—';
  const parts = Object.fromEntries(formatOf(lang, zone).formatToParts(d).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} ${parts.timeZoneName ?? zone}`;
}
