/**
 * The dns probe against the lab's dnsmasq (A, AAAA, MX, TXT, CNAME found; expected answers;
 * NXDOMAIN, an empty answer, REFUSED; the server stopped; the host dropping every packet), and
 * against a small in-process DNS server on 127.0.0.1 for what dnsmasq cannot do: answer slowly,
 * SERVFAIL, garbage, a reply with the wrong id, a long answer. Side by side with check_dig (and
 * check_dns where check_dig's state is not the one a monitor wants). No query ever goes to the
 * machine's own resolver: every run names a lab or loopback server.
 */
import { execFile } from 'node:child_process';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { after, before, describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import dns from '../../src/probes/dns.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { startDnsmasq, type LabDnsmasq } from '../lab/daemons/dnsmasq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_DIG = `${PLUGINS}/check_dig`;
const CHECK_DNS = `${PLUGINS}/check_dns`;
/** What running each plugin takes: the plugin and the tool it runs. */
const DIG = [CHECK_DIG, 'dig'];
const NSLOOKUP = [CHECK_DNS, 'nslookup'];
const SECS = String.raw`\d+\.\d{3} seconds response time`;

function runDns(options: Record<string, unknown>, timeoutMs = 3000) {
  return runCheck(dns, targetFromAddress('127.0.0.1'), dns.schema.parse(options), { timeoutMs });
}

/** A plugin's exit state and first line. */
function plugin(path: string, args: string[]): Promise<{ state: number; text: string }> {
  return new Promise((resolve) => {
    execFile(path, args, { encoding: 'utf8', timeout: 20_000 }, (err, stdout) => {
      resolve({ state: err ? Number((err as { code?: number }).code) : 0, text: stdout.split('\n')[0]!.split('|')[0]!.trim() });
    });
  });
}

/** The state word a text leads with (check_dig's own timeout says just `CRITICAL - ...`). */
const stateWord = (text: string) => /^(?:DNS )?(OK|WARNING|CRITICAL|UNKNOWN)\b/.exec(text)?.[1];

/**
 * A DNS server that misbehaves on purpose, chosen by the first label of the name asked:
 * `slow` answers A 192.0.2.50 after 400 ms, `servfail` answers SERVFAIL, `garbage` answers
 * bytes that are no DNS message, `wrongid` answers for another query id, `many` answers 28 A
 * records; anything else is answered A 192.0.2.50 at once.
 */
async function fakeDns(): Promise<{ port: number; close(): Promise<void> }> {
  const sock = dgram.createSocket('udp4');
  const timers = new Set<NodeJS.Timeout>();
  sock.on('message', (msg, from) => {
    if (msg.length < 17) return;
    let i = 12;
    const labels: string[] = [];
    while (i < msg.length && msg[i] !== 0) {
      labels.push(msg.subarray(i + 1, i + 1 + msg[i]!).toString());
      i += msg[i]! + 1;
    }
    const question = msg.subarray(12, i + 5);
    const mode = labels[0] ?? '';
    const reply = (rcode: number, addresses: string[], id = msg.readUInt16BE(0)) => {
      const header = Buffer.alloc(12);
      header.writeUInt16BE(id, 0);
      header.writeUInt16BE(0x8180 | rcode, 2); // QR, RD, RA
      header.writeUInt16BE(1, 4);
      header.writeUInt16BE(addresses.length, 6);
      const rrs = addresses.map((a) => Buffer.concat([Buffer.from([0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]), Buffer.from(a.split('.').map(Number))]));
      sock.send(Buffer.concat([header, question, ...rrs]), from.port, from.address);
    };
    if (mode === 'slow') {
      const t = setTimeout(() => {
        timers.delete(t);
        reply(0, ['192.0.2.50']);
      }, 400);
      timers.add(t);
    } else if (mode === 'servfail') reply(2, []);
    else if (mode === 'garbage') sock.send(Buffer.concat([msg.subarray(0, 2), Buffer.from([0x81, 0x80, 0xff, 0xff, 0x13, 0x37, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01])]), from.port, from.address);
    else if (mode === 'wrongid') reply(0, ['192.0.2.50'], (msg.readUInt16BE(0) + 1) & 0xffff);
    else if (mode === 'many') reply(0, Array.from({ length: 28 }, (_, k) => `192.0.2.${k + 1}`));
    else reply(0, ['192.0.2.50']);
  });
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return {
    port: sock.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        sock.close(() => resolve());
      }),
  };
}

