/**
 * Postfix's rejects of clients that probe or abuse the SMTP server (not logins: postfix-sasl has
 * those). smtpd_check.c log_whatsup(): `<queue id or NOQUEUE>: reject: <STAGE> from name[addr]:
 * <code> <dsn> <text>; from=<...> to=<...> proto=... helo=<...>`, where `name[addr]` is smtpd's
 * own (a verified reverse-DNS name or `unknown`, then the address; `[addr]:port` with
 * smtpd_client_port_logging; postscreen writes `[addr]:port` with no name). The address is taken
 * from there, before any client text (recipient, sender, HELO name), never from the text.
 *
 * Normal: relay attempts (`Relay access denied`), unknown local/virtual/relay recipients
 * (`User unknown in ... table`), and clients on a DNS block list (`Client host [addr] blocked
 * using ...`, postscreen's `client [addr] blocked using ...`). ddos: smtpd's `improper command
 * pipelining after CMD from name[addr]` (a bot talking before the server answers) and postscreen's
 * `PREGREET n after s from [addr]:port` and `DNSBL rank n for [addr]:port` (connection-level,
 * before any mail). Aggressive: `lost connection after AUTH from name[addr]` (also a client that
 * gives up on a wrong password once).
 */
import { counts, defineFilter, normaliseAddress } from '../failure.ts';
import { execAt, hasAt, onlyIndexOf } from './text.ts';

const REJECT = /(?:NOQUEUE|[0-9A-Za-z]{5,20}): reject: [A-Z-]{3,20} from [^\s[\]]*\[([0-9A-Fa-f.:]{2,45})\](?::\d{1,5})?: [45]\d\d [45]\.\d{1,3}\.\d{1,3} /y;
const RBL = /Service unavailable; (?:Client host|client) \[([0-9A-Fa-f.:]{2,45})\] blocked using [\w.-]+;/y;
const PIPELINING = /improper command pipelining after [A-Z-]{1,20} from [^\s[\]]*\[([0-9A-Fa-f.:]{2,45})\](?::\d{1,5})?: /y;
const LOST_AUTH = /lost connection after AUTH from [^\s[\]]*\[([0-9A-Fa-f.:]{2,45})\](?::\d{1,5})?$/y;
const PREGREET = /PREGREET \d{1,9} after [\d.]{1,12} from \[([0-9A-Fa-f.:]{2,45})\]:\d{1,5}: /y;
const DNSBL = /DNSBL rank \d{1,4} for \[([0-9A-Fa-f.:]{2,45})\]:\d{1,5}$/y;

const RELAY = '>: Relay access denied;';
const UNKNOWN = '>: Recipient address rejected: User unknown in ';

export default defineFilter({
  type: 'postfix',
  summary: 'Postfix smtpd/postscreen: relay attempts, unknown recipients, block-listed clients',
  programs: ['smtpd', 'postscreen'],
  modes: {
    ddos: 'also improper command pipelining (smtpd) and postscreen PREGREET and DNSBL rank lines: bots before any mail',
    aggressive: 'also connections lost after AUTH (also a client giving up after one wrong password)',
  },
  match(line, ctx) {
    const at = ctx.at;
    const c = line.charCodeAt(at);
    let m: RegExpExecArray | null;
    if (c === 105 /* i */) {
      if (!counts('ddos', ctx.mode) || !(m = execAt(PIPELINING, line, at))) return undefined;
      return addr(m[1]!);
    }
    if (c === 108 /* l */) {
      if (!counts('aggressive', ctx.mode) || !(m = execAt(LOST_AUTH, line, at))) return undefined;
      return addr(m[1]!);
    }
    if (c === 80 /* P */ && ctx.program !== 'smtpd') {
      if (!counts('ddos', ctx.mode) || !(m = execAt(PREGREET, line, at))) return undefined;
      return addr(m[1]!);
    }
    if (c === 68 /* D */ && ctx.program !== 'smtpd' && hasAt(line, at, 'DNSBL')) {
      if (!counts('ddos', ctx.mode) || !(m = execAt(DNSBL, line, at))) return undefined;
      return addr(m[1]!);
    }
    // `NOQUEUE: reject: ` or `<queue id>: reject: `: REJECT's opening, a run of 5-20 letters and
    // digits, is checked by hand first, so smtpd's everyday lines (`connect from`, `disconnect
    // from`) end at their first word. `warning: reject: ...` is not a reject.
    let j = at;
    while (j - at <= 20 && isAlnum(line.charCodeAt(j))) j++;
    if (j - at < 5 || j - at > 20 || !hasAt(line, j, ': reject: ') || (c === 119 && j - at === 7 && hasAt(line, at, 'warning')) || !(m = execAt(REJECT, line, at))) return undefined;
    const client = normaliseAddress(m[1]!);
    if (!client) return undefined;
    const text = REJECT.lastIndex;
    const rbl = execAt(RBL, line, text);
    // The block list names the client smtpd wrote at the head, or this is not its block list line.
    if (rbl) return normaliseAddress(rbl[1]!) === client ? { address: client, user: recipient(line, text) } : undefined;
    // The recipient (client text) is the reply's `<...>`: the reason is the server's words after it.
    if (line.charCodeAt(text) !== 60 /* < */) return undefined;
    let end = line.indexOf(RELAY, text);
    if (end < 0) {
      end = line.indexOf(UNKNOWN, text);
      if (end < 0) return undefined;
      const t = end + UNKNOWN.length;
      if (line.indexOf(' table;', t) < 0) return undefined;
    }
    return { address: client, user: recipient(line, text) };
  },
});

/** The recipient smtpd logged (`to=<...>`, client text: display only) when ` to=<` occurs once. */
function recipient(line: string, from: number): string | undefined {
  const i = onlyIndexOf(line, ' to=<', from);
  if (i < 0) return undefined;
  const end = line.indexOf('>', i + 5);
  const next = line.charCodeAt(end + 1);
  if (end < 0 || !(next === 32 || next === 44 || Number.isNaN(next))) return undefined;
  return line.slice(i + 5, Math.min(end, i + 261));
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

function addr(text: string) {
  const address = normaliseAddress(text);
  return address ? { address } : undefined;
}
