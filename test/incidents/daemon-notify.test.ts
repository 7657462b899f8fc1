/**
 * The daemon tells people, end to end: a real TCP service on loopback stops, the daemon confirms
 * the problem, opens an incident and sends ONE mail per contact (English to the operator, Japanese
 * to the client) to a real SMTP server; the service comes back and the recovery goes out with its
 * duration; the timeline in the store and `mamoru incidents` / `mamoru incident` show all of it.
 * Then a host and the host behind it go down together: one incident, one message, the second
 * host folded in. And a webhook channel that keeps failing is reported to the operator.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { mamoru } from '../helpers/cli.ts';
import { parseMail, smtpPeer, type SmtpPeer } from '../notify/mail.ts';
import { recordingServer } from '../notify/peers.ts';
import { until } from '../helpers/wait.ts';

let dir: string;
let smtp: SmtpPeer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-incidents-'));
  smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
});
after(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A TCP service that can be stopped and started again on the same port. */
async function service(): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((s) => {
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  };
  await start();
  return {
    port,
    start,
    stop: () => new Promise<void>((r) => server!.close(() => r())),
  };
}

const mailsTo = (addr: string) => smtp.mails.filter((m) => m.rcptTo.includes(addr)).map((m) => ({ ...parseMail(m.raw), to: m.rcptTo }));

function contacts(extraOps = ''): string {
  const mail = (to: string) => `{ type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [${to}] }`;
  return `contacts:
  - name: ops
    language: en
    channels:
      - ${mail('ops@example.jp')}${extraOps}
  - name: client-a
    language: ja
    targets: [web1]
    channels:
      - ${mail('client@example.com')}
`;
}