describe('dns probe against the lab\'s dnsmasq', () => {
  let lab: Lab | undefined;
  let d: LabDnsmasq;
  let server: string;

  before(async () => {
    if (missing({ root: true, commands: ['dnsmasq'] })) return;
    lab = await createLab();
    d = await startDnsmasq(lab, {
      records: {
        a: { 'www.lab.test': ['192.0.2.1', '192.0.2.2'], 'v4only.lab.test': ['192.0.2.9'] },
        aaaa: { 'www.lab.test': ['2001:db8::1'] },
        mx: { 'lab.test': [[10, 'mail.lab.test'], [20, 'mx2.lab.test']] },
        txt: { 'txt.lab.test': ['v=spf1 -all'] },
        cname: { 'alias.lab.test': 'www.lab.test' },
      },
    });
    server = d.ip;
  });

  after(async () => {
    await lab?.destroy();
  });

  // Each test needs exactly what it runs: check_dig runs dig, check_dns runs nslookup (both
  // from bind9-dnsutils, which the plugins package only recommends).
  const labOnly = { root: true, commands: ['dnsmasq'] };
  const withDig = { root: true, commands: ['dnsmasq', ...DIG] };
  const withNslookup = { root: true, commands: ['dnsmasq', ...NSLOOKUP] };

  test('A, AAAA, MX, TXT and CNAME records found: OK with dig\'s answer line and the response time', async (t) => {
    if (needs(t, labOnly)) return;
    const a = await runDns({ server, query: 'www.lab.test' });
    assert.equal(a.state, NagiosState.OK, a.text);
    assert.match(a.text, new RegExp(`^DNS OK - ${SECS} \\(www\\.lab\\.test\\. 300 IN A 192\\.0\\.2\\.1, 192\\.0\\.2\\.2\\)$`));
    assert.match(formatPerfdata(a.perfdata), /^time=[\d.]+s;;;0$/);
    const aaaa = await runDns({ server, query: 'www.lab.test', record_type: 'AAAA' });
    assert.match(aaaa.text, new RegExp(`^DNS OK - ${SECS} \\(www\\.lab\\.test\\. 300 IN AAAA 2001:db8::1\\)$`));
    const mx = await runDns({ server, query: 'lab.test', record_type: 'MX' });
    assert.match(mx.text, new RegExp(`^DNS OK - ${SECS} \\(lab\\.test\\. IN MX 10 mail\\.lab\\.test\\., 20 mx2\\.lab\\.test\\.\\)$`));
    const txt = await runDns({ server, query: 'txt.lab.test', record_type: 'TXT' });
    assert.match(txt.text, new RegExp(`^DNS OK - ${SECS} \\(txt\\.lab\\.test\\. IN TXT "v=spf1 -all"\\)$`));
    const cname = await runDns({ server, query: 'alias.lab.test', record_type: 'CNAME' });
    assert.match(cname.text, new RegExp(`^DNS OK - ${SECS} \\(alias\\.lab\\.test\\. IN CNAME www\\.lab\\.test\\.\\)$`));
    // The questions went to the lab's server, one of the asked type each.
    assert.match(d.log(), new RegExp(`query\\[MX\\] lab\\.test from ${lab!.monitorIp.replace(/\./g, '\\.')}`));
  });

  test('expected answers: all must be there; expect_exact also forbids others; a mismatch is CRITICAL', async (t) => {
    if (needs(t, labOnly)) return;
    assert.equal((await runDns({ server, query: 'www.lab.test', expect: ['192.0.2.2'] })).state, NagiosState.OK);
    const wrong = await runDns({ server, query: 'www.lab.test', expect: ['192.0.2.2', '192.0.2.7'] });
    assert.equal(wrong.state, NagiosState.CRITICAL, wrong.text);
    assert.equal(wrong.text, "DNS CRITICAL - expected '192.0.2.2,192.0.2.7' but got '192.0.2.1,192.0.2.2' for www.lab.test A");
    const notExact = await runDns({ server, query: 'www.lab.test', expect: ['192.0.2.1'], expect_exact: true });
    assert.equal(notExact.state, NagiosState.CRITICAL, notExact.text);
    assert.equal(notExact.text, "DNS CRITICAL - expected exactly '192.0.2.1' but got '192.0.2.1,192.0.2.2' for www.lab.test A");
    assert.equal((await runDns({ server, query: 'www.lab.test', expect: ['192.0.2.2', '192.0.2.1'], expect_exact: true })).state, NagiosState.OK);
    // The forms people write: a long IPv6 form, an MX's bare exchange or "preference exchange.".
    assert.equal((await runDns({ server, query: 'www.lab.test', record_type: 'AAAA', expect: ['2001:0DB8:0000::0001'] })).state, NagiosState.OK);
    assert.equal((await runDns({ server, query: 'lab.test', record_type: 'MX', expect: ['mail.lab.test', '20 MX2.lab.test.'] })).state, NagiosState.OK);
    const mx = await runDns({ server, query: 'lab.test', record_type: 'MX', expect: ['20 mail.lab.test'] });
    assert.equal(mx.state, NagiosState.CRITICAL, mx.text);
  });

  test('NXDOMAIN, an empty answer and REFUSED are CRITICAL, each in its own words', async (t) => {
    if (needs(t, labOnly)) return;
    const nx = await runDns({ server, query: 'nothing.lab.test' });
    assert.equal(nx.state, NagiosState.CRITICAL, nx.text);
    assert.equal(nx.text, `DNS CRITICAL - nothing.lab.test: no such name (NXDOMAIN) at ${server}`);
    const empty = await runDns({ server, query: 'v4only.lab.test', record_type: 'AAAA' });
    assert.equal(empty.state, NagiosState.CRITICAL, empty.text);
    assert.equal(empty.text, `DNS CRITICAL - v4only.lab.test has no AAAA record (NOERROR, empty answer) at ${server}`);
    // dnsmasq has no upstream: a name outside its zone is refused.
    const refused = await runDns({ server, query: 'outside.test' });
    assert.equal(refused.state, NagiosState.CRITICAL, refused.text);
    assert.equal(refused.text, `DNS CRITICAL - server ${server} refused to answer outside.test A (REFUSED)`);
  });

  test('the same state and leading words as check_dig for answers, NXDOMAIN, empty answers and REFUSED', async (t) => {
    if (needs(t, withDig)) return;
    const cases: [Record<string, unknown>, string[]][] = [
      [{ query: 'www.lab.test' }, ['-l', 'www.lab.test', '-T', 'A']],
      [{ query: 'www.lab.test', expect: ['192.0.2.2'] }, ['-l', 'www.lab.test', '-T', 'A', '-a', '192.0.2.2']],
      [{ query: 'www.lab.test', record_type: 'AAAA' }, ['-l', 'www.lab.test', '-T', 'AAAA']],
      [{ query: 'lab.test', record_type: 'MX', expect: ['mail.lab.test'] }, ['-l', 'lab.test', '-T', 'MX', '-a', 'mail.lab.test']],
      [{ query: 'www.lab.test', warning: 0.000001, critical: 5 }, ['-l', 'www.lab.test', '-T', 'A', '-w', '0.000001', '-c', '5']],
      [{ query: 'www.lab.test', warning: 0.000001, critical: 0.000002 }, ['-l', 'www.lab.test', '-T', 'A', '-w', '0.000001', '-c', '0.000002']],
      [{ query: 'nothing.lab.test' }, ['-l', 'nothing.lab.test', '-T', 'A']],
      [{ query: 'v4only.lab.test', record_type: 'AAAA' }, ['-l', 'v4only.lab.test', '-T', 'AAAA']],
      [{ query: 'outside.test' }, ['-l', 'outside.test', '-T', 'A']],
    ];
    for (const [options, args] of cases) {
      const ours = await runDns({ server, ...options });
      const theirs = await plugin(CHECK_DIG, ['-H', server, ...args]);
      const what = `${JSON.stringify(options)}\n ours: ${ours.text}\n check_dig: ${theirs.text}`;
      assert.equal(ours.state, theirs.state, what);
      assert.equal(stateWord(ours.text), stateWord(theirs.text), what);
      assert.match(ours.text, /^DNS /, what);
    }
  });

  test('an expected answer missing: CRITICAL like check_dns (check_dig only warns)', async (t) => {
    if (needs(t, withNslookup)) return;
    const ours = await runDns({ server, query: 'www.lab.test', expect: ['192.0.2.7'] });
    const theirs = await plugin(CHECK_DNS, ['-s', server, '-H', 'www.lab.test', '-a', '192.0.2.7']);
    assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
    assert.equal(ours.state, theirs.state, `ours: ${ours.text}\ncheck_dns: ${theirs.text}`);
    assert.equal(stateWord(ours.text), stateWord(theirs.text));
  });

  test('the server stopped: CRITICAL, connection refused, as check_dns; started again: OK', async (t) => {
    if (needs(t, withNslookup)) return;
    await d.stop();
    try {
      const ours = await runDns({ server, query: 'www.lab.test' });
      assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
      assert.equal(ours.text, `DNS CRITICAL - connect to address ${server} and port 53: Connection refused`);
      const theirs = await plugin(CHECK_DNS, ['-s', server, '-H', 'www.lab.test', '-t', '2']);
      assert.equal(ours.state, theirs.state, `ours: ${ours.text}\ncheck_dns: ${theirs.text}`);
    } finally {
      await d.start();
    }
    assert.equal((await runDns({ server, query: 'www.lab.test' })).state, NagiosState.OK);
  });

  test('the server\'s host drops every packet: CRITICAL after the timeout, as check_dig', async (t) => {
    if (needs(t, withDig)) return;
    lab!.server.dropAll();
    try {
      const ours = await runDns({ server, query: 'www.lab.test' }, 1000);
      assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
      assert.equal(ours.text, `DNS CRITICAL - No response from DNS server ${server} after 1 seconds`);
      const theirs = await plugin(CHECK_DIG, ['-H', server, '-l', 'www.lab.test', '-t', '1']);
      assert.equal(ours.state, theirs.state, `ours: ${ours.text}\ncheck_dig: ${theirs.text}`);
      assert.equal(stateWord(ours.text), stateWord(theirs.text));
    } finally {
      lab!.server.restore();
    }
  });
});

