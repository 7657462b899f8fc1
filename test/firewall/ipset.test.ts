/**
 * The ipset backend: the shared contract on real ipsets and iptables rules in a lab namespace,
 * then what is its own (the set types and the one rule per set, the per-port element form).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import ipset from '../../src/firewall/ipset.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { firewallContract } from './contract.ts';
import { nsRunner, ruleset } from './net.ts';

firewallContract({
  name: 'ipset',
  commands: ['ipset'],
  create: (run) => ipset.create(ipset.schema.parse({}), { log: silentLogger, run }),
  kernelExpiry: true,
  marker: 'mamoru-v4',
  handRemove: (server, ip) => void server.exec(['ipset', 'del', 'mamoru-v4', ip]),
  breakHook: (server) => void server.exec(['iptables', '-D', 'INPUT', '-m', 'set', '--match-set', 'mamoru-v4', 'src', '-j', 'DROP']),
});

describe('firewall ipset: sets and rules', () => {
  const prereq = { root: true, commands: ['ip', 'ipset', 'iptables', 'ip6tables'] };
  let lab: Lab;
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
  });
  after(() => lab?.destroy());

  test('hash:net sets with timeouts per family, one DROP rule per set, per-port elements as net,proto:port', async (t) => {
    if (needs(t, prereq)) return;
    const fw = ipset.create(ipset.schema.parse({ set: 'guard', ipv6: true }), { log: silentLogger, run: nsRunner(lab.server) });
    await fw.setup();
    await fw.setup();
    await fw.ban({ address: '178.216.51.67', port: 110, until: Date.now() + 600_000 });
    await fw.ban({ address: '2001:db8:1::/64', until: Date.now() + 600_000 });
    const v4port = lab.server.exec(['ipset', 'list', 'guard-v4-port']);
    assert.match(v4port, /Type: hash:net,port/);
    assert.match(v4port, /178\.216\.51\.67,tcp:110 timeout \d+ comment "mamoru:until=\d+"/);
    assert.match(lab.server.exec(['ipset', 'list', 'guard-v6']), /Header: family inet6 .*timeout 0/);
    const input = lab.server.exec(['iptables', '-S', 'INPUT']).split('\n');
    assert.equal(input.filter((l) => l.includes('--match-set guard-v4 src ')).length, 1);
    assert.equal(input.filter((l) => l.includes('--match-set guard-v4-port src,dst ')).length, 1);
    assert.equal(lab.server.exec(['ip6tables', '-S', 'INPUT']).split('\n').filter((l) => l.includes('--match-set guard-v6 src ')).length, 1);
    await fw.teardown();
    assert.doesNotMatch(ruleset(lab.server), /guard/);
  });

  test('options are strict and checked', () => {
    assert.equal(ipset.schema.safeParse({ set: 'a b' }).success, false);
    assert.equal(ipset.schema.safeParse({ max_elements: 10 }).success, false);
    assert.deepEqual(ipset.schema.parse({}), { set: 'mamoru', docker_user: false, ipv6: true, max_elements: 65536 });
  });
});
