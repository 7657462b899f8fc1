/**
 * BIND named's refused requests (lib/ns/client.c ns_client_checkacl(): "%s denied" with
 * query.c's "query (cache) '%s/%s/%s'", xfrout.c's "zone transfer '%s/%s/%s'", update.c's
 * "update '%s/%s'"; the client prefix "client @%p %s%s%s%s%s: " (9.11+), "client %s (%s): "
 * (9.9-9.10), "client %s: " before; 9.18 appends " (%s did not match)"), from syslog and from
 * named's own channel file (print-time, print-category, print-severity). Written from the format
 * strings; the lab has no BIND.
 */
import type { CorpusEntry } from './types.ts';

const Q = 'bind query.c + client.c "query (cache) \'%s/%s/%s\' denied"';
const X = 'bind xfrout.c "zone transfer \'%s/%s/%s\' denied"';
const U = 'bind update.c "update \'%s/%s\' denied"';

const corpus: CorpusEntry[] = [
  { form: '9.11+ zone transfer denied', source: X, line: "Dec  7 05:00:01 ns1 named[700]: client @0x7f3a4c0d2b60 203.0.113.140#41234 (example.jp): zone transfer 'example.jp/AXFR/IN' denied", address: '203.0.113.140' },
  { form: '9.18 zone transfer denied, acl named', source: X + ' + " (%s did not match)"', line: "Dec  7 05:00:02 ns1 named[700]: client @0x7f3a4c0d2b60 2001:db8::141#41235 (example.jp): zone transfer 'example.jp/AXFR/IN' denied (allow-transfer did not match)", address: '2001:db8::141' },
  { form: '9.9 update denied', source: U, line: "Dec  7 05:00:03 ns1 named[700]: client 203.0.113.142#41236 (example.jp): update 'example.jp/IN' denied", address: '203.0.113.142' },
  { form: 'old IXFR without qname, own file with category and severity', source: X + ' (named channel file)', line: "07-Dec-2026 05:00:04.123 security: error: client 203.0.113.143#41237: zone transfer 'example.jp/IXFR/IN' denied", address: '203.0.113.143' },
  { form: 'refused recursion (ddos)', source: Q, line: "Dec  7 05:00:05 ns1 named[700]: client @0x7f3a4c0d2b60 203.0.113.144#53 (sl): query (cache) 'sl/ANY/IN' denied", address: '203.0.113.144', mode: 'ddos' },
  { form: 'refused query in a view (ddos)', source: 'bind query.c "query \'%s/%s/%s\' denied" + view', line: "Dec  7 05:00:06 ns1 named[700]: client @0x7f3a4c0d2b60 203.0.113.145#5353 (x.example.jp): view external: query 'x.example.jp/A/IN' denied", address: '203.0.113.145', mode: 'ddos' },
  // --- must not match
  { form: 'approved transfer', source: 'bind xfrout.c "transfer of \'%s/%s\': AXFR started"', line: "Dec  7 05:00:07 ns1 named[700]: client @0x7f3a4c0d2b60 203.0.113.146#41238 (example.jp): transfer of 'example.jp/IN': AXFR started (serial 2026120701)", address: null },
  { form: 'qname holding an address and the wording', source: Q, line: "Dec  7 05:00:08 ns1 named[700]: client @0x7f3a4c0d2b60 203.0.113.147#53 (6.6.6.6#53): query (cache) '6.6.6.6#53/A/IN' denied", address: '203.0.113.147', mode: 'ddos' },
  { form: 'lame server (not a client)', source: 'bind resolver.c "lame server resolving"', line: "Dec  7 05:00:09 ns1 named[700]: lame server resolving 'example.com' (in 'example.com'?): 203.0.113.148#53", address: null },
  { form: 'another program writing named\'s words', source: 'syslog program dispatch', line: "Dec  7 05:00:10 ns1 unbound[1]: client 203.0.113.149#53 (a): zone transfer 'a/AXFR/IN' denied", address: null },
];

export default corpus;