test('a service stops and comes back: one problem mail and one recovery mail per contact, in their languages, and the timeline', async () => {
  const web = await service();
  // Another service of another target, failing at the same moment (not the same service: that would be one incident).
  const web2 = await service();
  const db = join(dir, 'one.db');
  const file = join(dir, 'one.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 2, timeout: 1s }
store: { type: sqlite, path: ${db} }
web: { enabled: false }
notifications: { settle: 300ms }
targets:
  - name: web1
    address: 127.0.0.1
    checks:
      - { type: tcp, name: http, port: ${web.port} }
  - name: other
    address: 127.0.0.1
    checks:
      - { type: tcp, port: ${web2.port} }
${contacts()}`,
  );
  const start = smtp.mails.length;
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  try {
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(smtp.mails.length, start, 'nothing is sent while all is well');
    await Promise.all([web.stop(), web2.stop()]);
    const [ops] = await until('the problem mail to ops', () => mailsTo('ops@example.jp').length >= 1 && mailsTo('ops@example.jp'));
    const [client] = await until('the problem mail to the client', () => mailsTo('client@example.com').length >= 1 && mailsTo('client@example.com'));
    assert.match(ops!.headers.subject!, /^\[PROBLEM\] (web1|other): /);
    // web1 and other fail together: two targets, two incidents; the client only hears of web1.
    await until('both incidents told to ops', () => mailsTo('ops@example.jp').length >= 2);
    const opsMails = mailsTo('ops@example.jp');
    assert.deepEqual(opsMails.map((m) => m.headers.subject!.split(':')[0]).sort(), ['[PROBLEM] other', '[PROBLEM] web1']);
    const opsWeb = opsMails.find((m) => m.headers.subject!.startsWith('[PROBLEM] web1'))!;
    assert.match(opsWeb.body, /refuses connections/, 'plain words');
    assert.match(opsWeb.body, /Connection refused/, "the plugin's words");
    assert.match(client!.headers.subject!, /^【障害】web1: /);
    assert.match(client!.body, /client-a 様/);
    assert.match(client!.body, /接続を受け付けていません/);
    assert.match(client!.body, /インシデント番号: #\d+/);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(mailsTo('client@example.com').length, 1, 'a problem that stays is not sent again (no reminders configured)');

    await Promise.all([web.start(), web2.start()]);
    const rec = await until('the recovery mail to the client', () => mailsTo('client@example.com')[1]);
    assert.match(rec.headers.subject!, /^【復旧】web1: /);
    assert.match(rec.body, /復旧しました/);
    assert.match(rec.body, /障害時間\n.+から.+まで（\d+秒）/);
    const opsRec = await until('the recovery mails to ops', () => mailsTo('ops@example.jp').filter((m) => m.headers.subject!.startsWith('[RECOVERED]')).length === 2 && mailsTo('ops@example.jp'));
    assert.match(opsRec.find((m) => m.headers.subject!.startsWith('[RECOVERED] web1'))!.body, /The problem lasted \d+ s/);
  } finally {
    await daemon.stop();
    await web.stop().catch(() => {});
    await web2.stop().catch(() => {});
  }

  const list = await mamoru(['incidents', '--json', '-c', file]);
  assert.equal(list.code, 0, list.stderr);
  const incidents = JSON.parse(list.stdout) as Array<{ id: number; target: string; status: string }>;
  assert.deepEqual(incidents.map((i) => [i.target, i.status]).sort(), [['other', 'resolved'], ['web1', 'resolved']]);
  const webInc = incidents.find((i) => i.target === 'web1')!;
  const shown = await mamoru(['incident', String(webInc.id), '-c', file]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Incident #${webInc.id} on web1: resolved`));
  const kinds = [...shown.stdout.matchAll(/^ {2}\S+ \S+ {2}(\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(kinds, ['opened', 'notified', 'notified', 'recovered', 'resolved', 'notified', 'notified']);
  assert.match(shown.stdout, /told client-a by email: "【障害】web1/);
  const open = await mamoru(['incidents', '--open', '-c', file]);
  assert.equal(open.stdout, 'no open incidents\n');
  const missing = await mamoru(['incident', '999', '-c', file]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /no incident #999/);
});

test('a host and the host behind it go down: one incident, one message, the second host folded in', async () => {
  const gw = await service();
  const web = await service();
  const app = await service();
  const file = join(dir, 'two.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 3, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'two.db')} }
web: { enabled: false }
notifications: { settle: 500ms }
targets:
  - name: gw
    address: 127.0.0.1
    host_check: alive
    checks:
      - { type: tcp, name: alive, port: ${gw.port}, interval: 2s }
  - name: web1
    address: 127.0.0.1
    parents: [gw]
    host_check: alive
    checks:
      - { type: tcp, name: alive, port: ${web.port} }
      - { type: tcp, name: app, port: ${app.port} }
${contacts()}`,
  );
  const start = smtp.mails.length;
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  try {
    await new Promise((r) => setTimeout(r, 800));
    // web1's checks run four times as often as gw's: they fail first, and must wait for gw.
    await Promise.all([gw.stop(), web.stop(), app.stop()]);
    await until('the problem mail to ops', () => smtp.mails.length > start && mailsTo('ops@example.jp').slice(-1)[0]);
    await new Promise((r) => setTimeout(r, 3000));
    const sent = smtp.mails.slice(start).map((m) => ({ ...parseMail(m.raw), to: m.rcptTo }));
    const toOps = sent.filter((m) => m.to.includes('ops@example.jp'));
    assert.equal(toOps.length, 1, `one message to ops, got: ${toOps.map((m) => m.headers.subject).join(' | ')}`);
    assert.match(toOps[0]!.headers.subject!, /^\[PROBLEM\] gw: The server gw does not answer/);
    assert.match(toOps[0]!.body, /web1 cannot be reached because the server or network in front of it is down/);
    assert.equal(sent.filter((m) => m.to.includes('client@example.com')).length, 0, "the client (web1 only) hears nothing: the outage is gw's");
    const incidents = (await daemon.alerting.incidents.openIncidents()).map((i) => i.target);
    assert.deepEqual(incidents, ['gw']);

    await Promise.all([gw.start(), web.start(), app.start()]);
    await until('the recovery', () => mailsTo('ops@example.jp').some((m) => m.headers.subject!.startsWith('[RECOVERED] gw')));
    await new Promise((r) => setTimeout(r, 1500));
    const after = smtp.mails.slice(start).map((m) => parseMail(m.raw).headers.subject);
    assert.equal(after.filter((s) => /web1/.test(s!)).length, 0, `no stale web1 alerts after gw came back: ${after.join(' | ')}`);
  } finally {
    await daemon.stop();
    for (const s of [gw, web, app]) await s.stop().catch(() => {});
  }
});

test('a channel that keeps failing is recorded in the timeline and reported to the operator', async () => {
  const hook = await recordingServer(() => ({ status: 500, body: 'broken' }));
  const web = await service();
  const file = join(dir, 'three.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'three.db')} }
web: { enabled: false }
notifications: { settle: 100ms, delivery: { attempts: 3, base_delay: 100ms } }
targets:
  - name: web1
    address: 127.0.0.1
    checks:
      - { type: tcp, name: http, port: ${web.port} }
contacts:
  - name: ops
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [ops@example.jp] }
  - name: client-a
    language: ja
    targets: [web1]
    channels:
      - { type: webhook, name: client-hook, url: '${hook.url}/hook' }
`,
  );
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  try {
    await web.stop();
    const failed = await until('the failure report to ops', () => mailsTo('ops@example.jp').find((m) => m.headers.subject!.startsWith('[NOTIFY FAILED]')));
    assert.match(failed.headers.subject!, /client-hook \(webhook\) for client-a is failing/);
    assert.match(failed.body, /HTTP 500/);
    assert.equal(hook.requests.length, 3, 'retried as configured, then given up');
    const inc = daemon.alerting.incidents.current('web1')!;
    await new Promise((r) => setTimeout(r, 300));
    const store = (daemon as unknown as { store: import('../../src/store/types.ts').Store }).store;
    const timeline = await store.incidentEvents(inc.id);
    const bad = timeline.find((e) => e.kind === 'notify-failed')!;
    assert.match(bad.text, /could not tell client-a by client-hook \(webhook\): .*HTTP 500/);
    assert.equal((bad.data!.attempts as unknown[]).length, 3);
  } finally {
    await daemon.stop();
    await hook.close();
    await web.stop().catch(() => {});
  }
});
