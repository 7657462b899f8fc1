/**
 * pop3-slow names the right attacker: on the lab's real Dovecot, the attacker namespace fails
 * logins over POP3 while the client namespace only leaves half-open connections (what a spoofed
 * SYN flood looks like). The verdict names the address with the failed logins, never the
 * SYN-only one; an attacker the guard has already banned is said to be banned, with no block
 * asked again; the IMAP port is greeted as IMAP. And the deciding functions on the field's lines.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { createGuard, policySchema } from '../../src/actions/policy.ts';
import { serviceSchema } from '../../src/actions/service-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { Executor } from '../../src/executors/types.ts';
import { failureProtocol, judge } from '../../src/runbooks/mail-attack.ts';
import { respond, type IncidentContext } from '../../src/runbooks/run.ts';
import type { BanInForce } from '../../src/runbooks/types.ts';
import { classify } from '../../src/triage/index.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { printed, serverExecutor } from '../inspect/helpers.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { assertSaid } from './said-check.ts';
import { waitFor } from '../lab/process.ts';
import { failedLoginsScript } from '../lab/pop3-flood.ts';

const prereq = { root: true, commands: ['ip', 'nft', '/usr/sbin/sshd', 'dovecot'] };


const re = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('pop3-slow on the lab Dovecot: failed logins name the attacker, SYN_RECV only supports', () => {
  let lab: Lab;
  let exec: Executor;
  let dovecot: LabDovecot;
  const children: ChildProcess[] = [];
  const incident = (bans?: () => Promise<BanInForce[]>): IncidentContext => ({
    executor: exec,
    address: lab.server.ip,
    target: 'lab-server',
    service: serviceSchema.parse({ name: 'dovecot', manager: 'command', ports: [110, 143], mail_log: dovecot.logFile, page_timeout: '3s' }),
    clock: systemClock,
    guard: createGuard(policySchema.parse({}), systemClock),
    ...(bans ? { bans } : {}),
  });
  const triage = classify({ probeType: 'pop3', state: 1, text: 'POP WARNING - 4.021 second response time on port 110 [+OK Dovecot ready.]' });

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    [{ exec }, dovecot] = await Promise.all([serverExecutor(lab), startDovecot(lab)]);
    const flood = lab.attacker.spawn([process.execPath, '-e', failedLoginsScript(lab.server.ip, 12)]);
    children.push(flood);
    await printed(flood, 'done', 20_000);
    await waitFor('Dovecot to log the 12 failures', () => (readFileSync(dovecot.logFile, 'utf8').match(/\(auth failed, /g) ?? []).length >= 12);
    // The client's kernel never sees the SYN-ACKs: 20 half-open connections on the server, no login at all.
    lab.client.exec(['nft', '-f', '-'], { input: 'table inet mamoru_t_pop3syn {\n chain input {\n  type filter hook input priority -5; policy accept;\n  tcp sport 110 tcp flags & (syn | ack) == syn | ack drop\n }\n}\n' });
    const syn = lab.client.spawn([process.execPath, '-e', `const net = require('node:net'); for (let i = 0; i < 20; i++) net.connect(110, ${JSON.stringify(lab.server.ip)}).on('error', () => {}); process.stdout.write('sent\\n'); setInterval(() => {}, 1 << 30);`]);
    children.push(syn);
    await printed(syn, 'sent');
    await waitFor('20 half-open connections on the server', () => (lab.server.exec(['cat', '/proc/net/tcp']).match(/:006E [0-9A-F]{8}:[0-9A-F]{4} 03 /g) ?? []).length >= 20, 10_000);
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await lab?.destroy();
  });

  test('no ban yet: the address with the failed logins is the attacker, blocked on POP3 only; the SYN-only address is evidence; IMAP greeted as IMAP', async (t) => {
    if (needs(t, prereq)) return;
    assert.equal(triage.runbook, 'pop3-slow');
    const res = await respond(incident(), triage);
    const attacker = re(lab.attacker.ip);
    const client = re(lab.client.ip);
    const all = `${res.verdict}\n${res.evidence.map((e) => e.summary).join('\n')}`;
    assert.match(res.verdict, new RegExp(`^POP3 on lab-server greets in [\\d.]+ s, IMAP greets in [\\d.]+ s; attack from ${attacker} \\(12 failed logins\\): evidence for the guard \\(block on port 110\\); evidence only, not grounds to block: 2\\d SYN_RECV from ${client} with no failed login \\(half-open connections can be forged\\)$`), all);
    assert.deepEqual(res.attack?.sources.map((s) => s.address), [lab.attacker.ip], 'the SYN-only address is not an attacker');
    assert.deepEqual(res.attack?.ports, [110], 'failed POP3 logins: blocked on POP3 only, not on IMAP');
    assert.deepEqual(res.proposed, []);
    const greetings = res.evidence.filter((e) => e.what === 'greeting').map((e) => e.summary);
    assert.equal(greetings.length, 2, all);
    assert.match(greetings[0]!, new RegExp(`^POP3 greeting on ${re(lab.server.ip)}:110 after [\\d.]+ s: POP OK - `));
    assert.match(greetings[1]!, new RegExp(`^IMAP greeting on ${re(lab.server.ip)}:143 after [\\d.]+ s: IMAP OK - .*\\* OK`));
    assertSaid(res);
    assert.match(res.verdictSay.ja, /POP3 の応答に [\d.]+ 秒かかっています、IMAP の応答に [\d.]+ 秒かかっています/);
    assert.match(res.verdictSay.ja, new RegExp(`原因はログイン攻撃です: ${attacker} から 15 分間に 12 回のログイン失敗`));
  });

  test('the guard already banned the attacker on port 110: said so, with its end, and nothing more to block', async (t) => {
    if (needs(t, prereq)) return;
    const until = Date.now() + 10 * 60_000;
    const res = await respond(incident(async () => [{ address: lab.attacker.ip, port: 110, until }]), triage);
    const hhmm = new Date(until).toTimeString().slice(0, 5);
    assert.match(res.verdict, new RegExp(`; attack from ${re(lab.attacker.ip)} failed 12 logins in 15 min and is already banned on port 110 until ${hhmm}: nothing more to block; evidence only, not grounds to block: 2\\d SYN_RECV from ${re(lab.client.ip)} `), res.verdict);
    assert.doesNotMatch(res.verdict, /block on port/);
    assert.deepEqual(res.attack?.ports, [], 'no port left to block');
    assertSaid(res);
    // Already blocked, said without an instant baked in (the ban's end stays in the data).
    assert.match(res.verdictSay.ja, /すでにポート 110 で遮断済みです/);
    assert.doesNotMatch(res.verdictSay.ja, /\d\d:\d\d/);
    assert.ok(res.evidence.some((e) => e.what === 'bans' && e.summary === 'bans in force: 1 ban'));
  });
});

describe('the deciding functions on the field runbook\'s lines', () => {
  const t = { min_auth_failures: 10, min_connections: 10, auth_window: 15 * 60_000 };
  const now = Date.parse('2026-01-19T20:40:00Z');

  test('the protocol of a failure comes from the daemon, never from the user name the client chose', () => {
    assert.equal(failureProtocol('Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67'), 'pop3');
    assert.equal(failureProtocol('2026-01-19 20:38:08 imap-login: Info: Disconnected (auth failed, 1 attempts in 0 secs): user=<pop3-login>, method=PLAIN, rip=10.0.0.66'), 'imap');
    assert.equal(failureProtocol('2026-01-19 20:38:08 auth: Info: passwd-file(imap,10.0.0.66,<x>): unknown user'), undefined);
    assert.equal(failureProtocol('Jan 19 20:38:08 imap.example.com dovecot: pop3-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<imap:>, rip=10.0.0.66'), 'pop3');
    assert.equal(failureProtocol('Jan 19 20:38:08 s68 imapd-ssl: LOGIN FAILED, user=pop3d:, ip=[::ffff:10.0.0.66]'), 'imap');
  });

  test('49 SYN_RECV alone names no one; 40 failed logins do, and a ban on all ports covers every port', () => {
    const sources = [
      { address: '203.0.113.9', connections: 0, synRecv: 49 },
      { address: '10.0.0.66', connections: 0, authFailures: 40 },
    ];
    const j = judge(sources, new Map(), [110, 143], [{ address: '10.0.0.0/24', until: now + 60_000 }], t, now);
    assert.deepEqual(j.attackers.map((a) => [a.address, a.unblocked]), [['10.0.0.66', []]]);
    assert.deepEqual(j.unproven.map((s) => s.address), ['203.0.113.9']);
    const expired = judge(sources, new Map(), [110, 143], [{ address: '10.0.0.66', port: 110, until: now - 1 }], t, now);
    assert.deepEqual(expired.attackers[0]!.unblocked, [110], 'a ban that ended blocks nothing; no protocol named: the POP3 ports');
  });
});
