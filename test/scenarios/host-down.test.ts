/**
 * Field runbook 2 (host failure): the server stops answering at all (every packet dropped) while
 * a second target `www`, declared `parents: [srv]`, is watched with an HTTP check only. One
 * outage is one incident naming the host: `www` is UNREACHABLE behind its parent and folds in,
 * silently; the client hears once that the server does not answer, and once that it is back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, prereq, report, sleep, SRV, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('apache');
let s: ScenarioLab;
let m: Running;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ apache: true });
  m = await startMamoru(s, {
    checks: ['- { type: ping, packets: 2 }', `- { type: http, port: ${s.apache!.port} }`],
    moreTargets: `  - name: www
    address: ${s.lab.server.ip}
    parents: [${SRV}]
    checks:
      - { type: http, port: ${s.apache!.port}, host_header: www.example.jp }
`,
  });
});
after(async () => {
  s?.lab.server.restore();
  await m?.stop();
  await s?.destroy();
});

test('host down with a child target: one incident, one message naming the host', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  s.lab.server.dropAll();
  let restored = false;
  const clock = timing('host down (+child www)', s, fault, () => restored);
  await waitInbox(s, 'the first message', () => s.inbox.client(fault).length > 0, 30_000);
  // Down long enough for the child's checks to have failed too, then back.
  await sleep(8000);
  s.lab.server.restore();
  restored = true;
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 30_000);
  await sleep(2500);
  report(t, clock.done());
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  await t.test('one incident, for the host', () => {
    assert.equal(incs.length, 1, timelineText(incs));
    assert.equal(incs[0]!.target, SRV, timelineText(incs));
  });
  await t.test('the first message is about the host, not the child\'s web site', () => {
    const first = s.inbox.client(fault)[0]!;
    assert.match(first.subject, /^【障害】srv: サーバー srv がネットワーク上で応答していません/, first.subject);
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 2 },
    ops: { max: 2 },
    cause: { ja: /^【(障害|復旧)】srv: サーバー srv /, en: /^\[(PROBLEM|RECOVERED)\] srv: The server srv / },
    never: /ウェブサイト|web site/i,
  });
});
