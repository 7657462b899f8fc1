/**
 * The guard's order of writes (issue 16): failures stored before the log position moves, a ban's
 * intent stored before the kernel, counts restored exactly at a restart, a threshold reached
 * before a kill banned at the next start. The real SIGKILL at random instants is
 * kill-loop.test.ts; here each dangerous state is made on purpose and checked exactly.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { firewalls, type Firewall } from '../../src/firewall/index.ts';
import { rig, sshdLine, until } from './rig.ts';

const A = '203.0.113.7';

test('a restart counts exactly what was counted: stored failures replayed, lines read again not counted twice', async () => {
  const r = await rig();
  try {
    const jail = () => r.jail('ssh', { max_retry: 5 });
    const g1 = await r.make([jail()]);
    await g1.start();
    const positions = join(r.dir, 'state', 'ssh.file.json');
    await until(() => existsSync(positions), 'the first position file');
    copyFileSync(positions, join(r.dir, 'position-before'));
    r.write(sshdLine(A), sshdLine(A), sshdLine(A));
    const store = await r.store();
    await until(async () => (await store.guardFailures(0)).length === 3, 'three stored failures');
    await g1.stop();
    // The kill came after the failures were stored but before the position was saved.
    copyFileSync(join(r.dir, 'position-before'), positions);

    const g2 = await r.make([jail()]);
    await g2.start();
    await new Promise((res) => setTimeout(res, 500));
    assert.deepEqual(await store.bans(), [], 'three re-read lines are not counted again (3 + 3 would ban)');
    r.write(sshdLine(A));
    await new Promise((res) => setTimeout(res, 500));
    assert.deepEqual(await store.bans(), [], 'the fourth failure does not ban');
    r.write(sshdLine(A));
    await until(async () => (await store.bans()).some((b) => b.address === A), 'the ban at the fifth failure');
    assert.deepEqual(await store.guardFailures(0), [], "the ban's failures are cleared with it: a later restart does not count them");
  } finally {
    await r.done();
  }
});

test('a threshold reached before a kill, its ban not stored yet: the next start bans', async () => {
  const r = await rig();
  try {
    const store = await r.store();
    const now = Date.now();
    await store.recordGuardFailures([1, 2, 3].map((i) => ({ id: `ssh|ssh|x:${i}|h`, jail: 'ssh', key: A, address: A, filter: 'sshd', at: now - 1000 * i })));
    const fw = firewalls['dry-run'].create({}, { log: silentLogger });
    const g = await r.make([r.jail('ssh', { max_retry: 3 })], fw);
    await g.start();
    assert.deepEqual((await store.bans()).map((b) => [b.address, b.jail]), [[A, 'ssh']]);
    assert.deepEqual((await fw.list()).map((b) => b.address), [A], 'in the kernel before the logs are read');
  } finally {
    await r.done();
  }
});

test("a ban is in the store before it reaches the kernel, with its incident note owed until it is written", async () => {
  const r = await rig();
  try {
    const store = await r.store();
    const inner = firewalls['dry-run'].create({}, { log: silentLogger });
    const seen: string[] = [];
    const fw: Firewall = {
      ...inner,
      async ban(b) {
        seen.push(`${b.address} stored=${(await store.bans()).some((s) => s.address === b.address)} owed=${(await store.pendingBanNotes()).length}`);
        return inner.ban(b);
      },
    };
    const g = await r.make([r.jail('ssh', { max_retry: 2 })], fw);
    r.write(sshdLine(A), sshdLine(A));
    await g.start();
    await until(() => seen.length > 0, 'the ban');
    assert.deepEqual(seen, [`${A} stored=true owed=1`]);
    await until(async () => (await store.pendingBanNotes()).length === 0, 'the note marked written (no incident hook: at once)');
  } finally {
    await r.done();
  }
});

test('SIGHUP: an unchanged jail keeps its counts, a changed one counts its stored failures again, a new one starts, a removed one stops and its bans stay', async () => {
  const r = await rig();
  try {
    const other = join(r.dir, 'other.log');
    const web = join(r.dir, 'web.log');
    const { appendFileSync } = await import('node:fs');
    const fresh = join(r.dir, 'new.log');
    appendFileSync(other, '');
    appendFileSync(web, '');
    appendFileSync(fresh, '');
    const store = await r.store();
    const g = await r.make([r.jail('keep', { max_retry: 3 }), r.jail('change', { max_retry: 5 }, other), r.jail('drop', { max_retry: 1 }, web)]);
    await g.start();
    const B = '203.0.113.8';
    const C = '203.0.113.9';
    r.write(sshdLine(A), sshdLine(A));
    appendFileSync(other, `${sshdLine(B)}\n${sshdLine(B)}\n`);
    appendFileSync(web, `${sshdLine(C)}\n`);
    await until(async () => (await store.guardFailures(0)).length === 4 && (await store.bans()).length === 1, 'the failures and the ban of the jail to drop');

    const note = await g.reload([r.jail('keep', { max_retry: 3 }), r.jail('change', { max_retry: 3 }, other), r.jail('new', { max_retry: 1 }, fresh)]);
    assert.equal(note, 'changed jail change; new jail new; removed jail drop (its bans stay until they end)');
    r.write(sshdLine(A));
    await until(async () => (await store.bans()).some((b) => b.address === A && b.jail === 'keep'), 'keep: 2 before the reload + 1 after = its threshold');
    appendFileSync(other, `${sshdLine(B)}\n`);
    await until(async () => (await store.bans()).some((b) => b.address === B && b.jail === 'change'), 'change: its 2 stored failures + 1 reach the new max_retry of 3');
    const D = '203.0.113.10';
    appendFileSync(web, `${sshdLine('203.0.113.11')}\n`);
    appendFileSync(fresh, `${sshdLine(D)}\n`);
    await until(async () => (await store.bans()).some((b) => b.address === D && b.jail === 'new'), 'the new jail reading');
    assert.ok((await store.bans()).some((b) => b.address === C && b.jail === 'drop'), "the removed jail's ban stays");
    assert.ok(!(await store.bans()).some((b) => b.address === '203.0.113.11'), 'the removed jail reads no more');
  } finally {
    await r.done();
  }
});
