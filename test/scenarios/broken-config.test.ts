/**
 * Field runbook 3 (the worker limit, a failed config test): Apache runs, but its config on disk
 * was already broken before mamoru touched it (a bad directive in an Included file). A surge puts
 * Apache at its limit; the raise's config test fails, the backup is restored, and the message
 * says what a person must fix now: the config was broken already, and Apache will not start at
 * its next restart.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { addCrowd, slowClientsFrom } from '../lab/crowd.ts';
import { checkMessages, debugDump, incidents, pageAnswers, prereq, report, shown, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('apache');
let s: ScenarioLab;
let m: Running;
let surge: ChildProcess | undefined;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ apache: true });
  m = await startMamoru(s, { checks: ['- { type: ping, packets: 2 }', `- { type: http, port: ${s.apache!.port}, timeout: 2s }`], policy: '{ modes: { raise-worker-limit: auto } }' });
});
after(async () => {
  surge?.kill('SIGKILL');
  await m?.stop();
  await s?.destroy();
});

test('worker limit with a config that was already broken: restored, and the message says Apache will not start at its next restart', async (t) => {
  if (needs(t, need)) return;
  // Broken on disk, running fine: Apache read its config before the bad line was written.
  writeFileSync(join(s.apache!.serverRoot, 'mods-enabled', 'zz-broken.conf'), 'ThisDirectiveDoesNotExist on\n');
  assert.equal(s.apache!.configTest().ok, false);
  await sleep(2500);
  const crowd = addCrowd(s.lab, 20);
  const fault = Date.now();
  surge = slowClientsFrom(s.lab, crowd, s.apache!.port);
  const clock = timing('worker limit, config already broken', s, fault, () => pageAnswers(s));
  await waitInbox(s, 'a message that the raise failed', () => s.inbox.all.some((x) => x.at >= fault && /config|設定/.test(x.text) && /test|テスト/.test(x.text)), 40_000);
  await sleep(2000);
  surge.kill('SIGKILL');
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 20_000).catch(() => {});
  report(t, clock.done());
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  const all = s.inbox.all.filter((x) => x.at >= fault);
  await t.test('the worker limit is as it was (backup restored)', () => assert.match(readFileSync(s.apache!.mpmConfFile, 'utf8'), /MaxRequestWorkers\s+5\b/, timelineText(incs)));
  await t.test('ops read that the config was broken already and Apache will not start at its next restart', () => {
    const ops = all.filter((x) => x.contact === 'ops');
    assert.ok(ops.some((x) => /already broken|broken before|was broken/i.test(x.text) && /(will not|won't|cannot) start[^.]*next restart|next restart[^.]*(will not|won't|cannot) start|not start again/i.test(x.text)), shown(ops));
  });
  await t.test('the client reads it too, in Japanese', () => {
    const client = all.filter((x) => x.contact === 'client');
    assert.ok(client.some((x) => /(以前から|既に|すでに|もともと)[^。]*(設定|構成)/.test(x.text) && /再起動/.test(x.text) && /起動(でき|し)ません/.test(x.text)), shown(client));
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 3 },
    ops: { max: 3 },
    cause: { ja: /^【(障害|続報|復旧)】srv: .*(ウェブサイト|Web)/, en: /^\[(PROBLEM|UPDATE|RECOVERED)\] srv: .*web site/i },
  });
});
