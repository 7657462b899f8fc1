/**
 * The pieces of Apache's config syntax, read by hand in one pass each: logical lines (a trailing
 * backslash joins the next), section tags, words with quotes, `${VAR}`. The text comes from a
 * server an attacker may own, so nothing here backtracks: the regex that matched section tags
 * held the event loop for 10 s on one line of `<a` and 4,000 spaces. Each function keeps the
 * result the old regular expressions gave on ordinary lines (noted per function), and is
 * linear in its input.
 */
import { isSpace } from './lines.ts';

/** What a regex `.` does not match. */
const isLineBreak = (c: number) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;

/** `[\w:]`: a section name's characters. */
const isNameChar = (c: number) => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x3a;

/** One logical line of a file. */
export interface LogicalLine {
  /** The line, joined and trimmed; undefined when it is longer than the limit (not built). */
  text: string | undefined;
  /** Its length before trimming (at least the limit when `text` is undefined). */
  length: number;
  /** Physical lines it took (1 without continuations). */
  lines: number;
  /** Where the next logical line starts; past the end when none does. */
  next: number;
  /** Only for a line too long to build: whether it is a section tag (starts with "<"). */
  tag: boolean;
}

/**
 * The logical line starting at `pos`: "\r" dropped at each end, a trailing backslash joining the
 * next physical line with its leading blanks removed (as `line.slice(0, -1) + ' ' +
 * next.trimStart()` did), then trimmed. A line longer than `maxLength` is scanned to its end but
 * not built.
 */
export function logicalLine(text: string, pos: number, maxLength: number): LogicalLine {
  const parts: string[] = [];
  let length = 0;
  let lines = 0;
  let tooLong = false;
  let tag = false;
  let at = pos;
  for (;;) {
    lines++;
    let end = text.indexOf('\n', at);
    const last = end < 0;
    if (last) end = text.length;
    let stop = end;
    if (stop > at && text.charCodeAt(stop - 1) === 0x0d) stop--;
    const continues = !last && stop > at && text.charCodeAt(stop - 1) === 0x5c;
    // Most lines stand alone: no array, no join (the parse runs over millions of them).
    if (lines === 1 && !continues && stop - at <= maxLength) return { text: text.slice(at, stop).trim(), length: stop - at, lines, next: end + 1, tag: false };
    if (lines === 1) {
      let s = at;
      while (s < stop && isSpace(text.charCodeAt(s))) s++;
      tag = text.charCodeAt(s) === 0x3c;
    }
    length += stop - at;
    if (!tooLong && length > maxLength) {
      tooLong = true;
      parts.length = 0;
    }
    if (!tooLong) {
      // Parts are joined once at the end: joining as we go copies the line once per continuation.
      const part = text.slice(at, continues ? stop - 1 : stop);
      parts.push(lines === 1 ? part : part.trimStart());
    }
    at = end + 1;
    if (!continues) break;
  }
  return { text: tooLong ? undefined : parts.join(' ').trim(), length, lines, next: at, tag };
}

/**
 * A closing tag `</Name>` (blanks allowed before the ">"): its name, else undefined. As
 * `/^<\/([\w:]+)\s*>$/` on a trimmed line.
 */
export function closeTag(line: string): string | undefined {
  const n = line.length;
  if (n < 4 || line.charCodeAt(0) !== 0x3c || line.charCodeAt(1) !== 0x2f || line.charCodeAt(n - 1) !== 0x3e) return undefined;
  let i = 2;
  while (i < n && isNameChar(line.charCodeAt(i))) i++;
  if (i === 2) return undefined;
  for (let k = i; k < n - 1; k++) if (!isSpace(line.charCodeAt(k))) return undefined;
  return line.slice(2, i);
}

/**
 * An opening tag `<Name args>`: its name and the text between name and ">", trimmed; else
 * undefined. As `/^<([\w:]+)(?:\s+(.*?))?\s*>$/` on a trimmed line (without its backtracking).
 */
