/**
 * The disk-snmp probe against the lab's snmpd: a small tmpfs the test mounts and fills is read
 * from HOST-RESOURCES-MIB hrStorageTable, judged OK/WARNING/CRITICAL, and printed in the local
 * disk probe's words (the same live filesystem gives the same `[Disk use N% path]` and state as
 * the local probe and check_disk; hrStorage has no inodes, so there is no `[Inum use ...]`).
 */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import disk from '../../src/probes/disk.ts';
import diskSnmp from '../../src/probes/disk-snmp.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { mountTmpfs, startSnmpd, type Snmpd } from '../lab/daemons/snmpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_DISK = `${PLUGINS}/check_disk`;
const PREREQ = { root: true, commands: ['ip', 'nft', 'nsenter', 'mount', 'snmpd', 'snmpget', 'snmpwalk', CHECK_DISK] };
const BLOCK = 4096;
/** The tmpfs: 4 MiB, 1024 blocks. */
const SIZE = '4m';

let lab: Lab | undefined;
let agent: Snmpd;
let fsDir: string;
let secrets: Record<string, string> = {};

function runDiskSnmp(options: Record<string, unknown>, timeoutMs = 1000) {
  return runCheck(diskSnmp, targetFromAddress(agent.ip), diskSnmp.schema.parse({ retries: 0, community_secret: 'lab-community', ...options }), {
    timeoutMs,
    secret: (name) => secrets[name]!,
  });
}

function runLocalDisk() {
  return runCheck(disk, targetFromAddress('localhost'), disk.schema.parse({ path: [fsDir] }), { timeoutMs: 5000 });
}

function checkDiskState(): number {
  try {
    execFileSync(CHECK_DISK, ['-w', '20%', '-c', '10%', '-p', fsDir], { encoding: 'utf8' });
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

/** Fills the tmpfs to `blocks` of its 1024 and waits until the agent reports it (it caches 5 s). */
async function fill(blocks: number) {
  for (const f of readdirSync(fsDir)) rmSync(join(fsDir, f), { force: true });
  if (blocks > 0) writeFileSync(join(fsDir, 'data.bin'), Buffer.alloc(blocks * BLOCK, 1));
  await agent.waitForStorage(fsDir);
}

/** Ours over SNMP, the local probe and check_disk on the same filesystem: the same state and words. */
async function sameAsLocal(state: NagiosState, pct: number) {
  const ours = await runDiskSnmp({ path: [fsDir] });
  const local = await runLocalDisk();
  assert.equal(ours.state, state, ours.text);
  assert.equal(ours.text, `DISK ${['OK', 'WARNING', 'CRITICAL'][state]} [Disk use ${pct}% ${fsDir}]`);
  // The local text minus the inode part, which hrStorage cannot give.
  assert.equal(ours.text, local.text.replace(/ \[Inum use [^\]]*\]/g, ''));
  assert.equal(ours.state, local.state);
  assert.equal(ours.state, checkDiskState());
  return ours;
}

describe('disk-snmp probe against the lab snmpd', () => {
  before(async () => {
    if (missing(PREREQ)) return;
    lab = await createLab();
    fsDir = mountTmpfs(lab, 'small-disk', SIZE);
    agent = await startSnmpd(lab);
    secrets = { 'lab-community': agent.community, 'lab-auth': agent.v3.authPassword, 'lab-priv': agent.v3.privPassword };
  });
  after(async () => {
    await lab?.destroy();
  });

  test('empty: OK with the size and thresholds in perfdata, no inode part', async (t) => {
    if (needs(t, PREREQ)) return;
    await fill(0);
    const r = await sameAsLocal(NagiosState.OK, 0);
    assert.equal(r.perfdata.length, 1);
    assert.deepEqual(
      { label: r.perfdata[0]!.label, value: r.perfdata[0]!.value, max: r.perfdata[0]!.max, warn: r.perfdata[0]!.warn?.end, crit: r.perfdata[0]!.crit?.end },
      { label: fsDir, value: 0, max: 1024 * BLOCK, warn: Math.floor(1024 * BLOCK * 0.8), crit: Math.floor(1024 * BLOCK * 0.9) },
    );
    assert.doesNotMatch(r.text, /Inum/);
  });

  test('without a path: every disk the agent has, including the test tmpfs, and no memory rows', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await runDiskSnmp({ warning: 100, critical: 100 });
    assert.match(r.text, /^DISK (OK|CRITICAL) /);
    assert.ok(r.text.includes(`[Disk use 0% ${fsDir}]`), r.text);
    assert.ok(r.text.includes('% /]'), r.text);
    assert.doesNotMatch(r.text, /memory|Swap space/);
  });

  test('over SNMPv3 authPriv: the same result', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await runDiskSnmp({ path: [fsDir], version: '3', username: agent.v3.user, auth_secret: 'lab-auth', priv_secret: 'lab-priv', community_secret: undefined });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.equal(r.text, `DISK OK [Disk use 0% ${fsDir}]`);
  });

  test('a path the agent does not have: CRITICAL naming it', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await runDiskSnmp({ path: [join(fsDir, 'not-a-mount')] });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `DISK CRITICAL - ${join(fsDir, 'not-a-mount')} is not in the agent's hrStorageTable (not mounted?)`);
  });

  test('85% used: WARNING; 91% used: CRITICAL; the same as the local probe and check_disk', async (t) => {
    if (needs(t, PREREQ)) return;
    await fill(871);
    await sameAsLocal(NagiosState.WARNING, 85);
    await fill(942);
    const crit = await sameAsLocal(NagiosState.CRITICAL, 91);
    assert.equal(crit.perfdata[0]!.value, 942 * BLOCK);
    const relaxed = await runDiskSnmp({ path: [fsDir], warning: 95, critical: 98 });
    assert.equal(relaxed.state, NagiosState.OK, relaxed.text);
  });

  test('agent stopped or host dropping packets: DISK UNKNOWN with the SNMP timeout text', async (t) => {
    if (needs(t, PREREQ)) return;
    try {
      await agent.stop();
      const stopped = await runDiskSnmp({ path: [fsDir] });
      assert.equal(stopped.state, NagiosState.UNKNOWN, stopped.text);
      assert.match(stopped.text, new RegExp(`^DISK UNKNOWN - Timeout: No Response from ${agent.ip.replace(/\./g, '\\.')}:161 after 1 seconds \\(0 retries\\): the SNMP agent is not answering`));
    } finally {
      await agent.start();
    }
    try {
      lab!.server.dropAll();
      const dropped = await runDiskSnmp({ path: [fsDir] });
      assert.equal(dropped.state, NagiosState.UNKNOWN, dropped.text);
      assert.match(dropped.text, /^DISK UNKNOWN - Timeout: No Response from .*, or the community is wrong/);
    } finally {
      lab!.server.restore();
    }
  });

  test('inode thresholds are refused: hrStorage has no inode counts', () => {
    const r = diskSnmp.schema.safeParse({ inode_warning: 80 });
    assert.equal(r.success, false);
  });
});
