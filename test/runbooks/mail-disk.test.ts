/**
 * The evidence runbooks against real daemons and real files: POP3 under a login flood and a pile
 * of half-open connections from the attacker namespace (Dovecot's own log, the server's TCP
 * table over SSH): the attacker's address with its SYN_RECV and failed logins, handed on as
 * attack evidence; the lab's Postfix with a queue of deferred mail: its size, sender and reason;
 * a directory with a large file and a deleted file still held open: where the space went. And the
 * parsers behind them on the field runbook's own log lines.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createGuard, policySchema } from '../../src/actions/policy.ts';
import { serviceSchema } from '../../src/actions/service-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { Executor } from '../../src/executors/types.ts';
import { countFailures } from '../../src/runbooks/auth-failures.ts';
import { parseQueue } from '../../src/runbooks/mail-queue-parse.ts';
import { pathsInAlert } from '../../src/runbooks/disk-full.ts';
import { respond, type IncidentContext } from '../../src/runbooks/run.ts';
import { classify } from '../../src/triage/index.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { localExecutor, printed, serverExecutor } from '../inspect/helpers.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { startPostfix, type LabPostfix } from '../lab/daemons/postfix.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { failedLoginsScript } from '../lab/pop3-flood.ts';
import { assertSaid } from './said-check.ts';

const prereq = { root: true, commands: ['ip', 'nft', '/usr/sbin/sshd', 'dovecot', 'postfix'] };


describe('pop3-slow and mail-queue on the lab over SSH', () => {
  let lab: Lab;
  let exec: Executor;
  let dovecot: LabDovecot;
  let postfix: LabPostfix;
  const children: ChildProcess[] = [];
  const incident = (service: ReturnType<typeof serviceSchema.parse>): IncidentContext => ({
    executor: exec,
    address: lab.server.ip,
    target: 'lab-server',
    service,
    clock: systemClock,
    guard: createGuard(policySchema.parse({}), systemClock),
  });

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    [{ exec }, dovecot, postfix] = await Promise.all([serverExecutor(lab), startDovecot(lab), startPostfix(lab)]);
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await lab?.destroy();
  });

  test('a login flood and half-open connections from one address: SYN_RECV and failed logins per source, attack evidence', async (t) => {
    if (needs(t, prereq)) return;
    const flood = lab.attacker.spawn([process.execPath, '-e', failedLoginsScript(lab.server.ip, 12)]);
    children.push(flood);
    await printed(flood, 'done', 20_000);
    await waitFor('Dovecot to log the 12 failures', () => (readFileSync(dovecot.logFile, 'utf8').match(/\(auth failed, /g) ?? []).length >= 12);
    // The attacker's kernel never answers the SYN-ACKs: the server holds each connection half-open.
    lab.attacker.exec(['nft', '-f', '-'], { input: 'table inet mamoru_t_synrecv {\n chain input {\n  type filter hook input priority -5; policy accept;\n  tcp sport 110 tcp flags & (syn | ack) == syn | ack drop\n }\n}\n' });
    const syn = lab.attacker.spawn([
      process.execPath,
      '-e',
      `const net = require('node:net'); for (let i = 0; i < 15; i++) net.connect(110, ${JSON.stringify(lab.server.ip)}).on('error', () => {}); process.stdout.write('sent\\n'); setInterval(() => {}, 1 << 30);`,
    ]);
    children.push(syn);
    await printed(syn, 'sent');
    await waitFor('15 half-open connections on the server', () => {
      const tcp = lab.server.exec(['cat', '/proc/net/tcp']);
      return (tcp.match(/:006E [0-9A-F]{8}:[0-9A-F]{4} 03 /g) ?? []).length >= 15;
    }, 10_000);

    const triage = classify({ probeType: 'pop3', state: 1, text: 'POP WARNING - 4.021 second response time on port 110 [+OK Dovecot ready.]' });
    assert.equal(triage.runbook, 'pop3-slow');
    const service = serviceSchema.parse({ name: 'dovecot', manager: 'command', ports: [110], mail_log: dovecot.logFile, page_timeout: '3s' });
    const res = await respond(incident(service), triage);
    const me = res.attack?.sources.find((s) => s.address === lab.attacker.ip);
    assert.ok(me, `the attacker is in the attack evidence: ${JSON.stringify(res.attack)}\n${res.evidence.map((e) => e.summary).join('\n')}`);
    assert.equal(me.authFailures, 12);
    assert.ok((me.synRecv ?? 0) >= 15, `SYN_RECV ${me.synRecv}`);
    assert.equal(res.attack!.sources.length, 1, 'only the attacker');
    assert.match(res.verdict, new RegExp(`^POP3 on lab-server greets in [\\d.]+ s; attack from ${lab.attacker.ip.replaceAll('.', '\\.')} \\((1[5-9]|[2-9]\\d) SYN_RECV, 12 failed logins\\): evidence for the guard \\(block on port 110\\)$`));
    assert.deepEqual(res.proposed, [], 'blocking is the guard\'s, not an action here');
    assertSaid(res);
    assert.ok(res.evidence.some((e) => e.what === 'auth-failures' && e.summary.includes(`${lab.attacker.ip} 12`)));
    assert.ok(res.records.some((r) => r.kind === 'evidence' && /^verdict: POP3 on lab-server/.test(r.text) && (r.data?.attack as { sources: unknown[] }).sources.length === 1));
    syn.kill('SIGKILL');
    lab.attacker.run(['nft', 'delete', 'table', 'inet', 'mamoru_t_synrecv']);
  });

  test('a queue of deferred mail: its size, the top sender and why it waits', async (t) => {
    if (needs(t, prereq)) return;
    await postfix.fillQueue(25);
    const triage = classify({ text: 'CRITICAL: mailq is 25 (threshold c = 10)', service: 'Mail Queue' });
    assert.equal(triage.runbook, 'mail-queue');
    const service = serviceSchema.parse({ name: 'postfix', manager: 'command', ports: [25], mail_queue: ['postqueue', '-c', postfix.configDir, '-p'] });
    const res = await respond(incident(service), triage);
    assert.match(res.verdict, /^25 messages in the mail queue on lab-server; top sender lab@\S+ \(25\); most deferred because "[^"]+" \(\d+\)$/);
    assert.match(res.summary.neededFromClient!, /^lab@\S+ has 25 of the 25 messages waiting on lab-server\. If that address did not send them/);
    assertSaid(res);
    assert.deepEqual(res.actions, []);
    postfix.clearQueue();
    await waitFor('an empty queue', () => postfix.queueLength() === 0);
    const empty = await respond(incident(service), triage);
    assert.equal(empty.verdict, 'the mail queue on lab-server is empty now');
  });
});

describe('disk-full on a real directory, locally', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-disk-'));
  const exec = localExecutor();
  let holder: ChildProcess | undefined;
  after(async () => {
    holder?.kill('SIGKILL');
    await exec.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the largest directory and a deleted file still held open, from the paths in the alert', async (t) => {
    if (needs(t, { commands: ['du', 'find', 'stat'] })) return;
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'small'));
    writeFileSync(join(dir, 'logs', 'access.log'), Buffer.alloc(6 * 1024 * 1024, 1));
    writeFileSync(join(dir, 'small', 'a.txt'), 'a');
    // A process writes a log, the log is deleted, the process keeps it open: df counts it, du does not.
    const gone = join(dir, 'logs', 'rotated.log');
    holder = spawn(process.execPath, ['-e', `const fs = require('node:fs'); const fd = fs.openSync(${JSON.stringify(gone)}, 'w'); fs.writeSync(fd, Buffer.alloc(3 * 1024 * 1024, 2)); process.stdout.write('open\\n'); setInterval(() => {}, 1 << 30);`], { stdio: ['ignore', 'pipe', 'ignore'] });
    await printed(holder, 'open');
    unlinkSync(gone);
    const text = `DISK CRITICAL - free space: ${dir} 10 MiB (2% inode=90%);| [Disk use 98% ${dir}]`;
    const triage = classify({ text });
    assert.equal(triage.runbook, 'disk-full');
    const ctx: IncidentContext = { executor: exec, address: '127.0.0.1', service: serviceSchema.parse({ name: 'disk' }), clock: systemClock, guard: createGuard(policySchema.parse({}), systemClock), alert: { text } };
    const res = await respond(ctx, triage);
    assert.match(res.verdict, new RegExp(`^disk ${dir} on 127\\.0\\.0\\.1: ${dir}: largest ${dir}/logs \\(6\\.\\d MiB\\); 3\\.0 MiB under ${dir} is held by deleted files still open \\(largest ${gone}, by node ${holder.pid}\\)$`));
    assert.match(res.summary.neededFromClient!, /restarting that program frees it/);
    assertSaid(res);
    assert.deepEqual(res.proposed, []);
  });
});

describe('the parsers behind the evidence', () => {
  test('failed logins per address: the field runbook vpopmail line, Dovecot counted once per attempt, user names cannot plant an address', () => {
    const lines = [
      'Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67',
      'Jan 19 20:38:09 s68 vpopmail[8102]: vchkpw-pop3: vpopmail user not found info@:178.216.51.67',
      '2026-01-19 20:38:10 auth: Info: passwd-file(admin,10.0.0.9,<abc>): unknown user',
      '2026-01-19 20:38:10 pop3-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 0 secs): user=<admin>, method=PLAIN, rip=10.0.0.9, lip=10.0.0.10, session=<x>',
      '2026-01-19 20:38:11 pop3-login: Info: Aborted login (auth failed, 3 attempts in 5 secs): user=<x, rip=6.6.6.6>, method=PLAIN, rip=10.0.0.9, lip=10.0.0.10',
      'Jan 19 20:38:12 s68 postfix/smtpd[1]: warning: unknown[203.0.113.5]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
      'Jan 19 20:38:13 s68 dovecot: pop3-login: Login: user=<ok>, method=PLAIN, rip=10.0.0.7',
    ];
    assert.deepEqual(
      countFailures(lines).map((c) => [c.address, c.failures]),
      [
        ['10.0.0.9', 4],
        ['178.216.51.67', 2],
        ['203.0.113.5', 1],
      ],
    );
  });

  test('a postqueue -p listing: entries, senders, reasons', () => {
    const listing = [
      '-Queue ID-  --Size-- ----Arrival Time---- -Sender/Recipient-------',
      '4F1E52A0B1*     312 Tue Jan 19 20:38:08  spam@example.jp',
      '                                         a@example.com',
      '',
      '5A2B3C4D5E      420 Tue Jan 19 20:38:09  spam@example.jp',
      '(connect to mx.example.com[192.0.2.1]:25: Connection refused)',
      '                                         b@example.com',
      '                                         c@example.com',
      '',
      '6B3C4D5E6F!     100 Tue Jan 19 20:38:10  MAILER-DAEMON',
      '(host mx.example.org[192.0.2.2] said: 450 4.7.1 try later (in reply to RCPT TO command))',
      '                                         d@example.org',
      '',
      '-- 1 Kbytes in 3 Requests.',
    ].join('\n');
    const q = parseQueue(listing);
    assert.equal(q.stated, 3);
    assert.deepEqual(q.entries.map((e) => [e.id, e.state, e.sender, e.recipients, e.reason]), [
      ['4F1E52A0B1', 'active', 'spam@example.jp', 1, undefined],
      ['5A2B3C4D5E', 'deferred', 'spam@example.jp', 2, 'connect to mx.example.com[192.0.2.1]:25: Connection refused'],
      ['6B3C4D5E6F', 'hold', 'MAILER-DAEMON', 1, 'host mx.example.org[192.0.2.2] said: 450 4.7.1 try later (in reply to RCPT TO command)'],
    ]);
    assert.equal(parseQueue('Mail queue is empty\n').empty, true);
  });

  test('the filesystems a disk alert names', () => {
    assert.deepEqual(pathsInAlert('DISK CRITICAL [Disk use 90% /] [Disk use 30% /boot] [Inum use 2% /] [Inum use 0% /boot]'), { paths: ['/', '/boot'], inodes: false });
    assert.deepEqual(pathsInAlert('DISK CRITICAL [Disk use 40% /var] [Inum use 97% /var]'), { paths: ['/var'], inodes: true });
    assert.deepEqual(pathsInAlert('DISK WARNING - free space: /var 1023 MiB (9% inode=80%);'), { paths: ['/var'], inodes: false });
    assert.deepEqual(pathsInAlert('DISK CRITICAL - free space: /srv 5 GiB (50% inode=3%);'), { paths: ['/srv'], inodes: true });
    assert.deepEqual(pathsInAlert('SNMP CRITICAL - mail queue'), { paths: [], inodes: false });
    // Words an alert's sender chose never become anything but a plain absolute path.
    assert.deepEqual(pathsInAlert('[Disk use 99% /var/../etc] [Disk use 99% /$(reboot)] [Disk use 99% /srv]').paths, ['/srv']);
  });
});

