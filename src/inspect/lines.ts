/**
 * Walking a server's text line by line without copying it into an array first, synchronously
 * (for the pure parsers) or in time slices (for what runs in the daemon: `/proc/net/tcp` under a
 * SYN flood is 200,000 lines). Scanned by hand: JavaScript's `\s` as a function, words split
 * without a regex.
 */
import { TimeSlice } from './time-slice.ts';

/** JavaScript's `\s` (and what `String.prototype.trim` removes), by code unit. */
export function isSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** Calls `each` with every line of `text` (split at "\n", as `text.split('\n')` gives them). */
export function eachLine(text: string, each: (line: string) => void): void {
  for (let at = 0; ; ) {
    const end = text.indexOf('\n', at);
    each(text.slice(at, end < 0 ? text.length : end));
    if (end < 0) return;
    at = end + 1;
  }
}

/** The same, letting the event loop turn whenever `slice` is used up. */
export async function eachLineSliced(text: string, each: (line: string) => void, slice = new TimeSlice()): Promise<void> {
  for (let at = 0; ; ) {
    const end = text.indexOf('\n', at);
    const stop = end < 0 ? text.length : end;
    each(text.slice(at, stop));
    if (end < 0) return;
    if (slice.spent(stop - at + 16)) await slice.pause();
    at = end + 1;
  }
}

/** The first `max` words of a line, split at runs of `\s` (as `line.trim().split(/\s+/)` begins). */
export function words(line: string, max: number): string[] {
  const out: string[] = [];
  const n = line.length;
  let i = 0;
  while (out.length < max) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    while (i < n && !isSpace(line.charCodeAt(i))) i++;
    out.push(line.slice(start, i));
  }
  return out;
}
