/**
 * The iptables backend: the shared contract on real iptables/ip6tables in a lab namespace, then
 * what is its own (the runbook's rule form in `iptables -S`, the DOCKER-USER jump, ipv6 off).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import iptables from '../../src/firewall/iptables.ts';
import type { Firewall } from '../../src/firewall/types.ts';
import { tokenize } from '../../src/firewall/xtables.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { firewallContract } from './contract.ts';
import { nsRunner, ruleset } from './net.ts';

firewallContract({
  name: 'iptables',
  commands: [],
  create: (run) => iptables.create(iptables.schema.parse({}), { log: silentLogger, run }),
  kernelExpiry: false,
  marker: ':MAMORU',
  handRemove: (server, ip) => {
    const line = server.exec(['iptables', '-S', 'MAMORU']).split('\n').find((l) => l.startsWith(`-A MAMORU -s ${ip}/32 `) && !l.includes('--dport'));
    assert.ok(line, `no rule for ${ip} to remove by hand`);
    server.exec(['iptables', '-D', ...tokenize(line).slice(1)]);
  },
  breakHook: (server) => void server.exec(['iptables', '-D', 'INPUT', '-j', 'MAMORU']),
});

describe('firewall iptables: its own rule form and options', () => {
  const prereq = { root: true, commands: ['ip', 'iptables', 'ip6tables'] };
  let lab: Lab;
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
  });
  after(() => lab?.destroy());

  function make(options: Record<string, unknown>): Firewall {
    return iptables.create(iptables.schema.parse(options), { log: silentLogger, run: nsRunner(lab.server) });
  }

  test("rules read like the runbook's, with the end in a comment, and INPUT jumps to the chain first", async (t) => {
    if (needs(t, prereq)) return;
    lab.server.exec(['iptables', '-A', 'INPUT', '-s', '192.0.2.9/32', '-j', 'ACCEPT']);
    const fw = make({});
    await fw.setup();
    await fw.ban({ address: '178.216.51.67', port: 110, until: 1_800_000_000_000 });
    await fw.ban({ address: '2001:db8::/64' });
    const v4 = lab.server.exec(['iptables', '-S']);
    assert.match(v4, /-A MAMORU -s 178\.216\.51\.67\/32 -p tcp -m tcp --dport 110 -m comment --comment "?mamoru:until=1800000000000"? -j DROP/);
    assert.equal(v4.split('\n').filter((l) => l.startsWith('-A INPUT'))[0], '-A INPUT -j MAMORU');
    assert.match(lab.server.exec(['ip6tables', '-S', 'MAMORU']), /-A MAMORU -s 2001:db8::\/64 -m comment --comment "?mamoru:until=never"? -j DROP/);
    await fw.teardown();
    assert.doesNotMatch(ruleset(lab.server), /mamoru/i);
    assert.match(lab.server.exec(['iptables', '-S', 'INPUT']), /-A INPUT -s 192\.0\.2\.9\/32 -j ACCEPT/);
  });

  test('docker_user: the jump goes into DOCKER-USER when Docker made it, and teardown leaves the chain to Docker', async (t) => {
    if (needs(t, prereq)) return;
    const fw = make({ docker_user: true, ipv6: false });
    await fw.setup();
    assert.notEqual(lab.server.run(['iptables', '-S', 'DOCKER-USER']).status, 0, 'mamoru must not create DOCKER-USER itself');
    // What Docker does at start.
    lab.server.exec(['iptables', '-N', 'DOCKER-USER']);
    lab.server.exec(['iptables', '-A', 'DOCKER-USER', '-j', 'RETURN']);
    await fw.setup();
    await fw.setup();
    assert.deepEqual(lab.server.exec(['iptables', '-S', 'DOCKER-USER']).trim().split('\n'), ['-N DOCKER-USER', '-A DOCKER-USER -j MAMORU', '-A DOCKER-USER -j RETURN']);
    await fw.teardown();
    assert.deepEqual(lab.server.exec(['iptables', '-S', 'DOCKER-USER']).trim().split('\n'), ['-N DOCKER-USER', '-A DOCKER-USER -j RETURN']);
  });

  test('with ipv6 off an IPv6 ban is refused with what to change, and ip6tables is left alone', async (t) => {
    if (needs(t, prereq)) return;
    const fw = make({ ipv6: false, chain: 'GUARD4' });
    await fw.setup();
    await assert.rejects(fw.ban({ address: '2001:db8::1' }), /ipv6 is off for this backend; set ipv6: true/);
    assert.doesNotMatch(lab.server.exec(['ip6tables-save']), /GUARD4/);
    await fw.teardown();
    assert.doesNotMatch(lab.server.exec(['iptables-save']), /GUARD4/);
  });
});
