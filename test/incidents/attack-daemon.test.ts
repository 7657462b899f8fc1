/**
 * Attacks are incidents of their own (issue 13, item 3), end to end through the daemon: real
 * checks on loopback, the guard following a Dovecot log file (lines in Dovecot's own wording, as
 * recorded in test/fixtures/logs/dovecot.txt, written as they happen), the dry-run firewall, and
 * what the contacts receive through a real SMTP server (ops, English) and a real webhook receiver
 * (the client, Japanese).
 *
 * (a) an unrelated outage is open and a POP3 brute force is banned: the outage gets no ban, the
 *     attack is an incident of its own, and nobody is told of it (the default `linked`);
 * (b) POP3 refuses connections and the attacker is banned on its port: the two incidents are
 *     linked both ways, and each contact gets one "attack blocked" message, in their language,
 *     naming the address, its country, the port and the ban's end in their time zone;
 * (c) `notifications.attacks: all` tells an attack that explains nothing; `none` tells none.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import type { IncidentRecord } from '../../src/core/incident.ts';
import { Daemon } from '../../src/daemon.ts';
import { localTime } from '../../src/notify/templates/plain.ts';
import type { Store } from '../../src/store/types.ts';
import { parseMail, smtpPeer, type SmtpPeer } from '../notify/mail.ts';
import { recordingServer, type RecordingServer } from '../notify/peers.ts';
import { until } from '../helpers/wait.ts';

/** The attacker, as written in the log lines only (no packet is ever sent to or from it): a CN address in the offline database. */
const ATTACKER = '36.110.0.1';

