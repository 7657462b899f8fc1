/**
 * Field runbook 3 (MySQL): mariadbd is killed; mamoru confirms it over the network, starts it over
 * SSH and tells the client once (an open, or one "stopped and works again") and the recovery once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { checkMessages, debugDump, incidents, listening, prereq, report, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('mariadb');
let s: ScenarioLab;
let m: Running;

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ mariadb: true });
  m = await startMamoru(s, {
    checks: ['- { type: ping, packets: 2 }', `- { type: mysql, port: ${s.mariadb!.port}, username: ${s.mariadb!.user}, password_secret: dbpw, database: ${s.mariadb!.database} }`],
    secrets: { dbpw: s.mariadb!.password },
  });
});
after(async () => {
  await m?.stop();
  await s?.destroy();
});

test('MariaDB down: started over SSH, the client told once', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  await s.mariadb!.kill();
  const clock = timing('MariaDB down', s, fault, () => listening(s, s.mariadb!.port));
  await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 35_000);
  await sleep(2000);
  report(t, clock.done());
  await debugDump(t, s, m.store, fault);
  const incs = await incidents(m.store);
  await t.test('one incident, start-service ran', () => {
    assert.equal(incs.length, 1, timelineText(incs));
    assert.ok(incs[0]!.timeline.some((e) => e.kind === 'action' && /mariadbd/.test(e.text) && !/^proposed/.test(e.text)), timelineText(incs));
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 2 },
    ops: { max: 2 },
    cause: { ja: /^【(障害|復旧)】srv: .*(データベース|MySQL|MariaDB)/, en: /^\[(PROBLEM|RECOVERED)\] srv: .*(database|MySQL|MariaDB)/i },
  });
});
