/**
 * One suite every kernel firewall backend passes (style.md 7), on real rules inside the lab's
 * `server` namespace, proved with real traffic from `attacker` and `client`: a ban drops the
 * attacker's new connections and not the client's, a cut closes the attacker's open one, per-port
 * and IPv6 (address and /64) bans, expiry, replacing an end, reconcile after changes by hand,
 * flush, and a teardown that leaves nothing of mamoru's while other programs' rules stay.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, describe, test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { cutConnections } from '../../src/firewall/cut.ts';
import { reconcile } from '../../src/firewall/reconcile.ts';
import type { BanRule, Firewall, Runner } from '../../src/firewall/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab, type LabHost } from '../lab/network.ts';
import { eventually, nsRunner, ruleset, startAgent, startListener, type Agent } from './net.ts';

export interface BackendSpec {
  name: string;
  /** Tools the backend needs besides ip and node. */
  commands: string[];
  create(run: Runner): Firewall;
  /** True when the kernel expires bans by itself (nftables, ipset); false when reconcile does. */
  kernelExpiry: boolean;
  /** Text in the namespace's ruleset that shows the backend's place exists. */
  marker: string;
  /** Removes the whole-address ban of `ip` the way an operator would, with the tool itself. */
  handRemove(server: LabHost, ip: string): void;
  /** Breaks the hook the way an operator might (deletes the table or the jump). */
  breakHook(server: LabHost): void;
}

const P1 = 7110;
const P2 = 7111;

/** Rules of other programs, made before mamoru's setup; every one must survive teardown. */
function addForeignRules(server: LabHost): string[] {
  server.exec(['nft', '-f', '-'], { input: 'table inet other_app {\n set keep { type ipv4_addr; elements = { 192.0.2.1 } }\n}\n' });
  server.exec(['iptables', '-N', 'OTHER_APP']);
  server.exec(['iptables', '-A', 'OTHER_APP', '-s', '198.51.100.1/32', '-j', 'ACCEPT']);
  server.exec(['ip6tables', '-A', 'INPUT', '-s', '2001:db8::1/128', '-j', 'ACCEPT']);
  if (server.run(['ipset', 'version']).status === 0) server.exec(['ipset', 'create', 'other_app', 'hash:ip']);
  return ['table inet other_app', '192.0.2.1', '-A OTHER_APP -s 198.51.100.1/32 -j ACCEPT', '-A INPUT -s 2001:db8::1/128 -j ACCEPT'];
}

