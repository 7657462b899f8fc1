/**
 * Exim's SMTP AUTH failures (smtp_in.c: `"%s authenticator failed for %s: %s"` with the
 * authenticator's name, host_and_ident() and the reply: `535 Incorrect authentication data`,
 * from 4.86 with ` (set_id=<user>)`). The host is Exim's sender_fullhost: `[addr]`,
 * `(helo) [addr]` or `name (helo) [addr]`, with `:port` when the incoming port is logged. The HELO
 * name before the address and the set_id after it are client text, so the address is the `[...]`
 * right before the reply, and the reply's wording must occur exactly once in the line (a client
 * that writes it into its HELO or user name only hides its own failure).
 *
 * Aggressive: `H=<host> F=<sender> rejected RCPT <rcpt>: relay not permitted` (relay attempts;
 * also a mail client that forgot to log in), with ` F=<` occurring exactly once.
 *
 * Read from syslog (`exim[pid]:`/`exim4[pid]:`, Exim's own timestamp and `[pid]` may follow)
 * and from Exim's own mainlog, whose lines start with `YYYY-MM-DD HH:MM:SS` and no program
 * (`ownLog`: the scanner hands such lines to the filters that read their own file).
 * A temporary `435 Unable to authenticate at present` is the server's trouble: not counted.
 */
import { counts, defineFilter, normaliseAddress } from '../failure.ts';
import { execAt, onlyIndexOf } from './text.ts';

const HEAD = /(?:\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d{3})?(?: [+-]\d{4})? )?(?:\[\d{1,10}(?:\/[\w-]{1,40})?\] )?(?:([\w-]{1,40}) authenticator failed for |H=)/y;
const REPLY = ': 535 Incorrect authentication data';

export default defineFilter({
  type: 'exim',
  summary: 'Exim: SMTP AUTH authenticator failed (535), relay not permitted',
  programs: ['exim', 'exim4'],
  ownLog: true,
  modes: {
    aggressive: 'also `rejected RCPT ...: relay not permitted` (relay attempts, also a mail client that forgot to log in)',
  },
  match(line, ctx) {
    const at = ctx.at;
    const c = line.charCodeAt(at);
    // First character: a digit (timestamp), `[` (pid), a letter (authenticator name or H=).
    if (!((c >= 48 && c <= 57) || c === 91 || (c >= 97 && c <= 122) || c === 72)) return undefined;
    const m = execAt(HEAD, line, at);
    if (!m) return undefined;
    const from = HEAD.lastIndex;
    let close: number;
    let user: string | undefined;
    if (m[1] !== undefined) {
      const r = onlyIndexOf(line, REPLY, from);
      if (r < 0) return undefined;
      const rest = r + REPLY.length;
      if (rest !== line.length) {
        if (!line.startsWith(' (set_id=', rest) || line.charCodeAt(line.length - 1) !== 41) return undefined;
        user = line.slice(rest + 9, line.length - 1);
      }
      close = beforePort(line, r);
    } else {
      if (!counts('aggressive', ctx.mode) || !line.endsWith(': relay not permitted')) return undefined;
      const f = onlyIndexOf(line, ' F=<', from);
      if (f < 0 || onlyIndexOf(line, ' rejected RCPT <', f) < 0) return undefined;
      close = beforePort(line, f);
    }
    if (close < 0 || line.charCodeAt(close) !== 93 /* ] */) return undefined;
    const open = line.lastIndexOf('[', close);
    if (open < from || close - open > 46) return undefined;
    // The host part starts at `[`, after a space, or right after `for `/`H=`.
    if (open !== from && line.charCodeAt(open - 1) !== 32) return undefined;
    const address = normaliseAddress(line.slice(open + 1, close));
    return address ? { address, user } : undefined;
  },
});

/** Index of the `]` that ends the host before `end`, stepping over `:port`; -1 when none. */
function beforePort(line: string, end: number): number {
  let i = end - 1;
  while (i > end - 6 && line.charCodeAt(i) >= 48 && line.charCodeAt(i) <= 57) i--;
  if (i < end - 1 && line.charCodeAt(i) === 58) i--;
  else if (i < end - 1) return -1;
  return i;
}
