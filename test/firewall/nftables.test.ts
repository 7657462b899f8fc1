/**
 * The nftables backend: the shared contract on real nftables in a lab namespace, then what is
 * its own (overlapping networks in an interval set, the table name and the forward hook options,
 * the kernel's own view of the sets).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import nftables from '../../src/firewall/nftables.ts';
import type { Firewall } from '../../src/firewall/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { firewallContract } from './contract.ts';
import { nsRunner, ruleset } from './net.ts';

firewallContract({
  name: 'nftables',
  commands: [],
  create: (run) => nftables.create(nftables.schema.parse({}), { log: silentLogger, run }),
  kernelExpiry: true,
  marker: 'table inet mamoru',
  handRemove: (server, ip) => void server.exec(['nft', 'delete', 'element', 'inet', 'mamoru', 'ban4', `{ ${ip} }`]),
  breakHook: (server) => void server.exec(['nft', 'delete', 'table', 'inet', 'mamoru']),
});

describe('firewall nftables: its own options and overlapping networks', () => {
  const prereq = { root: true, commands: ['ip', 'nft'] };
  let lab: Lab;
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
  });
  after(() => lab?.destroy());

  function make(options: Record<string, unknown>): Firewall {
    return nftables.create(nftables.schema.parse(options), { log: silentLogger, run: nsRunner(lab.server) });
  }

  test('a wider ban replaces the narrower ones it covers and lasts as long as the longest', async (t) => {
    if (needs(t, prereq)) return;
    const fw = make({});
    await fw.setup();
    const t0 = Date.now();
    await fw.ban({ address: '10.250.0.5', until: t0 + 120_000 });
    await fw.ban({ address: '10.250.0.9', until: t0 + 30_000 });
    await fw.ban({ address: '10.250.0.0/24', until: t0 + 60_000 });
    assert.deepEqual(await fw.list(), [{ address: '10.250.0.0/24', until: t0 + 120_000 }]);
    // An address inside: nothing to do while the wider ban lasts longer, extended when not.
    await fw.ban({ address: '10.250.0.7', until: t0 + 90_000 });
    assert.deepEqual(await fw.list(), [{ address: '10.250.0.0/24', until: t0 + 120_000 }]);
    await fw.ban({ address: '10.250.0.7', until: t0 + 300_000 });
    assert.deepEqual(await fw.list(), [{ address: '10.250.0.0/24', until: t0 + 300_000 }]);
    await fw.teardown();
  });

  test('bans asked at the same moment all land, one transaction after another', async (t) => {
    if (needs(t, prereq)) return;
    const fw = make({ table: 'guard_burst' });
    await fw.setup();
    const until = Date.now() + 60_000;
    const addresses = Array.from({ length: 20 }, (_, i) => `10.251.${i}.1`);
    await Promise.all([...addresses.map((address) => fw.ban({ address, until })), fw.ban({ address: '10.251.0.0/24', until: until + 1000 })]);
    const held = (await fw.list()).map((r) => r.address).sort();
    assert.deepEqual(held, ['10.251.0.0/24', ...addresses.slice(1)].sort());
    await fw.teardown();
  });

  test('a ban after someone deleted the whole table puts the table back and bans', async (t) => {
    if (needs(t, prereq)) return;
    const fw = make({ table: 'guard_gone' });
    await fw.setup();
    lab.server.exec(['nft', 'delete', 'table', 'inet', 'guard_gone']);
    await fw.ban({ address: '10.252.0.1' });
    assert.deepEqual(await fw.list(), [{ address: '10.252.0.1' }]);
    assert.match(lab.server.exec(['nft', 'list', 'chain', 'inet', 'guard_gone', 'input']), /ip saddr @ban4 drop/);
    await fw.teardown();
  });

  test('the table name is configurable and the forward hook is added only when asked', async (t) => {
    if (needs(t, prereq)) return;
    const fw = make({ table: 'guard_test', forward: true, priority: -5 });
    await fw.setup();
    await fw.ban({ address: '2001:db8:5::/64' });
    const text = lab.server.exec(['nft', 'list', 'table', 'inet', 'guard_test']);
    assert.match(text, /hook input priority (filter - 5|-5)/);
    assert.match(text, /hook forward priority (filter - 5|-5)/);
    assert.match(text, /2001:db8:5::\/64/);
    // The same table set up without forward: the forward chain goes, the ban stays.
    await make({ table: 'guard_test' }).setup();
    const again = lab.server.exec(['nft', 'list', 'table', 'inet', 'guard_test']);
    assert.doesNotMatch(again, /hook forward/);
    assert.match(again, /2001:db8:5::\/64/);
    await fw.teardown();
    assert.doesNotMatch(ruleset(lab.server), /guard_test/);
  });

  test('options are strict and checked', () => {
    assert.equal(nftables.schema.safeParse({ table: 'bad name; flush ruleset' }).success, false);
    assert.equal(nftables.schema.safeParse({ tabel: 'x' }).success, false);
    assert.deepEqual(nftables.schema.parse({}), { table: 'mamoru', priority: -10, forward: false });
  });
});