export function firewallContract(spec: BackendSpec): void {
  const prereq = { root: true, commands: ['ip', 'nft', 'iptables', 'ip6tables', 'ss', ...spec.commands] };

  describe(`firewall ${spec.name}: real rules in a lab namespace, real traffic`, () => {
    let lab: Lab;
    let fw: Firewall;
    let run: Runner;
    let attacker: Agent;
    let client: Agent;
    let listener: ChildProcess;
    let foreign: string[] = [];

    before(async () => {
      if (missing(prereq)) return;
      lab = await createLab();
      foreign = addForeignRules(lab.server);
      listener = await startListener(lab.server, [P1, P2]);
      attacker = startAgent(lab.attacker);
      client = startAgent(lab.client);
      run = nsRunner(lab.server);
      fw = spec.create(run);
    });
    after(async () => {
      if (!lab) return;
      await fw.teardown().catch(() => undefined);
      attacker.stop();
      client.stop();
      listener.kill('SIGKILL');
      await lab.destroy();
    });

    /** Starts each test from no bans; returns true when the test must stop (skipped). */
    async function fresh(t: TestContext): Promise<boolean> {
      if (needs(t, prereq)) return true;
      await fw.setup();
      await fw.flush();
      return false;
    }

    test('setup makes its own place, twice is the same as once, and traffic still flows', async (t) => {
      if (await fresh(t)) return;
      await fw.setup();
      const rules = ruleset(lab.server);
      assert.ok(rules.includes(spec.marker), rules);
      for (const f of foreign) assert.ok(rules.includes(f), `another program's rule is gone: ${f}`);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected');
      assert.equal(await client.connect(lab.server.ip, P1), 'connected');
      assert.deepEqual(await fw.list(), []);
    });

    test("a ban drops the attacker's new connections; the client, and the attacker over IPv6, still connect", async (t) => {
      if (await fresh(t)) return;
      const until = Date.now() + 60_000;
      await fw.ban({ address: lab.attacker.ip, until });
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout');
      assert.equal(await attacker.connect(lab.server.ip, P2), 'timeout');
      assert.equal(await client.connect(lab.server.ip, P1), 'connected');
      assert.equal(await attacker.connect(lab.server.ip6, P1), 'connected');
      assert.deepEqual(await fw.list(), [{ address: lab.attacker.ip, until }]);
    });

    test("an open connection from the attacker stays open on a ban alone and is cut by cutConnections; the client's stays", async (t) => {
      if (await fresh(t)) return;
      const held = await attacker.hold(lab.server.ip, P1);
      const clients = await client.hold(lab.server.ip, P1);
      await fw.ban({ address: lab.attacker.ip, until: Date.now() + 60_000 });
      assert.equal(await held.closed(700), 'timeout', 'a ban by itself does not end an established connection');
      const cut = await cutConnections(lab.attacker.ip, { log: silentLogger, run });
      assert.ok((cut.sockets ?? 0) >= 1, JSON.stringify(cut));
      assert.equal(await held.closed(3000), 'closed');
      assert.equal(await clients.closed(500), 'timeout', "the client's connection was cut too");
    });

    test('a per-port ban (the runbook form) drops only that port', async (t) => {
      if (await fresh(t)) return;
      const until = Date.now() + 60_000;
      await fw.ban({ address: lab.attacker.ip, port: P1, proto: 'tcp', until });
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout');
      assert.equal(await attacker.connect(lab.server.ip, P2), 'connected');
      assert.equal(await client.connect(lab.server.ip, P1), 'connected');
      assert.deepEqual(await fw.list(), [{ address: lab.attacker.ip, port: P1, proto: 'tcp', until }]);
    });

    test('IPv6: an address ban and a per-port ban work on ip6 traffic only', async (t) => {
      if (await fresh(t)) return;
      await fw.ban({ address: lab.attacker.ip6 });
      assert.equal(await attacker.connect(lab.server.ip6, P1), 'timeout');
      assert.equal(await client.connect(lab.server.ip6, P1), 'connected');
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected');
      await fw.unban(lab.attacker.ip6);
      assert.equal(await attacker.connect(lab.server.ip6, P1), 'connected');
      await fw.ban({ address: lab.attacker.ip6.toUpperCase(), port: P2 });
      assert.equal(await attacker.connect(lab.server.ip6, P2), 'timeout');
      assert.equal(await attacker.connect(lab.server.ip6, P1), 'connected');
      assert.deepEqual(await fw.list(), [{ address: lab.attacker.ip6, port: P2, proto: 'tcp' }]);
    });

    test('IPv6: a /64 ban drops every address of that network and nothing outside it', async (t) => {
      if (await fresh(t)) return;
      // A second /64 on the lab's link: the attacker has an address in it, the server too.
      const net64 = `fd7e:${(process.pid & 0xffff).toString(16)}:1:2`;
      lab.attacker.run(['ip', 'addr', 'add', `${net64}::66/64`, 'dev', 'eth0', 'nodad']);
      lab.server.run(['ip', 'addr', 'add', `${net64}::10/64`, 'dev', 'eth0', 'nodad']);
      // A new address answers once neighbour discovery has run: give it time on a loaded machine.
      assert.ok(await eventually(async () => (await attacker.connect(`${net64}::10`, P1, 2000)) === 'connected', 8000), 'the new /64 is reachable before the ban');
      await fw.ban({ address: `${net64}::/64`, until: Date.now() + 60_000 });
      assert.equal(await attacker.connect(`${net64}::10`, P1), 'timeout');
      assert.equal(await attacker.connect(lab.server.ip6, P1), 'connected');
      assert.equal((await fw.list())[0]?.address, `${net64}::/64`);
    });

    test('banning the same address again replaces its end', async (t) => {
      if (await fresh(t)) return;
      const later = Date.now() + 120_000;
      await fw.ban({ address: lab.attacker.ip, until: Date.now() + 60_000 });
      await fw.ban({ address: lab.attacker.ip, until: later });
      assert.deepEqual(await fw.list(), [{ address: lab.attacker.ip, until: later }]);
      await fw.ban({ address: lab.attacker.ip });
      assert.deepEqual(await fw.list(), [{ address: lab.attacker.ip }]);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout');
    });

    test(spec.kernelExpiry ? 'a 2 s ban expires by itself' : 'a 2 s ban stays until reconcile removes it', async (t) => {
      if (await fresh(t)) return;
      const until = Date.now() + 2000;
      await fw.ban({ address: lab.attacker.ip, until });
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout');
      if (spec.kernelExpiry) {
        assert.ok(await eventually(async () => (await attacker.connect(lab.server.ip, P1, 500)) === 'connected', 8000), 'still dropped long after the ban ended');
        assert.deepEqual(await fw.list(), []);
        return;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 200));
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout', 'iptables has no timeouts: the rule is still there');
      const r = await reconcile([{ address: lab.attacker.ip, until }], fw);
      assert.deepEqual(r.removed, [{ address: lab.attacker.ip, until }]);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected');
      assert.deepEqual(await fw.list(), []);
    });

    test('reconcile re-adds a ban removed by hand and removes the ones mamoru does not want', async (t) => {
      if (await fresh(t)) return;
      const until = Date.now() + 60_000;
      const wanted: BanRule[] = [
        { address: lab.attacker.ip, until },
        { address: lab.attacker.ip6, port: P1, proto: 'tcp' },
      ];
      for (const w of wanted) await fw.ban(w);
      await fw.ban({ address: '203.0.113.7', until });
      spec.handRemove(lab.server, lab.attacker.ip);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected', 'the hand removal did not take');
      const r = await reconcile(wanted, fw);
      assert.deepEqual(r.added, [wanted[0]]);
      assert.deepEqual(r.removed, [{ address: '203.0.113.7', until }]);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout');
      const key = (b: BanRule) => `${b.address}|${b.port ?? ''}`;
      assert.deepEqual((await fw.list()).map(key).sort(), wanted.map(key).sort());
      const again = await reconcile(wanted, fw);
      assert.deepEqual(again, { added: [], removed: [] }, 'a second reconcile has nothing to do');
    });

    test('reconcile puts back a hook someone removed', async (t) => {
      if (await fresh(t)) return;
      const wanted: BanRule[] = [{ address: lab.attacker.ip, until: Date.now() + 60_000 }];
      await fw.ban(wanted[0]!);
      spec.breakHook(lab.server);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected', 'breaking the hook did not take');
      await reconcile(wanted, fw);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'timeout');
    });

    test('text that is not an address, or a network too wide, is refused before any command runs', async (t) => {
      if (await fresh(t)) return;
      const argvs: string[][] = [];
      const counting = spec.create((argv, opts) => {
        argvs.push(argv);
        return run(argv, opts);
      });
      const bad = ['1.2.3.4 } ; flush ruleset ; #', '1.2.3.4 -j ACCEPT', '$(reboot)', '10.0.0.1/8/8', '0.0.0.0/0', '::/0', 'localhost', '1.2.3.4 tcp'];
      for (const address of bad) await assert.rejects(counting.ban({ address, until: Date.now() + 60_000 }), { name: 'FirewallError' }, address);
      await assert.rejects(counting.ban({ address: lab.attacker.ip, port: 70000 }), { name: 'FirewallError' });
      await assert.rejects(counting.unban('1.2.3.4; reboot'), { name: 'FirewallError' });
      assert.deepEqual(argvs, []);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected');
    });

    test('flush removes every ban; teardown leaves nothing of mamoru and every other rule', async (t) => {
      if (await fresh(t)) return;
      await fw.ban({ address: lab.attacker.ip, until: Date.now() + 60_000 });
      await fw.ban({ address: lab.attacker.ip6, port: P1 });
      await fw.flush();
      assert.deepEqual(await fw.list(), []);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected');
      assert.ok(ruleset(lab.server).includes(spec.marker), 'flush keeps the setup');
      await fw.teardown();
      await fw.teardown();
      const rules = ruleset(lab.server);
      assert.doesNotMatch(rules, /mamoru/i);
      for (const f of foreign) assert.ok(rules.includes(f), `another program's rule is gone: ${f}`);
      assert.equal(await attacker.connect(lab.server.ip, P1), 'connected');
      assert.deepEqual(await fw.list(), []);
    });
  });
}
