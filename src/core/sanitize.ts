/**
 * Text from outside (a plugin's output, a server's banner, an error message quoting either) made
 * safe to print on a terminal, store, show on the page and send to people. What a plugin prints
 * is treated as written by an attacker: an escape sequence can recolour, move the cursor, rewrite
 * the line a person reads ("\r" over a CRITICAL), set a terminal's title or clipboard (OSC 52),
 * and a bidi override can reorder what a screen shows.
 *
 * The choice, applied in one place (`cleanText`, called where output becomes a CheckResult):
 * - ANSI escape sequences (CSI `ESC [ ... final`, OSC/DCS/SOS/PM/APC strings ended by BEL or
 *   `ESC \`, and two-character `ESC x` sequences) are removed whole: they are formatting, and
 *   the words between them are kept ("\e[31mred\e[0m" reads "red");
 * - every other control character is replaced by "?" so a person sees that something was there:
 *   C0 (bar newline and tab), DEL, C1 (U+0080-U+009F, 8-bit CSI included), a lone ESC, a lone
 *   carriage return (CRLF becomes LF first), the bidi embeddings, overrides and isolates
 *   (U+202A-U+202E, U+2066-U+2069) and the line/paragraph separators U+2028/U+2029;
 * - invalid UTF-8 (in `decodeText`) and lone surrogates become U+FFFD.
 * The function is idempotent, so cleaning twice on the way is harmless.
 */

// Sequences removed whole. Each alternative is linear: the classes that repeat are disjoint from
// what follows them, so no input makes the match backtrack.
const ESCAPES = new RegExp(
  [
    '\\x1b\\[[0-?]*[ -/]*[@-~]', // CSI: parameters, intermediates, final byte
    '\\x1b[\\]PX^_][^\\x07\\x1b]*(?:\\x07|\\x1b\\\\)', // OSC, DCS, SOS, PM, APC up to BEL or ST
    '\\x1b[ -/]*[0-~]', // two-character (and nF) sequences: ESC c, ESC ( B, ESC 7
  ].join('|'),
  'g',
);
// What is left that a terminal or a layout engine would act on.
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
// Half of a surrogate pair on its own (from a JS string built badly), which is no character.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text safe to print, store and show (see the file's header for what is removed or replaced). */
export function cleanText(text: string): string {
  return text.replace(LONE_SURROGATE, '\ufffd').replace(/\r\n/g, '\n').replace(ESCAPES, '').replace(CONTROLS, '?');
}

/** Bytes from outside as clean text: invalid UTF-8 replaced by U+FFFD, then cleanText. */
export function decodeText(bytes: Uint8Array): string {
  return cleanText(new TextDecoder('utf-8', { fatal: false }).decode(bytes));
}

/** Where to cut `bytes` at or before `max` without splitting a UTF-8 character. */
export function utf8Boundary(bytes: Uint8Array, max: number): number {
  if (max >= bytes.length) return bytes.length;
  let i = Math.max(0, max);
  // Back over continuation bytes (10xxxxxx) to the start of the character that would be split.
  for (let k = 0; k < 3 && i > 0 && (bytes[i]! & 0xc0) === 0x80; k++) i--;
  return i;
}

/** The longest start of `text` that is at most `maxBytes` bytes of UTF-8, cut between characters. */
export function cutToBytes(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (text.length * 3 <= maxBytes) return text;
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  return buf.subarray(0, utf8Boundary(buf, maxBytes)).toString('utf8');
}
