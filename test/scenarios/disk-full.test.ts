/**
 * Field runbook 1 (`DISK CRITICAL [Disk use 90% /]`): a filesystem (a small tmpfs the agent
 * reports) fills past its limit. The headline names the disk with its use; the disk runbook's
 * request, to decide what can be deleted or moved, reaches the client.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, prereq, report, shown, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('snmpd');
let s: ScenarioLab;
let m: Running;
let freed = false;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ snmpd: true, tmpfs: 'data' });
  m = await startMamoru(s, {
    checks: ['- { type: ping, packets: 2 }', `- { type: disk-snmp, path: ['${s.tmpfs}'], warning: 80, critical: 90, community_secret: community }`],
    extraServices: [{ name: 'disk', disk_paths: [s.tmpfs], checks: ['disk-snmp'] }],
  });
});
after(async () => {
  await m?.stop();
  await s?.destroy();
});

test('disk over its limit: named with its use; the request to decide what to delete reaches the client', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  const big = join(s.tmpfs!, 'backup.tar');
  writeFileSync(big, Buffer.alloc(Math.floor(3.85 * 1024 * 1024), 1));
  const clock = timing('disk over threshold', s, fault, () => freed);
  await waitInbox(s, 'the first message', () => s.inbox.client(fault).length > 0, 30_000);
  await sleep(4000);
  rmSync(big);
  freed = true;
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 30_000);
  await sleep(2000);
  report(t, clock.done());
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  const client = s.inbox.client(fault);
  await t.test('one incident', () => assert.equal(incs.length, 1, timelineText(incs)));
  await t.test('the client is asked to decide what can be deleted or moved', () => {
    const asked = client.filter((x) => x.event !== 'recovered' && /■ お客様へのお願い\n[^■]*(削除|移動)/.test(x.text));
    assert.ok(asked.length > 0, shown(client));
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 3 },
    ops: { max: 3 },
    cause: { ja: /^【(障害|続報|復旧)】srv: .*ディスク/, en: /^\[(PROBLEM|UPDATE|RECOVERED)\] srv: .*[Dd]isk/ },
    never: /SNMP/,
  });
});