let dir: string;
let smtp: SmtpPeer;
let hook: RecordingServer;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-attack-'));
  smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
  hook = await recordingServer();
});
after(async () => {
  await smtp.close();
  await hook.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A minimal POP3 server on loopback (greeting, QUIT); `stop()` makes its port refuse connections. */
async function pop3Server(): Promise<{ port: number; stop(): Promise<void> }> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.write('+OK Dovecot ready.\r\n');
    s.on('data', (d) => {
      if (/^QUIT/i.test(d.toString())) s.end('+OK Logging out\r\n');
      else s.write('+OK\r\n');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, stop: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A loopback port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Dovecot's line for one failed POP3 login, stamped now (UTC, as the jail is told). */
function failedLogin(address: string, i: number): string {
  const t = new Date().toISOString().replace('T', ' ').slice(0, 19);
  return `${t} pop3-login: Info: Disconnected: Connection closed (auth failed, 1 attempts in 2 secs): user=<admin${i}>, method=PLAIN, rip=${address}, lip=127.0.0.1, session=<8aM+pS5h+oYKwAd${i}>\n`;
}

let n = 0;
interface Run {
  daemon: Daemon;
  store: Store;
  log: string;
  ops: string;
  hookPath: string;
  stop(): Promise<void>;
}

async function start(o: { checks: string; jailPort: number; attacks?: string }): Promise<Run> {
  const id = ++n;
  const log = join(dir, `dovecot-${id}.log`);
  writeFileSync(log, '');
  const ops = `ops${id}@example.jp`;
  const hookPath = `/client-${id}`;
  const file = join(dir, `mamoru-${id}.yaml`);
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 2, timeout: 1s }
store: { type: sqlite, path: ${join(dir, `mamoru-${id}.db`)} }
web: { enabled: false }
notifications: { settle: 300ms${o.attacks ? `, attacks: ${o.attacks}` : ''} }
targets:
  - name: acc-srv
    address: 127.0.0.1
    checks:
${o.checks}
guard:
  firewall: { type: dry-run }
  state_dir: ${join(dir, `state-${id}`)}
  cut_connections: false
  connection_table: { enabled: false }
  enrich: { whois: { enabled: false } }
  jails:
    - { name: pop3, target: acc-srv, filters: [dovecot], sources: [{ type: file, paths: ['${log}'] }], time_zone: UTC, max_retry: 3, find_time: 1m, ban_time: 10m, port: ${o.jailPort} }
contacts:
  - name: ops
    language: en
    time_zone: Europe/Paris
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [${ops}] }
  - name: yamada-shoji
    language: ja
    targets: [acc-srv]
    channels:
      - { type: webhook, url: '${hook.url}${hookPath}' }
`,
  );
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  const store = (daemon as unknown as { store: Store }).store;
  return { daemon, store, log, ops, hookPath, stop: () => daemon.stop() };
}

const mails = (to: string) => smtp.mails.filter((m) => m.rcptTo.includes(to)).map((m) => parseMail(m.raw));
const hooks = (path: string) => hook.requests.filter((r) => r.url === path).map((r) => JSON.parse(r.body) as { subject: string; text: string; language: string; event: string });
const attackSubjects = (r: Run) => [...mails(r.ops).map((m) => m.headers.subject!), ...hooks(r.hookPath).map((h) => h.subject)].filter((s) => /ATTACK BLOCKED|攻撃を遮断/.test(s));

/** The brute force: three failed logins, the jail's threshold. */
async function bruteForce(r: Run): Promise<void> {
  for (let i = 0; i < 3; i++) appendFileSync(r.log, failedLogin(ATTACKER, i));
  await until('the ban', async () => (await r.store.bans()).some((b) => b.address === ATTACKER), 10_000);
}

async function attackIncident(r: Run): Promise<IncidentRecord> {
  return until('the attack incident', async () => (await r.store.incidents()).find((i) => i.kind === 'attack'), 10_000);
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('(a) an unrelated outage is open and a POP3 brute force is banned: no ban in the outage, an attack incident of its own, nobody told of it', async () => {
  const pop3 = await pop3Server();
  const web = await closedPort();
  const r = await start({ checks: `      - { type: pop3, port: ${pop3.port} }\n      - { type: tcp, name: web, port: ${web} }`, jailPort: pop3.port });
  try {
    const [problem] = await until('the outage message to ops', () => mails(r.ops).length >= 1 && mails(r.ops));
    assert.match(problem!.headers.subject!, /^\[PROBLEM\] acc-srv: /);
    const outage = r.daemon.alerting.incidents.current('acc-srv')!;
    await bruteForce(r);
    const attack = await attackIncident(r);
    assert.equal(attack.status, 'resolved', 'blocked: nothing left for a person');
    assert.deepEqual(attack.attack!.bans.map((b) => [b.address, b.port, b.tried, b.failures]), [[ATTACKER, pop3.port, 'pop3', 3]]);
    await settle(2_000);
    const events = await r.store.incidentEvents(outage.id);
    assert.deepEqual(events.filter((e) => e.kind === 'ban' || e.kind === 'linked'), [], 'the outage has no ban and no link');
    assert.equal((await r.store.incident(outage.id))!.links, undefined);
    assert.ok((await r.store.incidentEvents(attack.id)).some((e) => e.kind === 'ban' && e.data?.address === ATTACKER), 'the ban is in the attack incident');
    assert.deepEqual(attackSubjects(r), [], 'a blocked attack that explains nothing is for the console (attacks: linked)');
    const told = [...mails(r.ops).map((m) => `${m.headers.subject}\n${m.body}`), ...hooks(r.hookPath).map((h) => `${h.subject}\n${h.text}`)];
    assert.ok(told.length >= 2, 'the outage was told to both contacts');
    for (const t of told) assert.doesNotMatch(t, new RegExp(`banned|${ATTACKER.replace(/\./g, '\\.')}`), 'no word of the ban in an outage message');
  } finally {
    await r.stop();
    await pop3.stop();
  }
});

test('(b) POP3 refuses connections and the attacker is banned on its port: linked both ways; one "attack blocked" message per contact, in their language and zone', async () => {
  const port = await closedPort(); // POP3 is down: the port refuses connections
  const r = await start({ checks: `      - { type: pop3, port: ${port} }`, jailPort: port });
  try {
    // The outage is told first (a ban within its first message's settle window rides in that message).
    const [problem] = await until('the POP3 outage message to ops', () => mails(r.ops).length >= 1 && mails(r.ops), 10_000);
    assert.match(problem!.headers.subject!, /^\[PROBLEM\] acc-srv: Incoming mail \(POP3\)/);
    const outage = r.daemon.alerting.incidents.current('acc-srv')!;
    await bruteForce(r);
    const attack = await attackIncident(r);
    const linked = await until('the links', async () => {
      const [a, o] = [await r.store.incident(attack.id), await r.store.incident(outage.id)];
      return a?.links?.length && o?.links?.length ? { a: a!, o: o! } : undefined;
    }, 10_000);
    assert.deepEqual(linked.a.links!.map((l) => [l.incident, l.relation, l.why]), [[outage.id, 'explains', `${ATTACKER} banned on port ${port}`]]);
    assert.deepEqual(linked.o.links!.map((l) => [l.incident, l.relation, l.why]), [[attack.id, 'explained-by', `${ATTACKER} banned on port ${port}`]]);
    const oLine = (await r.store.incidentEvents(outage.id)).find((e) => e.kind === 'linked');
    const aLine = (await r.store.incidentEvents(attack.id)).find((e) => e.kind === 'linked');
    assert.equal(oLine?.text, `explained by attack incident #${attack.id}: ${ATTACKER} banned on port ${port}`);
    assert.match(aLine?.text ?? '', new RegExp(`^explains incident #${outage.id}: pop3 CRITICAL`));

    const [ban] = (await r.store.bans()).filter((b) => b.address === ATTACKER);
    const en = await until('the attack mail to ops', () => mails(r.ops).find((m) => m.headers.subject!.startsWith('[ATTACK BLOCKED]')), 10_000);
    const ja = await until('the attack message to the client', () => hooks(r.hookPath).find((h) => h.subject.startsWith('【攻撃を遮断】')), 10_000);
    assert.equal(en.headers.subject, `[ATTACK BLOCKED] acc-srv: ${ATTACKER} (CN) brute-forcing POP3, blocked on port ${port}`);
    assert.equal(ja.subject, `【攻撃を遮断】acc-srv: ${ATTACKER}（CN）による POP3 への総当たり攻撃をポート ${port} で遮断`);
    assert.equal(ja.language, 'ja');
    // Who, what they tried, what is blocked, until when (the contact's zone), what it explains.
    assert.ok(en.body.includes(`- ${ATTACKER}, China (CN)`), en.body);
    assert.ok(en.body.includes(`- ${ATTACKER}: 3 failed POP3 logins within 1 min`), en.body);
    assert.ok(en.body.includes(`Connections to port ${port}, from these addresses only.`), en.body);
    assert.ok(en.body.includes(`${localTime(ban!.until!, 'Europe/Paris')}; the block lifts by itself then.`), en.body);
    assert.ok(en.body.includes(`This attack explains incident #${outage.id} (incoming mail (POP3) on acc-srv). Its cause is blocked now.`), en.body);
    assert.ok(ja.text.includes(`- ${ATTACKER}（中国（CN））`), ja.text);
    assert.ok(ja.text.includes(`- ${ATTACKER}: POP3 へのログインに 3 回失敗しました（1分以内）`), ja.text);
    assert.ok(ja.text.includes(`ポート ${port} への接続を、上記の送信元からのみ遮断しています。`), ja.text);
    assert.ok(ja.text.includes(`${localTime(ban!.until!, 'Asia/Tokyo')} まで`), ja.text);
    assert.match(localTime(ban!.until!, 'Asia/Tokyo'), / JST$/);
    assert.ok(ja.text.includes(`この攻撃がインシデント #${outage.id}（acc-srv のメール受信（POP3）の不具合）の原因です。`), ja.text);
    // Wholly Japanese: once the address, host, contact, numbers and names (POP3, CN, JST, mamoru) are set aside, no Latin word is left.
    const rest = `${ja.subject}\n${ja.text}`.replaceAll(ATTACKER, '').replaceAll('acc-srv', '').replaceAll('yamada-shoji', '').replace(/\b(POP3|CN|JST|mamoru)\b/g, '');
    assert.doesNotMatch(rest, /[A-Za-z]{2,}/, rest);

    await settle(1_500);
    assert.equal(attackSubjects(r).length, 2, 'one attack message per contact');
    // The outage hears that its cause was found and blocked, in each contact's language.
    const update = await until('the outage update to ops', () => mails(r.ops).find((m) => m.headers.subject!.startsWith('[UPDATE]') && m.body.includes('The cause was found and blocked')), 10_000);
    assert.ok(update.body.includes(`an attack from ${ATTACKER} (attack incident #${attack.id})`), update.body);
    const jaUpdate = await until('the outage update to the client', () => hooks(r.hookPath).find((h) => h.subject.startsWith('【続報】')), 10_000);
    assert.ok(jaUpdate.text.includes(`原因を特定し、遮断しました: ${ATTACKER} からの攻撃です（インシデント番号 #${attack.id}）。`), jaUpdate.text);
  } finally {
    await r.stop();
  }
});

