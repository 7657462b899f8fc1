/**
 * Drift repaired in seconds (issue 16, point 7), on real nftables in a network namespace this
 * test creates: at start the kernel is made equal to the store both ways (a stored ban added, an
 * element nobody stored removed) before any log is read; then a ban deleted by hand, a flushed
 * chain, a deleted table and an element added by hand are each put right, with the production
 * period (1 s), and the log says what was repaired; the repair times are printed (the 2 s goal is
 * a bench figure, not a timed assertion).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import nftables from '../../src/firewall/nftables.ts';
import { localRunner } from '../../src/firewall/run.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { rig, type Rig } from '../guard/rig.ts';

const prereq = { root: true, commands: ['ip', 'nft'] };
const ns = `mdrift${process.pid}`;
const TABLE = 'mamoru_drift';
const nft = (...args: string[]) => spawnSync('ip', ['netns', 'exec', ns, 'nft', ...args], { encoding: 'utf8' });
const elements = (set = 'ban4'): string[] => {
  const out = nft('-j', 'list', 'set', 'inet', TABLE, set);
  if (out.status !== 0) return [];
  const doc = JSON.parse(out.stdout) as { nftables: { set?: { elem?: ({ elem: { val: string } } | string)[] } }[] };
  const elem = doc.nftables.find((i) => i.set)?.set?.elem ?? [];
  return elem.map((e) => (typeof e === 'string' ? e : e.elem.val)).sort();
};
const ruleCount = () => (nft('list', 'chain', 'inet', TABLE, 'input').stdout.match(/ drop/g) ?? []).length;

before(() => {
  if (missing(prereq)) return;
  spawnSync('ip', ['netns', 'del', ns]);
  spawnSync('ip', ['netns', 'add', ns], { stdio: 'inherit' });
});
after(() => {
  if (!missing(prereq)) spawnSync('ip', ['netns', 'del', ns]);
});

/** Waits until `cond` holds; returns how long it took (ms), or fails. */
/** Generous: the goal (2 s) is measured by bench/faults and printed here; a loaded CI machine must not fail it. */
const LIMIT = 10_000;

async function within(ms: number, cond: () => boolean, what: string): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (cond()) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`not within ${ms} ms: ${what}`);
}

test('the kernel is made equal to the store at start, and drift is repaired with a log line (times printed)', async (t) => {
  if (needs(t, prereq)) return;
  let r: Rig | undefined;
  try {
    r = await rig();
    const fw = nftables.create(nftables.schema.parse({ table: TABLE }), { log: silentLogger, run: localRunner(['ip', 'netns', 'exec', ns]) });
    const store = await r.store();
    const until = Date.now() + 600_000;
    await store.saveBan({ address: '203.0.113.1', jail: 'ssh', reason: 'stored before the start', createdAt: Date.now(), until, banCount: 1 });
    await fw.setup();
    assert.equal(nft('add', 'element', 'inet', TABLE, 'ban4', '{ 198.51.100.99 }').status, 0);
    const g = await r.make([r.jail('ssh', { max_retry: 3 })], fw, { driftIntervalMs: 1000 });
    await g.start();
    assert.deepEqual(elements(), ['203.0.113.1'], 'at start: the stored ban added, the element nobody stored removed');

    const times: Record<string, number> = {};
    const repaired = () => r!.said.filter((l) => /firewall drift repaired/.test(l)).length;

    let before = repaired();
    assert.equal(nft('delete', 'element', 'inet', TABLE, 'ban4', '{ 203.0.113.1 }').status, 0);
    times.element = await within(LIMIT, () => elements().includes('203.0.113.1'), 'a ban deleted by hand put back');
    await within(LIMIT, () => repaired() > before, 'the log line');
    assert.match(r.said.at(-1)!, /firewall drift repaired in \d+ ms: 1 ban missing from the kernel \(203\.0\.113\.1\)/);

    before = repaired();
    assert.equal(nft('flush', 'chain', 'inet', TABLE, 'input').status, 0);
    assert.equal(ruleCount(), 0);
    times.chain = await within(LIMIT, () => ruleCount() === 4, 'a flushed chain put back');
    await within(LIMIT, () => repaired() > before, 'the log line');
    assert.match(r.said.filter((l) => /drift repaired/.test(l)).at(-1)!, /chain input has 0 of 4 rules/);

    assert.equal(nft('flush', 'set', 'inet', TABLE, 'ban4').status, 0);
    times.set = await within(LIMIT, () => elements().includes('203.0.113.1'), 'a flushed set put back');

    assert.equal(nft('delete', 'table', 'inet', TABLE).status, 0);
    times.table = await within(LIMIT, () => elements().includes('203.0.113.1') && ruleCount() === 4, 'a deleted table put back');

    assert.equal(nft('add', 'element', 'inet', TABLE, 'ban4', '{ 198.51.100.7 }').status, 0);
    times.extra = await within(LIMIT, () => !elements().includes('198.51.100.7'), 'an element nobody stored removed');
    t.diagnostic(`repair times (ms): ${JSON.stringify(times)}`);
    await g.stop();
  } finally {
    await r?.done();
  }
});
