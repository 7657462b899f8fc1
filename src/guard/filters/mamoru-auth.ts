/**
 * mamoru's own auth log (src/auth/auth-log.ts writes it): the web console's failed and refused
 * logins, so a jail on that file bans whoever brute-forces the console.
 *
 *   2026-12-07T06:30:00.123Z mamoru[1234]: login failed from 203.0.113.9 for user "admin"
 *   2026-12-07T06:30:01.456Z mamoru[1234]: login refused from 203.0.113.9 for user "admin" (too many failures)
 *
 * `login ok` lines never match. The address is the socket's, written right after `from ` and
 * before the user name, which is the client's text (quoted, bounded, quotes and control characters
 * replaced by the writer): it is read there and nowhere else, so a name holding an address or a
 * second ` from ` changes nothing. The line must end as the writer ends it (`"` or `"` then
 * ` (too many failures)` for a refusal). The scanner hands over the lines of program `mamoru`:
 * the file's own `mamoru[pid]: ` after the ISO time, or the same through syslog.
 */
import { defineFilter } from '../failure.ts';
import { addressAt, hasAt, isAddressChar } from './text.ts';

const FAILED = 'login failed from ';
const REFUSED = 'login refused from ';
const USER = ' for user "';
const REFUSAL_TAIL = '" (too many failures)';

export default defineFilter({
  type: 'mamoru-auth',
  summary: "mamoru's own auth log: failed and refused console logins",
  programs: ['mamoru'],
  match(line, { at }) {
    let i: number;
    let refused = false;
    if (hasAt(line, at, FAILED)) i = at + FAILED.length;
    else if (hasAt(line, at, REFUSED)) {
      i = at + REFUSED.length;
      refused = true;
    } else return undefined;
    let end = i;
    while (end < line.length && isAddressChar(line.charCodeAt(end))) end++;
    if (end === i || !hasAt(line, end, USER)) return undefined;
    const name = end + USER.length;
    // The writer's quoted name holds no `"`: the first one after it ends it, and the line ends there.
    const close = line.indexOf('"', name);
    if (close < 0) return undefined;
    if (refused ? close + REFUSAL_TAIL.length !== line.length || !hasAt(line, close, REFUSAL_TAIL) : close + 1 !== line.length) return undefined;
    const address = addressAt(line, i, end);
    return address ? { address, user: line.slice(name, close) } : undefined;
  },
});
