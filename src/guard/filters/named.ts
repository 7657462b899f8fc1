/**
 * BIND named's refused requests (lib/ns/client.c ns_client_checkacl() and query.c:
 * `client @0x<ptr> <addr>#<port> (<qname>): [view <v>: ]<what> '<name/type/class>' denied`,
 * with ` (<acl> did not match)` appended by 9.18; before 9.11 without `@0x<ptr>`, before 9.9
 * without `(<qname>)`). `<what>`: `zone transfer` (AXFR/IXFR, TCP), `update`, `update forwarding`,
 * `query`, `query (cache)`. The address is named's own, right after `client `, before the query
 * name (client text, which named writes escaped, without spaces).
 *
 * Normal: zone transfers and dynamic updates refused. ddos: refused queries and refused recursion
 * (`query (cache) ... denied`): open-resolver probes, but over UDP the source address can be
 * forged (a reflection attack names its victim), so a ban on them can hit an innocent address.
 * Read from syslog (`named[pid]:`) and from named's own channel files (`07-Dec-2026
 * 04:20:01.123 [category: ][severity: ]client ...`).
 */
import { counts, defineFilter, normaliseAddress } from '../failure.ts';
import { execAt } from './text.ts';

const LINE = /(?:\d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d(?:\.\d{3})? )?(?:[a-z][\w-]{0,30}: )?(?:(?:info|notice|warning|error|critical|debug \d{1,2}): )?client (?:@0x[0-9a-f]{1,16} )?([0-9A-Fa-f.:]{2,45})#\d{1,5}(?: \(\S{0,1100}?\))?: (?:view [^\s:]{1,64}: )?(zone transfer|update forwarding|update|query \(cache\)|query) '([^'\s]{1,1100})' denied(?: \([\w-]{1,40} did not match\))?$/y;

export default defineFilter({
  type: 'named',
  summary: 'BIND named: refused zone transfers and updates (queries in ddos mode)',
  programs: ['named'],
  modes: {
    ddos: 'also refused queries and recursion (`query (cache) ... denied`): over UDP the source can be forged',
  },
  match(line, ctx) {
    const at = ctx.at;
    const c = line.charCodeAt(at);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 122))) return undefined;
    if (line.indexOf('client ', at) < 0 || !line.endsWith('denied', line.endsWith(')') ? line.lastIndexOf(' (') : line.length)) return undefined;
    const m = execAt(LINE, line, at);
    if (!m) return undefined;
    if (m[2]!.startsWith('query') && !counts('ddos', ctx.mode)) return undefined;
    const address = normaliseAddress(m[1]!);
    return address ? { address, user: m[3] } : undefined;
  },
});