test('(c) notifications.attacks: all tells an attack that explains nothing; none tells none, even one that explains an outage', async () => {
  const pop3 = await pop3Server();
  const all = await start({ checks: `      - { type: pop3, port: ${pop3.port} }`, jailPort: pop3.port, attacks: 'all' });
  try {
    await settle(1_000);
    await bruteForce(all);
    const attack = await attackIncident(all);
    const en = await until('the attack mail to ops', () => mails(all.ops).find((m) => m.headers.subject!.startsWith('[ATTACK BLOCKED]')), 10_000);
    assert.equal(en.headers.subject, `[ATTACK BLOCKED] acc-srv: ${ATTACKER} (CN) brute-forcing POP3, blocked on port ${pop3.port}`);
    assert.ok(en.body.includes('No problem mamoru watches was caused by it so far.'), en.body);
    const ja = await until('the attack message to the client', () => hooks(all.hookPath).find((h) => h.subject.startsWith('【攻撃を遮断】')), 10_000);
    assert.ok(ja.text.includes('現時点で、この攻撃によるサービスへの影響は確認されていません。'), ja.text);
    assert.equal(attack.links, undefined);
    await settle(1_000);
    assert.equal(attackSubjects(all).length, 2, 'one message per contact');
  } finally {
    await all.stop();
    await pop3.stop();
  }

  const port = await closedPort();
  const none = await start({ checks: `      - { type: pop3, port: ${port} }`, jailPort: port, attacks: 'none' });
  try {
    await until('the POP3 outage', () => none.daemon.alerting.incidents.current('acc-srv')?.status === 'open', 10_000);
    await bruteForce(none);
    const attack = await attackIncident(none);
    await until('the link', async () => (await none.store.incident(attack.id))?.links?.length, 10_000);
    await settle(2_000);
    assert.deepEqual(attackSubjects(none), [], 'attacks: none');
  } finally {
    await none.stop();
  }
});
