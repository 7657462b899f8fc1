/**
 * Field runbook 3 (POP3): a brute force from the attacker (failed logins in Dovecot's log), a pile
 * of half-open connections from another address (what a spoofed SYN flood looks like) and a slow
 * greeting. The guard on the server bans the attacker on port 110 only; the attack is its own
 * incident ("attack blocked"); the slow POP3 incident's diagnosis names the address with the
 * failed logins (never the SYN-only one) and says the ban is already in force.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { after, before, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { startSlowProxy, type SlowProxy } from '../lab/slow-proxy.ts';
import { failedLoginsScript } from '../lab/pop3-flood.ts';
import { bannedInKernel, checkMessages, debugDump, incidents, prereq, report, shown, sleep, startMamoru, startScenarioLab, timelineText, timing, waitInbox, type Running, type ScenarioLab } from './harness.ts';

const need = prereq('dovecot');
let s: ScenarioLab;
let m: Running;
let proxy: SlowProxy;
const children: ChildProcess[] = [];
const re = (x: string) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

before(async () => {
  if (missing(need)) return;
  s = await startScenarioLab({ dovecot: true });
  // The POP3 port the monitor checks is Dovecot behind a proxy that can hold its greeting.
  proxy = await startSlowProxy(s.lab, { listenPort: 1110, targetPort: 110, delayMs: 0 });
  m = await startMamoru(s, {
    checks: ['- { type: ping, packets: 2 }', `- { type: pop3, port: ${proxy.port}, warning: 1, critical: 1.8 }`],
    serviceOverrides: { dovecot: { ports: [110, 143, 995, 993, proxy.port] } },
    jails: [`{ name: pop3, target: srv, filters: [dovecot], sources: [{ type: file, paths: ['${s.dovecot!.logFile}'] }], max_retry: 5, find_time: 1m, ban_time: 10m, port: 110 }`],
  });
});
after(async () => {
  for (const c of children) c.kill('SIGKILL');
  s?.lab.client.run(['nft', 'delete', 'table', 'inet', 'mamoru_scen_syn']);
  await m?.stop();
  await s?.destroy();
});

test('POP3 brute force, SYN_RECV flood and slow greeting: attacker banned on 110, attack its own incident, diagnosis right', async (t) => {
  if (needs(t, need)) return;
  await sleep(2500);
  const fault = Date.now();
  const attacker = s.lab.attacker.ip;
  const synOnly = s.lab.client.ip;
  proxy.setDelay(1500);
  const flood = s.lab.attacker.spawn([process.execPath, '-e', failedLoginsScript(s.lab.server.ip, 12)]);
  children.push(flood);
  // The client host's kernel never sees the SYN-ACKs: half-open connections on the server, no login.
  s.lab.client.exec(['nft', '-f', '-'], { input: 'table inet mamoru_scen_syn {\n chain input {\n  type filter hook input priority -5; policy accept;\n  tcp sport 110 tcp flags & (syn | ack) == syn | ack drop\n }\n}\n' });
  children.push(s.lab.client.spawn([process.execPath, '-e', `const net = require('node:net'); for (let i = 0; i < 30; i++) net.connect(110, ${JSON.stringify(s.lab.server.ip)}).on('error', () => {}); setInterval(() => {}, 1 << 30);`]));
  const clock = timing('POP3 brute force + SYN flood + slow greeting', s, fault, () => bannedInKernel(s).includes(attacker));
  await waitInbox(s, 'a message about the slow POP3 greeting', () => s.inbox.client(fault).some((x) => /POP3|メール受信/.test(x.subject)), 30_000);
  await sleep(4000);
  proxy.setDelay(0);
  await waitInbox(s, 'the POP3 recovery', () => s.inbox.client(fault).some((x) => x.event === 'recovered'), 25_000);
  await sleep(2000);
  report(t, clock.done());
  await debugDump(t, s, m.store, fault, m.guardOut());
  const incs = await incidents(m.store);
  const client = s.inbox.client(fault);
  const ops = s.inbox.ops(fault);
  await t.test('the attacker is banned on port 110 only, the SYN-only address is not', () => {
    const table = bannedInKernel(s);
    assert.match(table, new RegExp(re(attacker)), table);
    assert.doesNotMatch(table, new RegExp(re(synOnly)), table);
    assert.doesNotMatch(table, /\b143\b/, table);
  });
  await t.test('the attack is an incident of its own', () => {
    const attack = incs.filter((i) => i.timeline.some((e) => e.kind === 'ban'));
    assert.equal(attack.length, 1, timelineText(incs));
    assert.ok(!attack[0]!.members.some((mm) => mm.probe === 'pop3'), `the ban is recorded on the POP3 incident:\n${timelineText(incs)}`);
  });
  await t.test('the ban is announced under an attack subject; the POP3 messages only refer to it', () => {
    const banned = [...client, ...ops].filter((x) => x.text.includes(attacker) && /banned|blocked|遮断|ブロック/.test(x.text));
    assert.ok(banned.some((x) => /攻撃|attack/i.test(x.subject)), shown([...client, ...ops]));
    // The client's subject, word for word: a bare address (private: no country) is spaced from the Japanese.
    assert.ok(client.some((x) => x.subject === `【攻撃を遮断】srv: ${attacker} による POP3 への総当たり攻撃をポート 110 で遮断`), client.map((x) => x.subject).join('\n'));
    // The lab's attacker is on a private address: the client reads that it is a machine inside, not "unknown".
    assert.ok(client.some((x) => x.text.includes(`${attacker}（プライベートアドレス: 内部ネットワークの機器です）`)), shown(client));
    assert.ok(ops.some((x) => x.text.includes(`${attacker} (a private address: a machine on an internal network)`)), shown(ops));
    // The outage it explains says the cause was found and is already blocked, naming the attack's incident.
    const elsewhere = banned.filter((x) => !/攻撃|attack/i.test(x.subject));
    assert.deepEqual(elsewhere.filter((x) => !/インシデント番号 #\d+|attack incident #\d+|遮断済み|already (banned|blocked)/.test(x.text)).map((x) => x.subject), [], shown(elsewhere));
  });
  await t.test('the slow POP3 diagnosis names the attacker, says the ban is in force, blames not the SYN-only address', () => {
    const pop3 = [...client, ...ops].filter((x) => /POP3|メール受信/.test(x.subject));
    const all = shown(pop3);
    assert.ok(pop3.some((x) => x.text.includes(attacker)), all);
    assert.ok(pop3.some((x) => /already banned|ban(ned)? .*in force|遮断済み|遮断しています/.test(x.text)), all);
    // Every line naming the SYN-only address says it is not taken for the attacker.
    const synLines = pop3.flatMap((x) => x.text.split('\n')).filter((l) => l.includes(synOnly));
    assert.deepEqual(synLines.filter((l) => !/not grounds|not named|no failed login|判断していない|根拠にはしない|断定しません/.test(l)), [], all);
    assert.ok(!pop3.some((x) => /IMAP[^\n]*POP WARNING|POP3? [^\n]*:143\b/.test(x.text)), 'the IMAP port is greeted as IMAP');
  });
  await checkMessages(t, s, m.store, fault, {
    client: { max: 4 },
    ops: { max: 4 },
    cause: { ja: /^【(障害|続報|復旧|攻撃を遮断)】srv: .*(POP3|メール受信|攻撃)/, en: /^\[(PROBLEM|UPDATE|RECOVERED|ATTACK BLOCKED)\] srv: .*(POP3|attack|brute-forcing)/i },
    never: /ディスク|disk/i,
  });
});
