/**
 * The whois client against whois servers this test runs on 127.0.0.1 (node:net, random ports):
 * one plays IANA, others the registries, answering in each registry's own format (answers
 * written here, about made-up networks). The real whois servers are never asked: every registry
 * name is mapped to a loopback port through the `servers` option.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { createWhoisClient } from '../../src/guard/enrich/whois.ts';
import { parseWhois } from '../../src/guard/enrich/whois-parse.ts';

type Reply = string | Buffer | 'hang' | { huge: number };

interface Peer {
  port: number;
  connections: number;
  queries: string[];
  close(): Promise<void>;
}

/** A whois server: reads one query line, writes the answer, closes (or never answers). */
async function whoisServer(answer: (query: string) => Reply): Promise<Peer> {
  const sockets = new Set<net.Socket>();
  const peer: Peer = { port: 0, connections: 0, queries: [], close: async () => undefined };
  const server = net.createServer((socket) => {
    peer.connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\r\n');
      if (nl === -1) return;
      const query = buf.slice(0, nl);
      peer.queries.push(query);
      const reply = answer(query);
      if (reply === 'hang') return;
      if (typeof reply === 'object' && !Buffer.isBuffer(reply)) {
        // Writes until the client hangs up or `huge` bytes are out.
        const line = Buffer.from('remarks:        ' + 'x'.repeat(100) + '\n');
        let sent = 0;
        const pump = () => {
          while (sent < reply.huge && !socket.destroyed) {
            sent += line.length;
            if (!socket.write(line)) return void socket.once('drain', pump);
          }
          socket.end();
        };
        socket.write('inetnum:        178.216.48.0 - 178.216.55.255\nnetname:        HUGE-NET\n');
        return pump();
      }
      socket.end(reply);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  peer.port = (server.address() as net.AddressInfo).port;
  peer.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return peer;
}

const IANA_REFER: Record<string, string> = {
  '178': 'whois.ripe.net',
  '8': 'whois.arin.net',
  '138': 'whois.arin.net',
  '202': 'whois.apnic.net',
  '133': 'whois.apnic.net',
  '200': 'whois.lacnic.net',
  '196': 'whois.afrinic.net',
  '77': 'whois.ripe.net',
  '31': 'whois.ripe.net',
  '5': 'whois.ripe.net',
};

function ianaAnswer(query: string): string {
  const first = query.split('.')[0]!;
  const refer = IANA_REFER[first];
  if (!refer) return `% IANA WHOIS server\n% for more information on IANA, visit http://www.iana.org\n%\n% This query returned 0 objects.\n`;
  const org = { 'whois.ripe.net': 'RIPE NCC', 'whois.arin.net': 'ARIN', 'whois.apnic.net': 'APNIC', 'whois.lacnic.net': 'LACNIC', 'whois.afrinic.net': 'AFRINIC' }[refer];
  return `% IANA WHOIS server
% for more information on IANA, visit http://www.iana.org
% This query returned 1 object

refer:        ${refer}

inetnum:      ${first}.0.0.0 - ${first}.255.255.255
organisation: ${org}
status:       ALLOCATED

whois:        ${refer}

changed:      2009-08
source:       IANA

`;
}

const RIPE_178 = `% This is the RIPE Database query service.
% The objects are in RPSL format.
%
% The RIPE Database is subject to Terms and Conditions.
% See https://docs.db.ripe.net/terms-conditions.html

% Note: this output has been filtered.
%       To receive output for a database update, use the "-B" flag.

% Information related to '178.216.48.0 - 178.216.55.255'

% Abuse contact for '178.216.48.0 - 178.216.55.255' is 'abuse@example-hosting.se'

inetnum:        178.216.48.0 - 178.216.55.255
netname:        SE-EXAMPLE-HOSTING
descr:          Example Hosting customers
country:        SE
org:            ORG-EHA1-RIPE
admin-c:        EH123-RIPE
tech-c:         EH123-RIPE
status:         ASSIGNED PA
mnt-by:         EXAMPLE-MNT
created:        2010-03-24T10:12:12Z
last-modified:  2019-04-25T07:54:55Z
source:         RIPE

organisation:   ORG-EHA1-RIPE
org-name:       Example Hosting AB
country:        SE
org-type:       LIR
address:        Storgatan 1
address:        111 22 Stockholm
abuse-c:        AR123-RIPE
mnt-by:         RIPE-NCC-HM-MNT
created:        2009-08-12T10:00:00Z
last-modified:  2020-12-16T12:00:00Z
source:         RIPE # Filtered

role:           Example Hosting NOC
address:        Storgatan 1
abuse-mailbox:  noc@example-hosting.se
nic-hdl:        EH123-RIPE
mnt-by:         EXAMPLE-MNT
source:         RIPE # Filtered

% Information related to '178.216.48.0/21AS64500'

route:          178.216.48.0/21
descr:          Example Hosting route object
origin:         AS64500
mnt-by:         EXAMPLE-MNT
source:         RIPE

% This query was served by the RIPE Database Query Service version 1.112 (SHETLAND)

`;

const ARIN_TAIL = `

#
# ARIN WHOIS data and services are subject to the Terms of Use
# available at: https://www.arin.net/resources/registry/whois/tou/
#
# If you see inaccuracies in the results, please report at
# https://www.arin.net/resources/registry/whois/inaccuracy_reporting/
#
# Copyright 1997-2026, American Registry for Internet Numbers, Ltd.
#
`;

const ARIN_8 = `${ARIN_TAIL}

NetRange:       8.0.0.0 - 8.127.255.255
CIDR:           8.0.0.0/9
NetName:        EXAMPLE-BACKBONE-8
NetHandle:      NET-8-0-0-0-1
Parent:         NET8 (NET-8-0-0-0-0)
NetType:        Direct Allocation
OriginAS:       
Organization:   Example Backbone, LLC (EBL-1)
RegDate:        1992-12-01
Updated:        2018-04-23
Ref:            https://rdap.arin.net/registry/ip/8.0.0.0


OrgName:        Example Backbone, LLC
OrgId:          EBL-1
Address:        100 Example Drive
City:           Monroe
StateProv:      LA
PostalCode:     71203
Country:        US
RegDate:        2018-02-06
Updated:        2024-11-25
Ref:            https://rdap.arin.net/registry/entity/EBL-1

OrgAbuseHandle: EBA1-ARIN
OrgAbuseName:   Backbone Abuse
OrgAbusePhone:  +1-800-555-0100 
OrgAbuseEmail:  abuse@backbone.example
OrgAbuseRef:    https://rdap.arin.net/registry/entity/EBA1-ARIN


NetRange:       8.8.8.0 - 8.8.8.255
CIDR:           8.8.8.0/24
NetName:        EXAMPLE-DNS
NetHandle:      NET-8-8-8-0-2
Parent:         EXAMPLE-BACKBONE-8 (NET-8-0-0-0-1)
NetType:        Direct Allocation
OriginAS:       
Organization:   Example Resolver Inc. (ERI-7)
RegDate:        2023-12-28
Updated:        2023-12-28
Ref:            https://rdap.arin.net/registry/ip/8.8.8.0


OrgName:        Example Resolver Inc.
OrgId:          ERI-7
Address:        1 Example Parkway
City:           Mountain View
StateProv:      CA
PostalCode:     94043
Country:        US
RegDate:        2000-03-30
Updated:        2019-10-31
Comment:        Abuse reports: see the abuse contact below.
Ref:            https://rdap.arin.net/registry/entity/ERI-7

OrgAbuseHandle: ERA5-ARIN
OrgAbuseName:   Abuse
OrgAbusePhone:  +1-650-555-0000 
OrgAbuseEmail:  network-abuse@resolver.example
OrgAbuseRef:    https://rdap.arin.net/registry/entity/ERA5-ARIN
${ARIN_TAIL}`;

/** ARIN's answer for legacy space transferred to RIPE: the referral is in ReferralServer. */
const ARIN_138 = `${ARIN_TAIL}

NetRange:       138.199.0.0 - 138.199.255.255
CIDR:           138.199.0.0/16
NetName:        RIPE-ERX-138-199-0-0
NetHandle:      NET-138-199-0-0-1
Parent:         NET138 (NET-138-0-0-0-0)
NetType:        Early Registrations, Transferred to RIPE NCC
OriginAS:       
Organization:   RIPE Network Coordination Centre (RIPE)
RegDate:        2003-11-12
Updated:        2003-11-12
Comment:        These addresses have been further assigned to users in
Comment:        the RIPE NCC region.  Contact information can be found in
Comment:        the RIPE database at http://www.ripe.net/whois
Ref:            https://rdap.arin.net/registry/ip/138.199.0.0

ResourceLink:  https://apps.db.ripe.net/search/query.html
ResourceLink:  whois.ripe.net


OrgName:        RIPE Network Coordination Centre
OrgId:          RIPE
Address:        P.O. Box 10096
City:           Amsterdam
StateProv:      
PostalCode:     1001EB
Country:        NL
RegDate:        
Updated:        2013-07-29
Ref:            https://rdap.arin.net/registry/entity/RIPE

ReferralServer:  whois://whois.ripe.net
ResourceLink:  https://apps.db.ripe.net/search/query.html

OrgAbuseHandle: ABUSE3850-ARIN
OrgAbuseName:   Abuse Contact
OrgAbusePhone:  +31205354444 
OrgAbuseEmail:  abuse@ripe.net
OrgAbuseRef:    https://rdap.arin.net/registry/entity/ABUSE3850-ARIN
${ARIN_TAIL}`;

const RIPE_138 = `% This is the RIPE Database query service.
% The objects are in RPSL format.

% Information related to '138.199.8.0 - 138.199.15.255'

% Abuse contact for '138.199.8.0 - 138.199.15.255' is 'abuse@example-cloud.de'

inetnum:        138.199.8.0 - 138.199.15.255
netname:        DE-EXAMPLE-CLOUD
descr:          Example Cloud GmbH
country:        DE
admin-c:        ECG1-RIPE
tech-c:         ECG1-RIPE
status:         LEGACY
mnt-by:         EXAMPLE-CLOUD-MNT
source:         RIPE

`;

const APNIC_202 = `% [whois.apnic.net]
% Whois data copyright terms    http://www.apnic.net/db/dbcopyright.html

% Information related to '202.12.28.0 - 202.12.29.255'

% Abuse contact for '202.12.28.0 - 202.12.29.255' is 'abuse@example.net.au'

inetnum:        202.12.28.0 - 202.12.29.255
netname:        EXAMPLE-AU
descr:          Example Networks Pty Ltd
country:        AU
org:            ORG-ENPL1-AP
admin-c:        EN1-AP
tech-c:         EN1-AP
abuse-c:        AE1-AP
status:         ASSIGNED PORTABLE
mnt-by:         APNIC-HM
mnt-irt:        IRT-EXAMPLE-AU
last-modified:  2020-07-15T13:10:57Z
source:         APNIC

irt:            IRT-EXAMPLE-AU
address:        Brisbane, Australia
e-mail:         security@example.net.au
abuse-mailbox:  security@example.net.au
admin-c:        EN1-AP
tech-c:         EN1-AP
auth:           # Filtered
mnt-by:         MAINT-EXAMPLE-AU
last-modified:  2021-03-09T01:00:00Z
source:         APNIC

organisation:   ORG-ENPL1-AP
org-name:       Example Networks Pty Ltd
org-type:       LIR
country:        AU
address:        Brisbane
mnt-by:         APNIC-HM
source:         APNIC

% This query was served by the APNIC Whois Service version 1.88.25 (WHOIS-AU4)

`;

/** APNIC shows JPNIC space as one block; the details are at JPNIC. */
const APNIC_133 = `% [whois.apnic.net]
% Whois data copyright terms    http://www.apnic.net/db/dbcopyright.html

% Information related to '133.0.0.0 - 133.255.255.255'

% Abuse contact for '133.0.0.0 - 133.255.255.255' is 'hostmaster@nic.ad.jp'

inetnum:        133.0.0.0 - 133.255.255.255
netname:        JPNIC-NET-JP-ERX
descr:          Japan Network Information Center
country:        JP
admin-c:        JNIC1-AP
tech-c:         JNIC1-AP
status:         ALLOCATED PORTABLE
remarks:        Addresses in this block are held by JPNIC.
mnt-by:         APNIC-HM
source:         APNIC

`;

const JPNIC_133 = `[ JPNIC database provides information regarding IP address and ASN. Its use   ]
[ is restricted to network administration purposes. For further information,  ]
[ use 'whois -h whois.nic.ad.jp help'. To only display English output,        ]
[ add '/e' at the end of command, e.g. 'whois -h whois.nic.ad.jp xxx/e'.      ]

Network Information:            
a. [Network Number]             133.1.0.0/16
b. [Network Name]               EXAMPLE-U
g. [Organization]               Example University
m. [Administrative Contact]     EU001JP
n. [Technical Contact]          EU002JP
o. [Abuse]                      abuse@example-u.ac.jp
p. [Nameserver]                 ns.example-u.ac.jp
[Assigned Date]                 1989/05/01
[Return Date]                   
[Last Update]                   2020/01/01 00:00:00(JST)
                                
Less Specific Info.
----------
Japan Network Information Center
                     [Allocation]                            133.0.0.0/8

More Specific Info.
----------
No match!!

`;

/** LACNIC: short CIDR form, CR CR LF line ends, Latin-1 text, abuse e-mail behind a handle. */
const LACNIC_200 = Buffer.from(
  `
% IP Client: 127.0.0.1

% Joint Whois - whois.lacnic.net
%  This server accepts single ASN, IPv4 or IPv6 queries

% LACNIC resource: whois.lacnic.net


% Copyright LACNIC lacnic.net
%  The data below is provided for information purposes
%  and to assist persons in obtaining information about or
%  related to AS and IP numbers registrations
%  By submitting a whois query, you agree to use this data
%  only for lawful purposes.
%  2026-01-19 17:38:08 (-03 -03:00)

inetnum:     200.160/20
status:      allocated
aut-num:     N/A
owner:       Exemplo Telecomunicações Ltda
ownerid:     BR-EXTE-LACNIC
responsible: Maria Exemplo
address:     Rua Exemplo, 100, 
address:     01000-000 - São Paulo - SP
country:     BR
phone:       +55 11 5555-0000 []
owner-c:     MAE
tech-c:      MAE
abuse-c:     ABE
created:     20050121
changed:     20150121

nic-hdl:     MAE
person:      Maria Exemplo
e-mail:      maria@exemplo.com.br
address:     Rua Exemplo, 100, 
country:     BR
created:     20050121
changed:     20200101

nic-hdl:     ABE
person:      Abuse Exemplo
e-mail:      abuse@exemplo.com.br
address:     Rua Exemplo, 100,
country:     BR
created:     20050121
changed:     20200101

`.replace(/\n/g, '\r\r\n'),
  'latin1',
);

const AFRINIC_196 = `% This is the AfriNIC Whois server.
% The AFRINIC whois database is subject to the following terms of Use. See https://afrinic.net/whois/terms

% Note: this output has been filtered.
%       To receive output for a database update, use the "-B" flag.

% Information related to '196.216.2.0 - 196.216.3.255'

inetnum:        196.216.2.0 - 196.216.3.255
netname:        EXAMPLE-MU
descr:          Example Ltd
country:        MU
org:            ORG-EL1-AFRINIC
admin-c:        EL1-AFRINIC
tech-c:         EL1-AFRINIC
status:         ASSIGNED PA
mnt-by:         EXAMPLE-MNT
source:         AFRINIC # Filtered
parent:         196.216.0.0 - 196.216.255.255

organisation:   ORG-EL1-AFRINIC
org-name:       Example Ltd
org-type:       LIR
country:        MU
address:        Ebene
source:         AFRINIC # Filtered

role:           Example Abuse Team
address:        Ebene
abuse-mailbox:  abuse@example.mu
nic-hdl:        EL1-AFRINIC
source:         AFRINIC # Filtered

`;

/** An answer written to mislead: escape sequences, bidi overrides, line breaks, a huge field. */
const RIPE_EVIL = `inetnum:        77.88.0.0 - 77.88.0.255
netname:        EVIL\x1b[2J\x1b[31mNET\x07
descr:          Evil\u202eliveE Corp\x00 \rJan 19 20:38:08 s68 sshd[1]: Failed password for root from 10.0.0.1 ${'A'.repeat(5000)}
country:        R\x1bU
abuse-mailbox:  abuse@evil.example; rm -rf /
source:         RIPE

`;

let iana: Peer;
let ripe: Peer;
let arin: Peer;
let others: Peer;

before(async () => {
  iana = await whoisServer(ianaAnswer);
  ripe = await whoisServer((q) => {
    if (q.startsWith('178.')) return RIPE_178;
    if (q.startsWith('138.')) return RIPE_138;
    if (q.startsWith('77.')) return RIPE_EVIL;
    if (q.startsWith('31.')) return 'hang';
    if (q.startsWith('5.')) return { huge: 10 * 1024 * 1024 };
    return '%ERROR:101: no entries found\n';
  });
  arin = await whoisServer((q) => (q === 'n + 8.8.8.8' ? ARIN_8 : q.startsWith('n + 138.') ? ARIN_138 : `#\n# No match found for ${q}.\n#\n`));
  others = await whoisServer((q) => {
    if (q.startsWith('202.')) return APNIC_202;
    if (q === '133.1.1.1') return APNIC_133;
    if (q === '133.1.1.1/e') return JPNIC_133;
    if (q.startsWith('200.')) return LACNIC_200;
    if (q.startsWith('196.')) return AFRINIC_196;
    return '% no entries\n';
  });
});

after(async () => {
  for (const p of [iana, ripe, arin, others]) await p.close();
});

const at = (p: Peer) => `127.0.0.1:${p.port}`;
function client(extra: Record<string, unknown> = {}) {
  return createWhoisClient({
    server: at(iana),
    servers: {
      'whois.ripe.net': at(ripe),
      'whois.arin.net': at(arin),
      'whois.apnic.net': at(others),
      'whois.lacnic.net': at(others),
      'whois.afrinic.net': at(others),
      'whois.nic.ad.jp': at(others),
    },
    ...extra,
  });
}

/** Connections made to each peer while `fn` runs. */
async function counting<T>(fn: () => Promise<T>): Promise<{ value: T; calls: Record<string, number> }> {
  const peers = { iana, ripe, arin, others };
  const before = Object.fromEntries(Object.entries(peers).map(([k, p]) => [k, p.connections]));
  const value = await fn();
  return { value, calls: Object.fromEntries(Object.entries(peers).map(([k, p]) => [k, p.connections - before[k]!])) };
}

test('IANA refers to RIPE; RIPE\'s answer is read: network, name, owner from the organisation, country, abuse contact', async () => {
  const { value: r, calls } = await counting(() => client().lookup('178.216.51.67'));
  assert.deepEqual(r, {
    address: '178.216.51.67',
    network: '178.216.48.0 - 178.216.55.255',
    netName: 'SE-EXAMPLE-HOSTING',
    owner: 'Example Hosting AB',
    country: 'SE',
    abuse: 'abuse@example-hosting.se',
    server: 'whois.ripe.net',
  });
  assert.deepEqual(calls, { iana: 1, ripe: 1, arin: 0, others: 0 });
  assert.equal(iana.queries.at(-1), '178.216.51.67');
  assert.equal(ripe.queries.at(-1), '178.216.51.67');
});

test('ARIN: asked with "n +", the most specific of the networks listed wins, with its own organisation and abuse address', async () => {
  const r = await client().lookup('8.8.8.8');
  assert.equal(arin.queries.at(-1), 'n + 8.8.8.8');
  assert.deepEqual(r, {
    address: '8.8.8.8',
    network: '8.8.8.0/24',
    netName: 'EXAMPLE-DNS',
    owner: 'Example Resolver Inc.',
    country: 'US',
    abuse: 'network-abuse@resolver.example',
    server: 'whois.arin.net',
  });
});

test('ARIN ReferralServer: whois://whois.ripe.net is followed and RIPE\'s more specific answer is used', async () => {
  const { value: r, calls } = await counting(() => client().lookup('138.199.10.20'));
  assert.deepEqual(calls, { iana: 1, ripe: 1, arin: 1, others: 0 });
  assert.equal(r.server, 'whois.ripe.net');
  assert.equal(r.network, '138.199.8.0 - 138.199.15.255');
  assert.equal(r.owner, 'Example Cloud GmbH');
  assert.equal(r.country, 'DE');
  assert.equal(r.abuse, 'abuse@example-cloud.de');
});

test('APNIC: abuse contact comment, org-name as owner', async () => {
  const r = await client().lookup('202.12.29.205');
  assert.deepEqual(
    { network: r.network, netName: r.netName, owner: r.owner, country: r.country, abuse: r.abuse, server: r.server },
    { network: '202.12.28.0 - 202.12.29.255', netName: 'EXAMPLE-AU', owner: 'Example Networks Pty Ltd', country: 'AU', abuse: 'abuse@example.net.au', server: 'whois.apnic.net' },
  );
});

test('JPNIC: APNIC\'s JPNIC block leads to whois.nic.ad.jp, asked in English (/e), its bracket format read', async () => {
  const { value: r, calls } = await counting(() => client().lookup('133.1.1.1'));
  assert.deepEqual(calls, { iana: 1, ripe: 0, arin: 0, others: 2 });
  assert.deepEqual(others.queries.slice(-2), ['133.1.1.1', '133.1.1.1/e']);
  assert.deepEqual(
    { network: r.network, netName: r.netName, owner: r.owner, country: r.country, abuse: r.abuse, server: r.server },
    { network: '133.1.0.0/16', netName: 'EXAMPLE-U', owner: 'Example University', country: 'JP', abuse: 'abuse@example-u.ac.jp', server: 'whois.nic.ad.jp' },
  );
});

test('LACNIC: short CIDR, CR CR LF, Latin-1 owner, abuse e-mail found through the abuse-c handle', async () => {
  const r = await client().lookup('200.160.2.3');
  assert.deepEqual(
    { network: r.network, owner: r.owner, country: r.country, abuse: r.abuse, server: r.server },
    { network: '200.160/20', owner: 'Exemplo Telecomunicações Ltda', country: 'BR', abuse: 'abuse@exemplo.com.br', server: 'whois.lacnic.net' },
  );
  assert.deepEqual(parseWhois(LACNIC_200.toString('latin1')).range, { family: 4, start: 0xc8a00000n, end: 0xc8a00fffn });
});

test('AFRINIC: abuse-mailbox of the role, org-name as owner', async () => {
  const r = await client().lookup('196.216.2.1');
  assert.deepEqual(
    { network: r.network, netName: r.netName, owner: r.owner, country: r.country, abuse: r.abuse },
    { network: '196.216.2.0 - 196.216.3.255', netName: 'EXAMPLE-MU', owner: 'Example Ltd', country: 'MU', abuse: 'abuse@example.mu' },
  );
});

test('cache: another address of a known network, or the same one again, costs no query at all', async () => {
  const c = client();
  await c.lookup('178.216.51.67');
  const { value: again, calls } = await counting(async () => [await c.lookup('178.216.51.67'), await c.lookup('178.216.49.1'), await c.lookup('178.216.55.255')]);
  assert.deepEqual(calls, { iana: 0, ripe: 0, arin: 0, others: 0 });
  assert.deepEqual(
    again.map((r) => [r.address, r.network, r.cached]),
    [
      ['178.216.51.67', '178.216.48.0 - 178.216.55.255', true],
      ['178.216.49.1', '178.216.48.0 - 178.216.55.255', true],
      ['178.216.55.255', '178.216.48.0 - 178.216.55.255', true],
    ],
  );
  // Just outside the range: asked again.
  const { calls: outside } = await counting(() => c.lookup('178.216.56.1'));
  assert.deepEqual(outside, { iana: 1, ripe: 1, arin: 0, others: 0 });
});

test('cache: concurrent lookups of one address share one query', async () => {
  const c = client();
  const { value, calls } = await counting(() => Promise.all([c.lookup('202.12.29.1'), c.lookup('202.12.29.1'), c.lookup('202.12.29.1')]));
  assert.deepEqual(calls, { iana: 1, ripe: 0, arin: 0, others: 1 });
  assert.ok(value.every((r) => r.owner === 'Example Networks Pty Ltd'));
});

test('private, loopback, link-local and reserved addresses: "private address", no query sent', async () => {
  const { value, calls } = await counting(() => Promise.all(['10.1.2.3', '127.0.0.1', '192.168.1.1', '172.16.5.4', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fd00::5', '::ffff:192.168.0.1'].map((a) => client().lookup(a))));
  assert.deepEqual(calls, { iana: 0, ripe: 0, arin: 0, others: 0 });
  assert.ok(value.every((r) => r.note === 'private address' && r.network === undefined), JSON.stringify(value));
  const reserved = await client().lookup('224.0.0.1');
  assert.equal(reserved.note, 'reserved address');
});

test('timeout: a registry that accepts and never answers is given up after the lookup timeout, IANA\'s answer kept', async () => {
  const r = await client({ timeout: '300ms' }).lookup('31.3.3.3');
  assert.match(r.note!, /^whois\.ripe\.net:43: no complete answer in time$/);
  assert.equal(r.owner, 'RIPE NCC'); // what IANA said
});

test('a huge answer is read only up to max_answer_bytes, and what came before the cut is still used', async () => {
  const r = await client({ max_answer_bytes: 4096 }).lookup('5.5.5.5');
  assert.equal(r.note, 'whois.ripe.net: answer cut at 4096 bytes');
  assert.equal(r.netName, 'HUGE-NET');
});

test('a referral loop stops when a server repeats; a chain stops after max_referrals; unknown hosts are not followed', async () => {
  const loopA = await whoisServer(() => 'refer:        whois.loop-b.test\n');
  const loopB = await whoisServer(() => 'ReferralServer:  whois://whois.loop-a.test\n');
  let hops = 0;
  const chain = await whoisServer(() => `refer:        whois.hop${++hops}.test\n`);
  const stranger = await whoisServer(() => 'ReferralServer:  whois://whois.attacker.example:4343\n');
  try {
    const loop = await createWhoisClient({ server: 'whois.loop-a.test', servers: { 'whois.loop-a.test': at(loopA), 'whois.loop-b.test': at(loopB) } }).lookup('178.1.1.1');
    assert.equal(loop.note, 'referral loop at whois.loop-a.test');
    assert.equal(loopA.connections + loopB.connections, 2);

    const servers = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`whois.hop${i}.test`, at(chain)]));
    const far = await createWhoisClient({ server: 'whois.hop0.test', servers, max_referrals: 3 }).lookup('178.1.1.1');
    assert.equal(far.note, 'more than 3 referrals; stopped at whois.hop3.test');
    assert.equal(chain.connections, 4);

    const elsewhere = await createWhoisClient({ server: at(stranger) }).lookup('178.1.1.1');
    assert.equal(elsewhere.note, 'referral to whois.attacker.example not followed (not a known registry)');
    assert.equal(stranger.connections, 1);
  } finally {
    for (const p of [loopA, loopB, chain, stranger]) await p.close();
  }
});

test('attacker-written fields: control, escape and bidi characters stripped, every field bounded, a bad e-mail dropped', async () => {
  const r = await client().lookup('77.88.0.9');
  for (const v of Object.values(r)) if (typeof v === 'string') assert.doesNotMatch(v, /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/u);
  assert.equal(r.netName, 'EVIL [2J [31mNET');
  assert.equal(r.owner!.length, 200);
  assert.ok(r.owner!.startsWith('Evil liveE Corp Jan 19 20:38:08 s68 sshd[1]: Failed password'), r.owner);
  assert.equal(r.country, undefined); // "R<ESC>U" is not a country code
  assert.equal(r.abuse, undefined); // "abuse@evil.example; rm -rf /" is not an address
  const short = await client({ max_field_length: 40 }).lookup('77.88.0.10');
  assert.equal(short.owner, 'Evil liveE Corp Jan 19 20:38:08 s68 sshd');
});

test('a registry that refuses connections: the failure is a note, remembered briefly for that address only', async () => {
  const closed = await whoisServer(() => '');
  const port = closed.port;
  await closed.close(); // nothing listens there now
  const c = createWhoisClient({ server: at(iana), servers: { 'whois.ripe.net': `127.0.0.1:${port}` } });
  const r = await c.lookup('178.216.51.67');
  assert.equal(r.note, 'whois.ripe.net:43: connection refused');
  const { calls } = await counting(() => c.lookup('178.216.51.68'));
  assert.equal(calls.iana, 1, 'a failure does not stand for the whole network');
});

test('IPv6: inet6num and ARIN v6 ranges are read as ranges, mapped IPv4 is IPv4', () => {
  const ripe = parseWhois('inet6num:       2a01:4f8::/32\nnetname:        DE-EXAMPLE-V6\ncountry:        DE\nsource:         RIPE\n');
  assert.deepEqual(ripe.range, { family: 6, start: 0x2a0104f8n << 96n, end: (0x2a0104f8n << 96n) | ((1n << 96n) - 1n) });
  const arin = parseWhois('NetRange:       2001:4860:: - 2001:4860:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF\nCIDR:           2001:4860::/32\nNetName:        EXAMPLE-V6\n');
  assert.equal(arin.network, '2001:4860::/32');
  assert.deepEqual(arin.range, { family: 6, start: 0x20014860n << 96n, end: (0x20014860n << 96n) | ((1n << 96n) - 1n) });
});
