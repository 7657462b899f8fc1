/**
 * Field runbook 3 (HTTP): Apache is killed while the server's page and a virtual host on the same
 * Apache (a second target, `www`, reached by name) are both watched. One crash is one incident:
 * start-service starts Apache, and the client hears of it once (an open, or one "stopped and
 * works again") and of its recovery at most once; ops the same in English.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, prereq, report, SRV, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

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
    checks:
      - { type: http, port: ${s.apache!.port}, host_header: www.example.jp }
`,
  });
});
after(async () => {
  await m?.stop();
  await s?.destroy();
});

test('HTTP down with a vhost target: one incident, started, told once', async (t) => {
  if (needs(t, need)) return;
  await new Promise((r) => setTimeout(r, 2500));
  const fault = Date.now();
  await s.apache!.kill();
  const clock = timing('HTTP down (+vhost)', s, fault, () => s.apache!.isRunning());
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered') || s.inbox.client(fault).some((x) => /works again|復旧|再び/.test(x.subject)), 30_000);
  await new Promise((r) => setTimeout(r, 2500));
  const times = clock.done();
  report(t, times);
  const incs = await incidents(m.store);
  await debugDump(t, s, m.store, fault);
  await t.test('Apache runs again', () => assert.ok(s.apache!.isRunning()));
  await t.test('one incident for one crash (the vhost folds into it)', () => assert.equal(incs.length, 1, timelineText(incs)));
  await t.test('start-service ran', () => assert.ok(incs.some((i) => i.target === SRV && i.timeline.some((e) => e.kind === 'action' && /start/.test(e.text) && !/^proposed/.test(e.text))), timelineText(incs)));
  await checkMessages(t, s, m.store, fault, {
    client: { max: 2 },
    ops: { max: 2 },
    cause: { ja: /^【(障害|復旧)】srv: .*(ウェブ|Web|web|サイト)/, en: /^\[(PROBLEM|RECOVERED)\] srv: .*(web site|web server|HTTP)/i },
  });
});
