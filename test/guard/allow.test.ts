/**
 * Addresses (parse, normalise, contain, widen for a ban) and the allow list built on them:
 * loopback and this machine always, the operator's SSH session by default, configured networks,
 * and a network ban refused when it would take an allowed address with it.
 */
import assert from 'node:assert/strict';
import os from 'node:os';
import { describe, test } from 'node:test';
import { banTarget, contains, formatCidr, normalize, parseCidr, parseIp } from '../../src/guard/address.ts';
import { allowSchema, AllowList, sshSessionAddress } from '../../src/guard/allow.ts';

describe('addresses', () => {
  const normal: [string, string | undefined][] = [
    ['1.2.3.4', '1.2.3.4'],
    [' 1.2.3.4 ', '1.2.3.4'],
    ['::ffff:178.216.51.67', '178.216.51.67'],
    ['::FFFF:B2D8:3343', '178.216.51.67'],
    ['[2001:DB8::1]', '2001:db8::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
    ['::1.2.3.4', '::102:304'],
    ['::', '::'],
    ['10.1.2.3/24', '10.1.2.0/24'],
    ['10.1.2.3/32', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6/64', '2001:db8:1:2::/64'],
    ['::ffff:10.1.2.3/120', '10.1.2.0/24'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['1.2.3.4/33', undefined],
    ['2001:db8::/129', undefined],
    ['1.2.3.4/', undefined],
    ['1.2.3.4/-1', undefined],
    ['1.2.3.4/0x10', undefined],
    ['010.1.1.1', undefined],
    ['1.2.3', undefined],
    ['1.2.3.4.5', undefined],
    ['::ffff:1.2.3.4/64', undefined],
    ['family@:178.216.51.67', undefined],
    ['178.216.51.67 ; reboot', undefined],
    ['', undefined],
  ];
  for (const [input, want] of normal) test(`normalize(${JSON.stringify(input)}) is ${String(want)}`, () => assert.equal(normalize(input), want));

  test('parseIp takes single addresses only', () => {
    assert.equal(parseIp('10.0.0.0/8'), undefined);
    assert.deepEqual(parseIp('::ffff:1.2.3.4'), { family: 4, bits: 0x01020304n, prefix: 32 });
  });

  test('contains', () => {
    const cases: [string, string, boolean][] = [
      ['10.0.0.0/8', '10.255.1.2', true],
      ['10.0.0.0/8', '11.0.0.1', false],
      ['10.0.0.0/8', '10.1.0.0/16', true],
      ['10.1.0.0/16', '10.0.0.0/8', false],
      ['10.0.0.0/8', '::ffff:10.9.9.9', true],
      ['::/0', '10.0.0.1', false],
      ['2001:db8::/32', '2001:db8:ffff::1', true],
      ['2001:db8::/32', '2001:db9::1', false],
      ['127.0.0.1', '127.0.0.1', true],
      ['not a network', '127.0.0.1', false],
      ['127.0.0.0/8', 'not an address', false],
    ];
    for (const [cidr, ip, want] of cases) assert.equal(contains(cidr, ip), want, `${cidr} ∋ ${ip}`);
  });

  test('a ban covers the IPv4 address, the IPv6 address or, when asked, its /64', () => {
    assert.equal(formatCidr(banTarget('178.216.51.67', { prefix_v6: 64 })!), '178.216.51.67');
    assert.equal(formatCidr(banTarget('2001:db8:1:2:3:4:5:6')!), '2001:db8:1:2:3:4:5:6');
    assert.equal(formatCidr(banTarget('2001:db8:1:2:3:4:5:6', { prefix_v6: 64 })!), '2001:db8:1:2::/64');
    assert.equal(formatCidr(banTarget('::ffff:178.216.51.67', { prefix_v6: 64 })!), '178.216.51.67');
    assert.equal(banTarget('10.0.0.0/8'), undefined, 'a network from a log line is never a ban target');
    assert.deepEqual(parseCidr('2001:db8::1/64'), parseCidr('2001:db8::/64'));
  });
});

describe('allow list', () => {
  const none = () => ({});
  const base = { allow: [], allow_ssh_session: false };

  test('loopback is always allowed, whatever the config', () => {
    const list = new AllowList(base, { env: {}, interfaces: none });
    for (const ip of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) assert.equal(list.isAllowed(ip), true, ip);
    assert.equal(list.refusal('127.0.0.1'), '127.0.0.1 is allowed (loopback)');
    assert.equal(list.isAllowed('178.216.51.67'), false);
    assert.equal(list.refusal('178.216.51.67'), undefined);
  });

  test("this machine's own addresses are allowed: the real interfaces by default, and new ones after refresh()", () => {
    const real = new AllowList(base, { env: {} });
    for (const infos of Object.values(os.networkInterfaces())) for (const i of infos ?? []) assert.equal(real.isAllowed(i.address), true, i.address);
    const ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {
      eth0: [{ address: '192.0.2.10', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '192.0.2.10/24' }],
    };
    const list = new AllowList(base, { env: {}, interfaces: () => ifaces });
    assert.equal(list.refusal('192.0.2.10'), '192.0.2.10 is allowed (this machine (eth0))');
    assert.equal(list.isAllowed('192.0.2.11'), false, 'the machine, not its whole subnet');
    ifaces.eth1 = [{ address: '2001:db8::a', netmask: 'ffff:ffff:ffff:ffff::', family: 'IPv6', mac: '00:00:00:00:00:00', internal: false, cidr: '2001:db8::a/64', scopeid: 0 }];
    assert.equal(list.isAllowed('2001:db8::a'), false);
    list.refresh();
    assert.equal(list.isAllowed('2001:db8::a'), true);
  });

  test("an address the machine gains later is allowed within 10 s, with no one calling refresh()", () => {
    let now = 1_000_000;
    const ifaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {};
    const list = new AllowList(base, { env: {}, interfaces: () => ifaces, now: () => now });
    ifaces.eth0 = [{ address: '192.0.2.20', netmask: '255.255.255.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: false, cidr: '192.0.2.20/24' }];
    now += 5_000;
    assert.equal(list.refusal('192.0.2.20'), undefined, 'read at most every 10 s');
    now += 5_001;
    assert.equal(list.refusal('192.0.2.20'), '192.0.2.20 is allowed (this machine (eth0))');
  });

  test("the operator's SSH session is allowed by default and not when turned off", () => {
    const env = { SSH_CONNECTION: '203.0.113.9 52000 192.0.2.10 22' };
    const on = new AllowList(allowSchema.parse({}), { env, interfaces: none });
    assert.equal(on.refusal('203.0.113.9'), "203.0.113.9 is allowed (operator's SSH session (203.0.113.9))");
    const off = new AllowList(allowSchema.parse({ allow_ssh_session: false }), { env, interfaces: none });
    assert.equal(off.isAllowed('203.0.113.9'), false);
    assert.equal(sshSessionAddress({ SSH_CLIENT: '2001:db8::5 40000 22' }), '2001:db8::5');
    assert.equal(sshSessionAddress({ SSH_CLIENT: '::ffff:203.0.113.9 40000 22' }), '203.0.113.9');
    assert.equal(sshSessionAddress({ SSH_CONNECTION: 'garbage here', SSH_CLIENT: '198.51.100.1 1 22' }), '198.51.100.1');
    assert.equal(sshSessionAddress({}), undefined);
  });

  test('configured networks are allowed, and a /64 ban touching an allowed address is refused', () => {
    const list = new AllowList(allowSchema.parse({ allow: ['10.0.0.0/8', '2001:db8:1:2::77'], allow_ssh_session: false }), { env: {}, interfaces: none });
    assert.equal(list.refusal('10.20.30.40'), '10.20.30.40 is allowed (allow: 10.0.0.0/8)');
    assert.equal(list.refusal('2001:db8:1:2::/64'), '2001:db8:1:2::/64 is allowed (allow: 2001:db8:1:2::77)');
    assert.equal(list.refusal('2001:db8:1:3::/64'), undefined);
    assert.equal(list.refusal('0.0.0.0/0')?.includes('loopback'), true, 'a network holding loopback is refused');
    assert.match(list.refusal('not an address')!, /is not an IP address or network/);
  });

  test('the options are strict and a bad entry is named', () => {
    const r = allowSchema.safeParse({ allow: ['10.0.0.0/8', '10.0.0.0/33'] });
    assert.equal(r.success, false);
    assert.match(r.error!.issues[0]!.message, /got "10\.0\.0\.0\/33"/);
    assert.deepEqual(r.error!.issues[0]!.path, ['allow', 1]);
    assert.equal(allowSchema.safeParse({ alow: [] }).success, false);
    assert.deepEqual(allowSchema.parse({}), { allow: [], allow_ssh_session: true });
  });
});
