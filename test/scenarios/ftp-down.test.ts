/**
 * Field runbook 3 (FTP): vsftpd is killed; mamoru starts it over SSH. The first message must not
 * say "proposed: start-service" after vsftpd is already back (issue 13 item 5): one message says
 * what was done (or "stopped and works again"), one the recovery.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, listening, prereq, report, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('vsftpd');
let s: ScenarioLab;
let m: Running;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ vsftpd: true });
  m = await startMamoru(s, { checks: ['- { type: ping, packets: 2 }', `- { type: ftp, port: ${s.vsftpd!.port} }`] });
});
after(async () => {
  await m?.stop();
  await s?.destroy();
});

test('FTP down: started over SSH, the client told once, in the right tense', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  await s.vsftpd!.kill();
  const clock = timing('FTP down', s, fault, () => listening(s, s.vsftpd!.port));
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 30_000);
  await sleep(2000);
  const times = clock.done();
  report(t, times);
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  await t.test('one incident, vsftpd started', () => {
    assert.equal(incs.length, 1, timelineText(incs));
    assert.ok(incs[0]!.timeline.some((e) => e.kind === 'action' && /vsftpd/.test(e.text) && !/^proposed/.test(e.text)), timelineText(incs));
  });
  await t.test('the first message goes out within 2 s of the confirmed problem', () => {
    const opened = incs[0]!.openedAt;
    assert.ok(times.firstMessage! - opened <= 2000, `first message ${times.firstMessage! - opened} ms after the incident opened`);
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 2 },
    ops: { max: 2 },
    cause: { ja: /^【(障害|復旧)】srv: .*FTP/, en: /^\[(PROBLEM|RECOVERED)\] srv: .*FTP/ },
  });
});
