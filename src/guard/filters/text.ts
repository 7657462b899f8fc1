/**
 * Small text helpers the filters share (not a filter). The rule they serve: an address is taken
 * from a place in the line that client text cannot reach. When client text can sit on both sides
 * of a daemon's fixed wording, the wording must appear exactly once (`onlyIndexOf`): then it is
 * the daemon's own, and a client who writes it into a user name only hides its own failure.
 */
import { isIPv4At, normaliseAddress } from '../failure.ts';

export { isIPv4At };

/** Index of `needle` in `line` at or after `from` when it occurs there exactly once, else -1. */
export function onlyIndexOf(line: string, needle: string, from = 0): number {
  const i = line.indexOf(needle, from);
  if (i < 0 || line.indexOf(needle, i + 1) >= 0) return -1;
  return i;
}

/** Where the line ends, trailing spaces and tabs left out. */
export function trimmedEnd(line: string): number {
  let end = line.length;
  while (end > 0) {
    const c = line.charCodeAt(end - 1);
    if (c !== 32 && c !== 9) break;
    end--;
  }
  return end;
}

/** True when `line` has `word` ending exactly at `end`. */
export function endsAt(line: string, word: string, end: number): boolean {
  return end >= word.length && line.startsWith(word, end - word.length);
}

/** Characters an IP address (v4, v6, v4-mapped) is written with. */
export function isAddressChar(c: number): boolean {
  return (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46;
}

/** End of the run of address characters starting at `i`. */
export function addressEnd(line: string, i: number): number {
  let j = i;
  while (j < line.length && isAddressChar(line.charCodeAt(j))) j++;
  return j;
}

/** Applies a sticky (`y`) regex at `at`; the match or null. */
export function execAt(re: RegExp, line: string, at: number): RegExpExecArray | null {
  re.lastIndex = at;
  return re.exec(line);
}

/** The canonical address written at [start, end) of `line`, or undefined: `normaliseAddress`, without a regex for IPv4. */
export function addressAt(line: string, start: number, end: number): string | undefined {
  return isIPv4At(line, start, end) ? line.slice(start, end) : normaliseAddress(line.slice(start, end));
}

/**
 * `line.startsWith(word, i)`, compared in place: for the short words filters test, several times
 * faster than the builtin on a line cut from a larger string (as every line the scanner gets is).
 */
export function hasAt(line: string, i: number, word: string): boolean {
  const n = word.length;
  if (i < 0 || i + n > line.length) return false;
  for (let k = 0; k < n; k++) if (line.charCodeAt(i + k) !== word.charCodeAt(k)) return false;
  return true;
}
