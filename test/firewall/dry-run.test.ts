/**
 * The dry-run backend (nothing in the kernel, everything logged and remembered, bans ending on
 * time), reconcile's decisions table-driven against it with a fake clock, and the registry the
 * config and CLI derive from.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import dryRun, { type DryRunFirewall } from '../../src/firewall/dry-run.ts';
import { defaultFirewall, firewalls } from '../../src/firewall/index.ts';
import { reconcile } from '../../src/firewall/reconcile.ts';
import type { BanRule } from '../../src/firewall/types.ts';
import { silentLogger } from '../../src/core/log.ts';

const T0 = Date.UTC(2026, 0, 19, 20, 38, 8);

function make(clock: { now: number }, log = silentLogger): DryRunFirewall {
  return dryRun.create({}, { log, now: () => clock.now }) as DryRunFirewall;
}

describe('dry-run firewall', () => {
  test('remembers bans, ends them on time, logs what it would do, and records every request', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, new Writable({ write: (chunk, _e, cb) => (lines.push(String(chunk)), cb()) }));
    const clock = { now: T0 };
    const fw = make(clock, log);
    await fw.setup();
    await fw.ban({ address: '::ffff:178.216.51.67', port: 110, until: T0 + 600_000 });
    await fw.ban({ address: '2001:DB8::1', until: T0 + 60_000 });
    await fw.ban({ address: '192.0.2.0/24' });
    assert.deepEqual(await fw.list(), [
      { address: '178.216.51.67', port: 110, proto: 'tcp', until: T0 + 600_000 },
      { address: '2001:db8::1', until: T0 + 60_000 },
      { address: '192.0.2.0/24' },
    ]);
    clock.now = T0 + 60_000;
    assert.deepEqual((await fw.list()).map((r) => r.address), ['178.216.51.67', '192.0.2.0/24']);
    await fw.unban('178.216.51.67');
    assert.deepEqual((await fw.list()).map((r) => r.address), ['192.0.2.0/24']);
    await fw.flush();
    assert.deepEqual(await fw.list(), []);
    assert.deepEqual(
      fw.actions.map((a) => a.action),
      ['setup', 'ban', 'ban', 'ban', 'unban', 'flush'],
    );
    const wouldBan = lines.map((l) => JSON.parse(l) as { msg: string; address?: string }).filter((l) => l.msg === 'dry run: would ban');
    assert.deepEqual(wouldBan.map((l) => l.address), ['178.216.51.67', '2001:db8::1', '192.0.2.0/24']);
  });

  test('refuses what the real backends refuse', async () => {
    const fw = make({ now: T0 });
    for (const address of ['not an address', '0.0.0.0/0', '1.2.3.4/40']) await assert.rejects(fw.ban({ address }), { name: 'FirewallError' });
    await assert.rejects(fw.ban({ address: '1.2.3.4', proto: 'udp' }), /a proto needs a port/);
    await assert.rejects(fw.ban({ address: '1.2.3.4', port: 0 }), /not a port number/);
    assert.deepEqual(await fw.list(), []);
  });
});

describe('reconcile: the kernel brought to the wanted bans', () => {
  const A = '198.51.100.7';
  const B = '2001:db8::/64';
  const cases: { name: string; have: BanRule[]; wanted: BanRule[]; added: BanRule[]; removed: BanRule[]; after: BanRule[] }[] = [
    { name: 'nothing wanted, nothing held', have: [], wanted: [], added: [], removed: [], after: [] },
    { name: 'a wanted ban missing is added', have: [], wanted: [{ address: A, until: T0 + 60_000 }], added: [{ address: A, until: T0 + 60_000 }], removed: [], after: [{ address: A, until: T0 + 60_000 }] },
    { name: 'a held ban not wanted is removed', have: [{ address: A }], wanted: [], added: [], removed: [{ address: A }], after: [] },
    { name: 'a wanted ban already held is left alone', have: [{ address: B }], wanted: [{ address: '2001:DB8:0::/64' }], added: [], removed: [], after: [{ address: B }] },
    { name: 'an end within the tolerance is the same end', have: [{ address: A, until: T0 + 60_000 }], wanted: [{ address: A, until: T0 + 61_500 }], added: [], removed: [], after: [{ address: A, until: T0 + 60_000 }] },
    { name: 'another end is applied', have: [{ address: A, until: T0 + 60_000 }], wanted: [{ address: A, until: T0 + 600_000 }], added: [{ address: A, until: T0 + 600_000 }], removed: [], after: [{ address: A, until: T0 + 600_000 }] },
    { name: 'a wanted ban whose time is up is not applied', have: [], wanted: [{ address: A, until: T0 - 1 }], added: [], removed: [], after: [] },
    {
      name: 'the same rule wanted twice: the longer end wins, no end is longest',
      have: [],
      wanted: [{ address: A, until: T0 + 60_000 }, { address: A }, { address: A, until: T0 + 90_000 }],
      added: [{ address: A }],
      removed: [],
      after: [{ address: A }],
    },
    {
      name: 'an unwanted port rule of a wanted address: the address is reset, the wanted rule kept',
      have: [{ address: A }, { address: A, port: 110, proto: 'tcp' }],
      wanted: [{ address: A }],
      added: [{ address: A }],
      removed: [{ address: A }, { address: A, port: 110, proto: 'tcp' }],
      after: [{ address: A }],
    },
    { name: 'a port defaults to tcp', have: [{ address: A, port: 110, proto: 'tcp' }], wanted: [{ address: A, port: 110 }], added: [], removed: [], after: [{ address: A, port: 110, proto: 'tcp' }] },
  ];
  for (const c of cases)
    test(c.name, async () => {
      const fw = make({ now: T0 });
      for (const h of c.have) await fw.ban(h);
      const r = await reconcile(c.wanted, fw, T0);
      assert.deepEqual(r, { added: c.added, removed: c.removed });
      assert.deepEqual(await fw.list(), c.after);
    });
});

describe('firewall registry', () => {
  test('each member is registered under its type, with a summary and strict options that all default', () => {
    for (const [key, def] of Object.entries(firewalls)) {
      assert.equal(def.type, key);
      assert.ok(def.summary.length > 10, key);
      assert.equal(def.schema.safeParse({}).success, true, key);
      assert.equal(def.schema.safeParse({ no_such_option: 1 }).success, false, key);
    }
    assert.ok(defaultFirewall in firewalls);
    assert.equal(defaultFirewall, 'nftables');
  });
});
