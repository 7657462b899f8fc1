/**
 * The early restore of `mamoru start` (issue 16): the stored bans in force back in mamoru's nftables
 * table from the config's store and guard sections alone, in one transaction, before the daemon is
 * loaded; exactly what the full start would make of them, so the guard finds nothing to redo. Real
 * SQLite store, real nftables in a lab namespace.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BanRecord } from '../../src/core/ban.ts';
import { silentLogger } from '../../src/core/log.ts';
import { driftOf } from '../../src/firewall/drift.ts';
import nftables from '../../src/firewall/nftables.ts';
import { earlyPlan, restoreEarly } from '../../src/firewall/restore-early.ts';
import { stores } from '../../src/store/index.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { nsRunner } from './net.ts';

const JAIL = `  jails:
    - name: ssh
      filters: [sshd]
      sources: [{ type: file, paths: [/var/log/auth.log] }]
`;

describe('firewall: the early restore at mamoru start', () => {
  const prereq = { root: true, commands: ['ip', 'nft'] };
  let lab: Lab;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mamoru-early-'));
    if (missing(prereq)) return;
    lab = await createLab();
  });
  after(() => {
    lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const fwOf = (table: string) => nftables.create(nftables.schema.parse({ table }), { log: silentLogger, run: nsRunner(lab.server) });
  const ban = (address: string, until: number | undefined, extra: Partial<BanRecord> = {}): BanRecord => ({ address, until, jail: 'ssh', reason: 'test', createdAt: Date.now(), banCount: 1, ...extra });

  test('the stored bans in force are in the kernel from one nft transaction, a stray element is gone, and the guard would find nothing to redo', async (t) => {
    if (needs(t, prereq)) return;
    const t0 = Date.now();
    const storeFile = join(dir, 'elsewhere', 'bans.db');
    const store = await stores.sqlite.create(stores.sqlite.schema.parse({ path: storeFile }), { log: silentLogger });
    const stored = [
      ban('198.51.100.7', t0 + 600_000),
      ban('2001:db8:1::/64', t0 + 300_000),
      ban('198.51.100.9', t0 + 900_000, { port: 110, proto: 'tcp' }),
      ban('203.0.113.0/24', t0 + 60_000),
      ban('203.0.113.5', t0 + 120_000), // inside the /24: the network lasts as long as it
      ban('192.0.2.1', undefined),
    ];
    for (const b of stored) await store.saveBan(b);
    await store.saveBan(ban('192.0.2.99', t0 - 1000)); // over: not restored
    await store.close();
    // What the table held before the stop: a stored ban, and an element nobody stored.
    const fw = fwOf('early_a');
    await fw.setup();
    await fw.ban({ address: '198.51.100.7', until: t0 + 600_000 });
    await fw.ban({ address: '198.18.0.1', until: t0 + 600_000 });

    const cfg = join(dir, 'a.yaml');
    writeFileSync(cfg, `# a comment\ntargets:\n  - name: web\n    address: 127.0.0.1\nstore:\n  type: sqlite\n  path: ${storeFile}\nguard:\n  firewall: { type: nftables, table: early_a }\n${JAIL}`);
    const r = await restoreEarly(cfg, { run: nsRunner(lab.server) });
    assert.equal(r.done, true, JSON.stringify(r));
    assert.deepEqual(r.done && { layout: r.layout, store: r.store, bans: r.bans }, { layout: { table: 'early_a', priority: -10, forward: false }, store: storeFile, bans: 6 });

    const held = (await fw.list()).sort((a, b) => a.address.localeCompare(b.address));
    assert.deepEqual(held, [
      { address: '192.0.2.1' },
      { address: '198.51.100.7', until: t0 + 600_000 },
      { address: '198.51.100.9', until: t0 + 900_000, port: 110, proto: 'tcp' },
      { address: '2001:db8:1::/64', until: t0 + 300_000 },
      { address: '203.0.113.0/24', until: t0 + 120_000 },
    ]);
    const state = await fw.state!();
    assert.deepEqual(state.problems, [], 'the table, sets, chain and rules are as setup() makes them');
    assert.deepEqual(driftOf(stored, state, Date.now()), [], 'the guard start compares and finds the kernel equal to the store');
    await fw.teardown();
  });

  test('a config it cannot read with certainty, or another backend, leaves the kernel to the full start', async (t) => {
    if (needs(t, prereq)) return;
    const cases: [string, RegExp][] = [
      [`guard:\n  firewall: { type: iptables }\n${JAIL}`, /not nftables/],
      [`guard:\n  firewall: { type: nftables, table: early_b }\n  jails: []\n`, /no jails/],
      [`{ guard: { firewall: { type: nftables, table: early_b } } }\n`, /top level/],
      [`base: &fw { type: nftables, table: early_b }\nguard:\n  firewall: *fw\n${JAIL}`, /cannot be read alone/],
      [`guard:\n  firewall: { type: nftables, table: early_b }\n${JAIL}guard:\n  jails: []\n`, /twice/],
      [`store: { type: sqlite, path: ${join(dir, 'not-a-db')} }\nguard:\n  firewall: { type: nftables, table: early_b }\n${JAIL}`, /not a database/],
    ];
    writeFileSync(join(dir, 'not-a-db'), 'hello, not SQLite\n');
    for (const [text, why] of cases) {
      const cfg = join(dir, 'b.yaml');
      writeFileSync(cfg, text);
      const r = await restoreEarly(cfg, { run: nsRunner(lab.server) });
      assert.equal(r.done, false, text);
      assert.match(r.done ? '' : r.why, why, text);
    }
    assert.throws(() => lab.server.exec(['nft', 'list', 'table', 'inet', 'early_b']), /No such file/, 'no table was made');
  });

  test('the store path is read as the daemon reads it: relative to the working directory, the default when none is given', () => {
    const plan = (text: string) => earlyPlan(`guard:\n${JAIL}${text}`, '/srv/mamoru');
    assert.deepEqual(plan(''), { layout: { table: 'mamoru', priority: -10, forward: false }, store: '/srv/mamoru/data/mamoru.db' });
    assert.deepEqual(plan('store:\n  path: db/m.db # here\n'), { layout: { table: 'mamoru', priority: -10, forward: false }, store: '/srv/mamoru/db/m.db' });
    assert.deepEqual(plan('store: { type: sqlite, path: ":memory:" }\n'), { layout: { table: 'mamoru', priority: -10, forward: false }, store: undefined });
  });
});