describe('dns probe against a misbehaving server on 127.0.0.1', () => {
  let fake: Awaited<ReturnType<typeof fakeDns>>;
  before(async () => {
    fake = await fakeDns();
  });
  after(async () => {
    await fake.close();
  });
  const at = (query: string, more: Record<string, unknown> = {}) => ({ server: '127.0.0.1', port: fake.port, query, ...more });

  test('a slow answer is WARNING or CRITICAL by response time, as check_dig', async (t) => {
    if (needs(t, { commands: DIG })) return;
    // The answer comes 400 ms after the question: the response time cannot be below 0.1 s.
    const warn = await runDns(at('slow.fake.test', { warning: 0.1, critical: 5 }));
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    assert.match(warn.text, new RegExp(`^DNS WARNING - ${SECS} \\(slow\\.fake\\.test\\. 60 IN A 192\\.0\\.2\\.50\\)$`));
    assert.match(formatPerfdata(warn.perfdata), /^time=[\d.]+s;0\.1;5;0$/);
    const crit = await runDns(at('slow.fake.test', { warning: 0.05, critical: 0.1 }));
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    for (const [ours, args] of [
      [warn, ['-w', '0.1', '-c', '5']],
      [crit, ['-w', '0.05', '-c', '0.1']],
    ] as const) {
      const theirs = await plugin(CHECK_DIG, ['-H', '127.0.0.1', '-p', String(fake.port), '-l', 'slow.fake.test', ...args]);
      assert.equal(ours.state, theirs.state, `ours: ${ours.text}\ncheck_dig: ${theirs.text}`);
      assert.equal(stateWord(ours.text), stateWord(theirs.text));
    }
  });

  test('SERVFAIL is CRITICAL with its name, as check_dig', async (t) => {
    if (needs(t, { commands: DIG })) return;
    const r = await runDns(at('servfail.fake.test'));
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `DNS CRITICAL - server 127.0.0.1 port ${fake.port} failed to answer servfail.fake.test A (SERVFAIL)`);
    const theirs = await plugin(CHECK_DIG, ['-H', '127.0.0.1', '-p', String(fake.port), '-l', 'servfail.fake.test']);
    assert.equal(r.state, theirs.state, `ours: ${r.text}\ncheck_dig: ${theirs.text}`);
  });

  test('garbage or a reply to another query is CRITICAL with the reason, never a crash', async () => {
    const garbage = await runDns(at('garbage.fake.test'), 1000);
    assert.equal(garbage.state, NagiosState.CRITICAL, garbage.text);
    assert.equal(garbage.text, `DNS CRITICAL - bad response from 127.0.0.1 port ${fake.port} to garbage.fake.test A: not a valid DNS reply (EBADRESP)`);
    const wrongId = await runDns(at('wrongid.fake.test'), 1000);
    assert.equal(wrongId.state, NagiosState.CRITICAL, wrongId.text);
    assert.equal(wrongId.text, `DNS CRITICAL - No response from DNS server 127.0.0.1 port ${fake.port} after 1 seconds`);
  });

  test('a long answer stays one bounded line', async () => {
    const r = await runDns(at('many.fake.test', { expect: ['192.0.2.28'] }));
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, new RegExp(`^DNS OK - ${SECS} \\(many\\.fake\\.test\\. 60 IN A 192\\.0\\.2\\.1, 192\\.0\\.2\\.10, 192\\.0\\.2\\.11, 192\\.0\\.2\\.12, 192\\.0\\.2\\.13 and 23 more\\)$`));
  });

  test('options are checked when the config loads', () => {
    const bad = dns.schema.safeParse({ query: 'www.lab.test', server: 'ns1.example.com', record_type: 'SOA' });
    assert.equal(bad.success, false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(messages.some((m) => m.startsWith('server: expected the DNS server as an IPv4 or IPv6 address')), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('record_type: ')), messages.join('\n'));
  });
});
