/**
 * The mail queue as `postqueue -p` (and Postfix's `mailq`) lists it, or sendmail's `mailq`: one
 * entry per message with its queue id, size, arrival time and sender, then the reason it was
 * deferred in parentheses, then its recipients. Only counts leave here: senders and reasons are
 * text from the outside world, and are kept as data, never run.
 *
 * The listing can be 32 MiB written by whoever sends mail: every pattern here is anchored and
 * linear (no two neighbouring quantifiers take the same characters), and parseQueueSliced() lets
 * the event loop turn while a long one is read.
 */
import { eachLine, eachLineSliced, isSpace } from '../inspect/lines.ts';

export interface QueueEntry {
  id: string;
  size: number;
  sender: string;
  /** Why it waits (`connect to mx[1.2.3.4]:25: Connection refused`), when the listing says. */
  reason?: string | undefined;
  recipients: number;
  /** `active` (being delivered, `*`), `hold` (`!`), else `deferred`. */
  state: 'active' | 'hold' | 'deferred';
}

export interface QueueListing {
  entries: QueueEntry[];
  /** The count the listing itself states (`-- 3 Kbytes in 5 Requests.`), when it does. */
  stated?: number | undefined;
  empty: boolean;
}

// Postfix: `4F1E52A0B1*     312 Tue Jan 19 20:38:08  sender@example.com`; sendmail: `t0JKc8ZS012345     1234 Mon Jan 19 20:38 <sender@x>`.
// The blanks before the sender are taken whole ((?=\S|$)): `\s+(.*)$` let the two share them,
// quadratic on a line of blanks with a line break inside.
const ENTRY = /^([0-9A-Za-z]{5,})([*!]?)\s+(\d+)\s+\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+(?=\S|$)(.*)$/;
const SUMMARY = /^--\s+\d+\s+\w+\s+in\s+(\d+)\s+Requests?\./;
const EMPTY = /queue is empty/i;
const DIR_EMPTY = /^\s*\/\S+ is empty/i;
/** A sender longer than any address (RFC 5321 allows 256) is cut: it becomes a tally key. */
const MAX_SENDER = 320;

/** What a regex `.` does not match. */
const isLineBreak = (c: number) => c === 0x0a || c === 0x0d || c === 0x2028 || c === 0x2029;

/** `(reason)` on a line of its own: the reason, else undefined (as /^\s*\((.*)\)\s*$/). */
function reasonOf(line: string): string | undefined {
  const t = line.trim();
  if (t.length < 2 || t.charCodeAt(0) !== 0x28 || t.charCodeAt(t.length - 1) !== 0x29) return undefined;
  for (let i = 1; i < t.length - 1; i++) if (isLineBreak(t.charCodeAt(i))) return undefined;
  return t.slice(1, -1);
}

/** An indented line of one word: a recipient (as /^\s+\S+@?\S*\s*$/, which backtracked quadratically). */
function isRecipient(line: string): boolean {
  if (line.length === 0 || !isSpace(line.charCodeAt(0))) return false;
  const t = line.trim();
  if (t === '') return false;
  for (let i = 0; i < t.length; i++) if (isSpace(t.charCodeAt(i))) return false;
  return true;
}

/** The parse, fed one line at a time. */
class QueueParser {
  readonly entries: QueueEntry[] = [];
  stated: number | undefined;
  private cur: QueueEntry | undefined;
  private empty = false;

  line(raw: string): void {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (EMPTY.test(line) || DIR_EMPTY.test(line)) this.empty = true;
    const s = SUMMARY.exec(line);
    if (s) {
      this.stated = Number(s[1]);
      return;
    }
    const e = ENTRY.exec(line);
    if (e) {
      let sender = e[4]!.trim();
      if (sender.length >= 2 && sender.startsWith('<') && sender.endsWith('>')) sender = sender.slice(1, -1);
      this.cur = { id: e[1]!, size: Number(e[3]), sender: sender.slice(0, MAX_SENDER) || 'MAILER-DAEMON', recipients: 0, state: e[2] === '*' ? 'active' : e[2] === '!' ? 'hold' : 'deferred' };
      this.entries.push(this.cur);
      return;
    }
    if (!this.cur) return;
    const r = reasonOf(line);
    if (r !== undefined) {
      // The first reason is the message's; sendmail says `Deferred: ...`.
      this.cur.reason ??= (r.startsWith('Deferred:') ? r.slice('Deferred:'.length).trimStart() : r).slice(0, 300);
      return;
    }
    if (isRecipient(line)) this.cur.recipients++;
  }

  result(): QueueListing {
    return { entries: this.entries, stated: this.stated, empty: this.empty || (this.entries.length === 0 && this.stated === undefined) };
  }
}

/** Parses a queue listing (pure). */
export function parseQueue(text: string): QueueListing {
  const p = new QueueParser();
  eachLine(text, (line) => p.line(line));
  return p.result();
}

/** The same, letting the event loop turn every few milliseconds: use it for a listing from a server. */
export async function parseQueueSliced(text: string): Promise<QueueListing> {
  const p = new QueueParser();
  await eachLineSliced(text, (line) => p.line(line));
  return p.result();
}

/** Counts per key, most first. */
export function tally<T>(items: T[], key: (t: T) => string | undefined): { key: string; count: number }[] {
  const m = new Map<string, number>();
  for (const i of items) {
    const k = key(i);
    if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return [...m.entries()].map(([k, count]) => ({ key: k, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
