/**
 * Field runbook 3 (the worker limit): Apache at MaxRequestWorkers 5 (ServerLimit 16). A surge, 20
 * distinct clients each holding a worker, is told apart from an attack: the limit is raised a step
 * with backup, config test and graceful reload, verified once the new workers run, and never
 * rolled back when it works; every message says it was done (never "proposed"). A one-address
 * slowloris is an attack: the guard on the server bans it on port 80, the limit is not raised,
 * and the ban is an incident of its own.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { addCrowd, slowClientsFrom } from '../lab/crowd.ts';
import { bannedInKernel, checkMessages, debugDump, incidents, pageAnswers, prereq, report, shown, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type ScenarioLab } from './harness.ts';

const need = prereq('apache');
let s: ScenarioLab;
const children: ChildProcess[] = [];
const stopAll = async (c: ChildProcess) => {
  if (c.exitCode === null && c.signalCode === null) {
    const gone = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await gone;
  }
};

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ apache: true });
});
after(async () => {
  for (const c of children) await stopAll(c);
  await s?.destroy();
});

describe('Apache at its worker limit', () => {
  test('by a surge of 8 clients: raised, verified, kept; told as done', async (t) => {
    if (needs(t, need)) return;
    const m = await startMamoru(s, { checks: ['- { type: ping, packets: 2 }', `- { type: http, port: ${s.apache!.port}, timeout: 2s }`], policy: '{ modes: { raise-worker-limit: auto } }' });
    try {
      await sleep(2500);
      const crowd = addCrowd(s.lab, 8);
      const fault = Date.now();
      const surge = slowClientsFrom(s.lab, crowd, s.apache!.port);
      children.push(surge);
      const clock = timing('worker limit: surge (8 clients)', s, fault, () => pageAnswers(s));
      await waitInbox(s, 'the first message', () => s.inbox.client(fault).length > 0, 35_000);
      await sleep(5000);
      await stopAll(surge);
      await waitInbox(s, 'the recovery message', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 25_000);
      await sleep(2000);
      report(t, clock.done());
      await debugDump(t, s, m.store, fault);
      const incs = await incidents(m.store);
      const mpm = readFileSync(s.apache!.mpmConfFile, 'utf8');
      await t.test('the limit was raised and kept (not restored)', () => assert.match(mpm, /MaxRequestWorkers\s+10\b/, `${mpm}\n${timelineText(incs)}`));
      await t.test('nobody banned: a surge is not an attack', () => assert.ok(!incs.some((i) => i.timeline.some((e) => e.kind === 'ban')), timelineText(incs)));
      await t.test('no message both "needs a person" and "nothing needed from you"', () => {
        const bad = s.inbox.all.filter((x) => x.at >= fault && /needs a person|担当者の対応が必要/.test(x.text) && /Nothing for now|お願いすることはございません/.test(x.text));
        assert.deepEqual(bad.map((x) => x.subject), [], shown(bad));
      });
      await checkMessages(t, s, m.store, fault, {
        client: { max: 2 },
        ops: { max: 3 },
        cause: { ja: /^【(障害|続報|復旧)】srv: .*(ウェブサイト|Web)/, en: /^\[(PROBLEM|UPDATE|RECOVERED)\] srv: .*web site/i },
      });
    } finally {
      await m.stop();
    }
  });

  test('by a one-address slowloris: banned on port 80 by the guard, limit not raised, the attack its own incident', async (t) => {
    if (needs(t, need)) return;
    await s.apache!.stop();
    await s.apache!.start();
    const before = readFileSync(s.apache!.mpmConfFile, 'utf8').match(/MaxRequestWorkers\s+(\d+)/)![1];
    const m = await startMamoru(s, {
      checks: ['- { type: ping, packets: 2 }', `- { type: http, port: ${s.apache!.port}, timeout: 2s }`],
      policy: '{ modes: { raise-worker-limit: auto } }',
      jails: [`{ name: http, target: srv, filters: [apache-auth], sources: [{ type: file, paths: ['${s.apache!.errorLog}'] }], max_retry: 1, find_time: 1m, ban_time: 10m, port: 80, max_connections: 8 }`],
    });
    try {
      await sleep(2500);
      const fault = Date.now();
      // One address, many slow requests that never end (the guard may cut them before Apache fills up).
      const loris = s.lab.attacker.spawn([process.execPath, '-e', `const net = require('node:net'); for (let i = 0; i < ${Number(before) * 2 + 2}; i++) { const c = net.connect(${s.apache!.port}, ${JSON.stringify(s.lab.server.ip)}, () => c.write('GET / HTTP/1.1\\r\\nHost: lab-server\\r\\n')); c.on('error', () => {}); } setInterval(() => {}, 1 << 30);`]);
      children.push(loris);
      const clock = timing('worker limit: one-address slowloris', s, fault, () => bannedInKernel(s).includes(s.lab.attacker.ip));
      // The guard may end it before the page check fails: then only the attack is to be told.
      await waitInbox(s, 'the first message', () => s.inbox.all.filter((x) => x.at >= fault).length > 0, 20_000).catch(() => {});
      await sleep(3000);
      await stopAll(loris);
      await sleep(4000);
      report(t, clock.done());
      await debugDump(t, s, m.store, fault, m.guardOut());
      const incs = await incidents(m.store);
      const after = readFileSync(s.apache!.mpmConfFile, 'utf8').match(/MaxRequestWorkers\s+(\d+)/)![1];
      await t.test('the attacker is banned on port 80', () => assert.match(bannedInKernel(s), new RegExp(s.lab.attacker.ip.replaceAll('.', '\\.')), bannedInKernel(s)));
      await t.test('the limit is not raised for an attack', () => assert.equal(after, before));
      await t.test('the ban is an incident of its own, told as an attack', () => {
        const attack = incs.filter((i) => i.timeline.some((e) => e.kind === 'ban'));
        assert.equal(attack.length, 1, timelineText(incs));
        const told = s.inbox.all.filter((x) => x.at >= fault && /攻撃|attack/i.test(x.subject));
        const outage = s.inbox.all.filter((x) => x.at >= fault && !/攻撃|attack/i.test(x.subject));
        // Told when it hurt the site (linked to the outage); an attack blocked before anything failed is not paged.
        if (outage.length) assert.ok(told.length > 0, shown(s.inbox.all.filter((x) => x.at >= fault)));
        else assert.deepEqual(told.map((x) => x.subject), [], 'notifications.attacks: linked');
      });
      // The guard may end it before the site fails: then nobody is paged (the attack is in the console).
      await checkMessages(t, s, m.store, fault, {
        client: { min: 0, max: 4 },
        ops: { min: 0, max: 4 },
        cause: { ja: /^【(障害|続報|復旧|攻撃を遮断)】srv: .*(ウェブサイト|攻撃)/, en: /^\[(PROBLEM|UPDATE|RECOVERED|ATTACK BLOCKED)\] srv: .*(web site|attack|brute-forcing)/i },
      });
    } finally {
      await m.stop();
    }
  });
});
