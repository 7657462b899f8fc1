/**
 * Country from the offline geoip-country database (a local lookup, no traffic), and the enricher
 * that joins it with whois answers from a loopback whois server (IANA and RIPE played here).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { countryOf } from '../../src/guard/enrich/country.ts';
import { createEnricher } from '../../src/guard/enrich/enrich.ts';

test('geoip: well-known public addresses have their country, IPv6 and IPv4-mapped too', () => {
  assert.deepEqual(countryOf('8.8.8.8'), { country: 'US', name: 'United States' });
  assert.deepEqual(countryOf('193.0.6.139'), { country: 'NL', name: 'Netherlands' }); // RIPE NCC, Amsterdam
  assert.deepEqual(countryOf('133.1.1.1'), { country: 'JP', name: 'Japan' });
  assert.deepEqual(countryOf('2001:67c:2e8::2'), { country: 'NL', name: 'Netherlands' });
  assert.deepEqual(countryOf('::ffff:8.8.8.8'), { country: 'US', name: 'United States' });
});

test('geoip: private, loopback and malformed addresses have no country', () => {
  for (const a of ['10.0.0.1', '127.0.0.1', '192.168.1.10', '::1', 'fe80::1', 'not an address', '']) assert.equal(countryOf(a), undefined, a);
});

let connections = 0;
const servers: net.Server[] = [];
let ianaPort = 0;
let ripePort = 0;

async function serve(answer: (query: string) => string): Promise<number> {
  const server = net.createServer((s) => {
    connections++;
    s.on('error', () => undefined);
    s.once('data', (d) => s.end(answer(d.toString().trim())));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

before(async () => {
  ianaPort = await serve(
    () => `% IANA WHOIS server\n\nrefer:        whois.ripe.net\n\ninetnum:      178.0.0.0 - 178.255.255.255\norganisation: RIPE NCC\nstatus:       ALLOCATED\n\nwhois:        whois.ripe.net\nsource:       IANA\n`,
  );
  ripePort = await serve(
    (q) =>
      `% Abuse contact for '178.216.48.0 - 178.216.55.255' is 'abuse@example-hosting.se'\n\ninetnum:        178.216.48.0 - 178.216.55.255\nnetname:        SE-EXAMPLE-HOSTING\ndescr:          Example Hosting AB\ncountry:        SE\nsource:         RIPE\n\n% query ${q}\n`,
  );
});

after(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
});

const options = (extra: Record<string, unknown> = {}) => ({
  whois: { server: `127.0.0.1:${ianaPort}`, servers: { 'whois.ripe.net': `127.0.0.1:${ripePort}` }, ...extra },
});

test('enrich: country from the offline database, network, owner and abuse from whois, and where each came from', async () => {
  const before = connections;
  const e = await createEnricher(options()).enrich('178.216.51.67');
  assert.equal(connections - before, 2);
  const geo = countryOf('178.216.51.67');
  assert.ok(geo, 'the database knows this address');
  assert.deepEqual(e, {
    address: '178.216.51.67',
    country: geo.country,
    countryName: geo.name,
    network: '178.216.48.0 - 178.216.55.255',
    netName: 'SE-EXAMPLE-HOSTING',
    owner: 'Example Hosting AB',
    abuse: 'abuse@example-hosting.se',
    source: 'geoip-country, whois.ripe.net',
  });
});

test('enrich without the database: the whois country, with its English name', async () => {
  const e = await createEnricher({ geoip: false, ...options() }).enrich('178.216.51.68');
  assert.equal(e.country, 'SE');
  assert.equal(e.countryName, 'Sweden');
  assert.equal(e.source, 'whois.ripe.net');
});

test('enrich: a private address is named so, with no lookup of any kind', async () => {
  const before = connections;
  const enricher = createEnricher(options());
  assert.deepEqual(await enricher.enrich('192.168.10.5'), { address: '192.168.10.5', source: 'none', note: 'private address' });
  assert.deepEqual(await enricher.enrich('::1'), { address: '::1', source: 'none', note: 'private address' });
  assert.equal(connections, before);
});

test('enrich: the second time an address is enriched, no query is sent', async () => {
  const enricher = createEnricher(options());
  const first = await enricher.enrich('178.216.51.69');
  const before = connections;
  assert.deepEqual(await enricher.enrich('178.216.51.69'), first);
  assert.equal(connections, before);
});

test('enrich with whois turned off: the country only, and nothing sent', async () => {
  const before = connections;
  const e = await createEnricher(options({ enabled: false })).enrich('8.8.8.8');
  assert.equal(connections, before);
  assert.deepEqual(e, { address: '8.8.8.8', country: 'US', countryName: 'United States', source: 'geoip-country', note: 'whois is turned off' });
});
