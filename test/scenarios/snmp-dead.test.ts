/**
 * Field runbook 1 (`snmpbulkget: Error: ...`): the SNMP agent dies while it serves a disk check
 * and an agent check. The headline names the agent that does not answer, never the disk (an
 * UNKNOWN is "cannot read", not "running out"); mamoru starts snmpd again over SSH.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, prereq, report, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('snmpd');
let s: ScenarioLab;
let m: Running;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ snmpd: true, tmpfs: 'data' });
  m = await startMamoru(s, {
    checks: ['- { type: ping, packets: 2 }', "- { type: snmp, name: snmpd, oid: ['1.3.6.1.2.1.1.3.0'], community_secret: community }", `- { type: disk-snmp, path: ['${s.tmpfs}'], community_secret: community }`],
  });
});
after(async () => {
  await m?.stop();
  await s?.destroy();
});

test('SNMP agent dead: the agent is named, never the disk; snmpd started again', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  await s.snmpd!.kill();
  const clock = timing('SNMP agent dead', s, fault, () => s.lab.server.run(['ss', '-Hlun', 'sport', '=', ':161']).stdout.trim() !== '');
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 30_000);
  await sleep(2500);
  report(t, clock.done());
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  await t.test('one incident, snmpd started', () => {
    assert.equal(incs.length, 1, timelineText(incs));
    assert.ok(incs[0]!.timeline.some((e) => e.kind === 'action' && /snmpd/.test(e.text) && !/^proposed/.test(e.text)), timelineText(incs));
  });
  await t.test('no second verdict asking to check the community and firewall after the restart', () => {
    const asks = s.inbox.all.filter((x) => x.at >= fault && /community|コミュニティ/i.test(x.text) && /firewall|ファイアウォール/i.test(x.text));
    assert.equal(asks.length, 0, asks.map((x) => x.subject).join('\n'));
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 2 },
    ops: { max: 2 },
    cause: { ja: /^【(障害|続報|復旧)】srv: .*SNMP/, en: /^\[(PROBLEM|UPDATE|RECOVERED)\] srv: .*SNMP agent/ },
    never: /ディスク|disk/i,
  });
});
