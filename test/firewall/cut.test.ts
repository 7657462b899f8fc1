/**
 * Cutting open connections of a banned address, on real sockets in the lab: `ss -K` closes the
 * server's sockets to the attacker (IPv4, IPv6, a network, one port only) and leaves the
 * client's; `conntrack -D` forgets the attacker's tracked flows; a missing tool is reported,
 * never thrown.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { cutConnections } from '../../src/firewall/cut.ts';
import type { Runner } from '../../src/firewall/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { nsRunner, startAgent, startListener, type Agent } from './net.ts';

const P1 = 7110;
const P2 = 7111;

describe('cutConnections: open connections of a banned address', () => {
  const prereq = { root: true, commands: ['ip', 'ss', 'conntrack', 'nft'] };
  let lab: Lab;
  let run: Runner;
  let attacker: Agent;
  let client: Agent;
  let listener: ChildProcess;
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    listener = await startListener(lab.server, [P1, P2]);
    attacker = startAgent(lab.attacker);
    client = startAgent(lab.client);
    run = nsRunner(lab.server);
  });
  after(async () => {
    if (!lab) return;
    attacker.stop();
    client.stop();
    listener.kill('SIGKILL');
    await lab.destroy();
  });

  test('ss -K closes the attacker\'s connection on the banned port only, and none of the client\'s', async (t) => {
    if (needs(t, prereq)) return;
    const onP1 = await attacker.hold(lab.server.ip, P1);
    const onP2 = await attacker.hold(lab.server.ip, P2);
    const clients = await client.hold(lab.server.ip, P1);
    const r = await cutConnections(lab.attacker.ip, { log: silentLogger, run }, { port: P1, tools: ['ss'] });
    assert.deepEqual(r, { sockets: 1, problems: [] });
    assert.equal(await onP1.closed(3000), 'closed');
    assert.equal(await onP2.closed(300), 'timeout');
    assert.equal(await clients.closed(300), 'timeout');
    const all = await cutConnections(lab.attacker.ip, { log: silentLogger, run }, { tools: ['ss'] });
    assert.equal(all.sockets, 1);
    assert.equal(await onP2.closed(3000), 'closed');
  });

  test('IPv6 addresses and networks are cut too', async (t) => {
    if (needs(t, prereq)) return;
    const v6 = await attacker.hold(lab.server.ip6, P1);
    const clients = await client.hold(lab.server.ip6, P1);
    const r = await cutConnections(lab.attacker.ip6, { log: silentLogger, run }, { tools: ['ss'] });
    assert.equal(r.sockets, 1, JSON.stringify(r));
    assert.equal(await v6.closed(3000), 'closed');
    // A /126 around the attacker's address (::64 to ::67) holds the attacker and not the client.
    const again = await attacker.hold(lab.server.ip6, P2);
    const net = `${lab.attacker.ip6.replace(/::66$/, '::64')}/126`;
    assert.equal((await cutConnections(net, { log: silentLogger, run }, { tools: ['ss'] })).sockets, 1);
    assert.equal(await again.closed(3000), 'closed');
    assert.equal(await clients.closed(300), 'timeout');
  });

  test('conntrack -D forgets the attacker\'s tracked flows and leaves the client\'s', async (t) => {
    if (needs(t, prereq)) return;
    // Connection tracking runs in a namespace only once a rule needs it.
    lab.server.exec(['nft', '-f', '-'], { input: 'table inet track {\n chain input {\n  type filter hook input priority 0; policy accept;\n  ct state established accept\n }\n}\n' });
    await attacker.hold(lab.server.ip, P1);
    await client.hold(lab.server.ip, P1);
    const flows = (src: string) => lab.server.run(['conntrack', '-L', '-s', src]).stdout.trim().split('\n').filter((l) => l.includes(`src=${src}`)).length;
    assert.ok(flows(lab.attacker.ip) >= 1, 'no tracked flow from the attacker to start with');
    const r = await cutConnections(lab.attacker.ip, { log: silentLogger, run }, { tools: ['conntrack'] });
    assert.ok((r.flows ?? 0) >= 1, JSON.stringify(r));
    assert.deepEqual(r.problems, []);
    assert.equal(flows(lab.attacker.ip), 0);
    assert.ok(flows(lab.client.ip) >= 1);
    lab.server.exec(['nft', 'delete', 'table', 'inet', 'track']);
  });

  test('a missing tool is reported as a problem, not thrown; a bad address is refused before anything runs', async (t) => {
    if (needs(t, prereq)) return;
    const ran: string[][] = [];
    const absent: Runner = (argv, opts) => {
      ran.push(argv);
      return run([`/nonexistent/${argv[0]}`, ...argv.slice(1)], opts);
    };
    const r = await cutConnections(lab.attacker.ip, { log: silentLogger, run: absent });
    assert.equal(r.sockets, undefined);
    assert.equal(r.flows, undefined);
    assert.equal(r.problems.length, 2);
    assert.match(r.problems[0]!, /^ss -K failed/);
    assert.match(r.problems[1]!, /^conntrack -D failed .*is conntrack installed\?/);
    ran.length = 0;
    await assert.rejects(cutConnections('1.2.3.4; reboot', { log: silentLogger, run: absent }), { name: 'FirewallError' });
    assert.deepEqual(ran, []);
  });
});
