/**
 * Field runbook 1 (`SNMP CRITICAL - *2345*` on the mail-queue OID): Postfix's queue fills with
 * deferred mail past the limit, read over SNMP (snmpd's `extend mailq` counting Postfix's deferred
 * queue). The headline names the mail queue with its number and its limit, never the SNMP agent;
 * the recovery says the mail queue is back to normal.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, prereq, report, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('postfix', 'snmpd');
let s: ScenarioLab;
let m: Running;
let cleared = false;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ postfix: true, snmpd: true });
  m = await startMamoru(s, {
    checks: ['- { type: ping, packets: 2 }', `- { type: snmp, name: mailq, oid: ['${s.snmpd!.mailQueueOid}'], warning: 10, critical: 20, community_secret: community }`],
  });
});
after(async () => {
  await m?.stop();
  await s?.destroy();
});

test('mail queue over its limit: the headline names the mail queue, its number and its limit', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  await s.postfix!.fillQueue(30);
  const clock = timing('mail queue over threshold', s, fault, () => cleared);
  await waitInbox(s, 'the first message', () => s.inbox.client(fault).length > 0, 30_000);
  await sleep(3000);
  s.postfix!.clearQueue();
  cleared = true;
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 25_000);
  await sleep(2000);
  report(t, clock.done());
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  await t.test('one incident', () => assert.equal(incs.length, 1, timelineText(incs)));
  await t.test('the problem headline says mail queue, 30 and the limit 20', () => {
    const first = s.inbox.client(fault)[0]!;
    const firstOps = s.inbox.ops(fault)[0]!;
    assert.match(first.subject, /メールキュー.*30.*20/, first.subject);
    assert.match(firstOps.subject, /mail queue.*30.*20/i, firstOps.subject);
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 2 },
    ops: { max: 2 },
    cause: { ja: /^【(障害|続報|復旧)】srv: .*メールキュー/, en: /^\[(PROBLEM|UPDATE|RECOVERED)\] srv: .*mail queue/i },
    never: /SNMP エージェント|SNMP agent/i,
  });
});
