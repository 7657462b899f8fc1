/**
 * The mail queue as `postqueue -p` (and Postfix's `mailq`) lists it, or sendmail's `mailq`: one
 * entry per message with its queue id, size, arrival time and sender, then the reason it was
 * deferred in parentheses, then its recipients. Only counts leave here: senders and reasons are
 * text from the outside world, and are kept as data, never run.
 */

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
const ENTRY = /^([0-9A-Za-z]{5,})([*!]?)\s+(\d+)\s+\w{3}\s+\w{3}\s+\d+\s+[\d:]+\s+(.*)$/;
const REASON = /^\s*\((.*)\)\s*$/;
const SUMMARY = /^--\s+\d+\s+\w+\s+in\s+(\d+)\s+Requests?\./;

/** Parses a queue listing (pure). */
export function parseQueue(text: string): QueueListing {
  const entries: QueueEntry[] = [];
  let stated: number | undefined;
  let cur: QueueEntry | undefined;
  let empty = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^Mail queue is empty|^\s*\/\S+ is empty|queue is empty/i.test(line)) empty = true;
    const s = SUMMARY.exec(line);
    if (s) {
      stated = Number(s[1]);
      continue;
    }
    const e = ENTRY.exec(line);
    if (e) {
      cur = { id: e[1]!, size: Number(e[3]), sender: e[4]!.trim().replace(/^<(.*)>$/, '$1') || 'MAILER-DAEMON', recipients: 0, state: e[2] === '*' ? 'active' : e[2] === '!' ? 'hold' : 'deferred' };
      entries.push(cur);
      continue;
    }
    if (!cur) continue;
    const r = REASON.exec(line);
    if (r) {
      // The first reason is the message's; sendmail says `Deferred: ...`.
      cur.reason ??= r[1]!.replace(/^Deferred:\s*/, '').slice(0, 300);
      continue;
    }
    if (/^\s+\S+@?\S*\s*$/.test(line)) cur.recipients++;
  }
  return { entries, stated, empty: empty || (entries.length === 0 && stated === undefined) };
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