export function openTag(line: string): { name: string; arg: string } | undefined {
  const n = line.length;
  if (n < 3 || line.charCodeAt(0) !== 0x3c || line.charCodeAt(n - 1) !== 0x3e) return undefined;
  let i = 1;
  while (i < n && isNameChar(line.charCodeAt(i))) i++;
  if (i === 1) return undefined;
  // The name ends at a blank or at the final ">"; `<a-b>` or `<a>>` are not tags.
  if (i < n - 1 && !isSpace(line.charCodeAt(i))) return undefined;
  // Blanks around the argument may be anything `\s` matches; inside it, `.` takes no line break.
  const arg = line.slice(i, n - 1).trim();
  for (let k = 0; k < arg.length; k++) if (isLineBreak(arg.charCodeAt(k))) return undefined;
  return { name: line.slice(1, i), arg };
}

/** `"text"` -> `text` when the whole value is one double-quoted string (as `/^"(.*)"$/`). */
export function unquote(value: string): string {
  const n = value.length;
  if (n < 2 || value.charCodeAt(0) !== 0x22 || value.charCodeAt(n - 1) !== 0x22) return value;
  for (let k = 1; k < n - 1; k++) if (isLineBreak(value.charCodeAt(k))) return value;
  return value.slice(1, -1);
}

/** Where a quoted word opened at `open` closes, or -1 (a backslash escapes the next character). */
function closingQuote(text: string, open: number, quote: number): number {
  for (let j = open + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === quote) return j;
    if (c === 0x5c) {
      if (j + 1 >= text.length || isLineBreak(text.charCodeAt(j + 1))) return -1;
      j++;
    }
  }
  return -1;
}

/** A quoted word's inside with each `\x` made `x`. */
function unescape(inner: string): string {
  if (!inner.includes('\\')) return inner;
  let out = '';
  for (let j = 0; j < inner.length; j++) {
    if (inner.charCodeAt(j) === 0x5c && j + 1 < inner.length) j++;
    out += inner[j];
  }
  return out;
}

/**
 * Splits a directive line into words, honouring "double" and 'single' quotes with backslash
 * escapes; an unclosed quote starts an ordinary word. As the old
 * `/"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g`, in one pass: a quote that does not close
 * scans to the end once, and no later word of the same quote can start inside that scan (it
 * would follow a blank, which the scan passed over as an ordinary character, and would have
 * closed it), so every character is looked at a bounded number of times.
 *
 * `maxWords`: stop after this many (the caller keeps a bounded number). @defaultValue Infinity
 */
export function splitArgs(text: string, maxWords = Infinity): string[] {
  const out: string[] = [];
  const n = text.length;
  let i = 0;
  while (out.length < maxWords) {
    while (i < n && isSpace(text.charCodeAt(i))) i++;
    if (i >= n) break;
    const c = text.charCodeAt(i);
    if (c === 0x22 || c === 0x27) {
      const close = closingQuote(text, i, c);
      if (close >= 0) {
        out.push(unescape(text.slice(i + 1, close)));
        i = close + 1;
        continue;
      }
    }
    const start = i;
    while (i < n && !isSpace(text.charCodeAt(i))) i++;
    out.push(text.slice(start, i));
  }
  return out;
}

/** `${NAME}`: the characters a name may have. */
const isVarChar = (c: number) => isNameChar(c) || c === 0x2e || c === 0x2d;

/**
 * Replaces each `${NAME}` (NAME of letters, digits and `_.:-`) with `lookup(NAME)`; an unknown
 * one is left as written and reported to `missing`. One pass, the result not scanned again (as
 * Apache does: a value holding `${X}` stays literal). Returns undefined as soon as the result
 * would pass `maxLength`: `${A}${A}...` with a long A must not build megabytes.
 */
export function substitute(text: string, lookup: (name: string) => string | undefined, missing: (name: string) => void, maxLength: number): string | undefined {
  let from = text.indexOf('${');
  if (from < 0) return text.length > maxLength ? undefined : text;
  let out = '';
  let copied = 0;
  while (from >= 0) {
    let j = from + 2;
    while (j < text.length && isVarChar(text.charCodeAt(j))) j++;
    if (j > from + 2 && text.charCodeAt(j) === 0x7d) {
      const name = text.slice(from + 2, j);
      const value = lookup(name);
      if (value === undefined) missing(name);
      else {
        out += text.slice(copied, from) + value;
        copied = j + 1;
        if (out.length > maxLength) return undefined;
      }
      from = text.indexOf('${', j + 1);
    } else from = text.indexOf('${', from + 1);
  }
  out += text.slice(copied);
  return out.length > maxLength ? undefined : out;
}
