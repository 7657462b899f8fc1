/**
 * The journald source. This machine runs no systemd-journald, so the live tests follow a real
 * journal file that the test writes with systemd-journal-remote (Debian package
 * `systemd-journal-remote`) and reads with the real journalctl (`--directory`). The parsing tests
 * use journalctl's own output, captured from such a journal, as the fixture.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import journald, { journalctlArgs } from '../../src/guard/sources/journald.ts';
import { parseJournalLine } from '../../src/guard/sources/journald-entry.ts';
import type { LineBatch } from '../../src/guard/sources/types.ts';
import { needs } from '../helpers/prereq.ts';

/** `journalctl -D <dir> -o json --all --output-fields=...` on entries written by systemd-journal-remote. */
const FIXTURE = String.raw`{"_PID":"8101","_HOSTNAME":"s68","_BOOT_ID":"0123456789abcdef0123456789abcdef","_SYSTEMD_UNIT":"vpopmail.service","__CURSOR":"s=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=1;b=0123456789abcdef0123456789abcdef;m=1388;t=648c3ab2fce40;x=ba6684ff1a20fb12","SYSLOG_PID":"8101","__MONOTONIC_TIMESTAMP":"5000","SYSLOG_IDENTIFIER":"vpopmail","MESSAGE":"vchkpw-pop3: vpopmail user not found family@:178.216.51.67","__REALTIME_TIMESTAMP":"1768855088123456"}
{"__CURSOR":"s=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=2;b=0123456789abcdef0123456789abcdef;m=1389;t=648c3ab3d2e41;x=447213ff26955ed","__REALTIME_TIMESTAMP":"1768855089000001","_BOOT_ID":"0123456789abcdef0123456789abcdef","_HOSTNAME":"s68","_SYSTEMD_UNIT":"ssh.service","_COMM":"sshd","_PID":"4242","SYSLOG_IDENTIFIER":"sshd","__MONOTONIC_TIMESTAMP":"5001","MESSAGE":[73,110,118,97,108,105,100,32,117,115,101,114,32,255,254,32,102,114,111,109,32,50,48,51,46,48,46,49,49,51,46,57,32,112,111,114,116,32,52,55,49,49]}
{"_BOOT_ID":"0123456789abcdef0123456789abcdef","__CURSOR":"s=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=3;b=0123456789abcdef0123456789abcdef;m=138a;t=648c3ab4c7080;x=bd4db4a6cdfc4ca5","__MONOTONIC_TIMESTAMP":"5002","_PID":"4242","SYSLOG_IDENTIFIER":"sshd","_HOSTNAME":"s68","__REALTIME_TIMESTAMP":"1768855090000000","MESSAGE":"Invalid user x\nJan 19 20:38:08 s68 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2"}
{"SYSLOG_IDENTIFIER":"dovecot","_BOOT_ID":"0123456789abcdef0123456789abcdef","_HOSTNAME":"s68","MESSAGE":["first value","second value"],"__MONOTONIC_TIMESTAMP":"5003","__REALTIME_TIMESTAMP":"1768855091000000","__CURSOR":"s=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=4;b=0123456789abcdef0123456789abcdef;m=138b;t=648c3ab5bb2c0;x=6e2fea9d53f64a54"}
{"_HOSTNAME":"s68","__MONOTONIC_TIMESTAMP":"5004","_BOOT_ID":"0123456789abcdef0123456789abcdef","__CURSOR":"s=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=5;b=0123456789abcdef0123456789abcdef;m=138c;t=648c3ab6af500;x=da4c891fda3672e8","_COMM":"kernel-ish","__REALTIME_TIMESTAMP":"1768855092000000"}
{"MESSAGE":null,"__MONOTONIC_TIMESTAMP":"5005","SYSLOG_IDENTIFIER":"big","__CURSOR":"s=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=6;b=0123456789abcdef0123456789abcdef;m=138d;t=648c3ab7a3740;x=3a8af30bb9ef79e8","__REALTIME_TIMESTAMP":"1768855093000000","_BOOT_ID":"0123456789abcdef0123456789abcdef"}`.split('\n');

test('journalctl JSON: string, byte-array and repeated MESSAGE; time, identifier, pid, unit; one line per entry', () => {
  const e = FIXTURE.map((l) => parseJournalLine(l, 16384));
  assert.equal(e[0]!.line, '2026-01-19T20:38:08.123456+00:00 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67');
  assert.deepEqual(e[0]!.meta, { time: 1768855088123, identifier: 'vpopmail', unit: 'vpopmail.service', pid: 8101 });
  assert.equal(e[0]!.cursor, 's=3823bd4751dc4dd0a31d9dfc3a2d5fec;i=1;b=0123456789abcdef0123456789abcdef;m=1388;t=648c3ab2fce40;x=ba6684ff1a20fb12');
  // Bytes that are not UTF-8 come as an array of numbers; decoded, the invalid ones replaced.
  assert.equal(e[1]!.line, '2026-01-19T20:38:09.000001+00:00 s68 sshd[4242]: Invalid user \uFFFD\uFFFD from 203.0.113.9 port 4711');
  assert.equal(e[1]!.meta.unit, 'ssh.service');
  assert.equal(e[3]!.line, '2026-01-19T20:38:11.000000+00:00 s68 dovecot: first value');
  // An entry without a message moves the cursor but gives no line; MESSAGE null (too large) likewise.
  assert.equal(e[4]!.line, '');
  assert.equal(e[4]!.cursor?.includes('i=5'), true);
  assert.equal(e[5]!.line, '');
  assert.equal(parseJournalLine('not json', 100), undefined);
  assert.equal(parseJournalLine('[1,2]', 100), undefined);
});

test('journalctl JSON: a newline inside MESSAGE never makes a second (forged) line: control characters are escaped as rsyslog does', () => {
  const e = parseJournalLine(FIXTURE[2]!, 16384)!;
  assert.equal(e.line, '2026-01-19T20:38:10.000000+00:00 s68 sshd[4242]: Invalid user x#012Jan 19 20:38:08 s68 sshd[1]: Failed password for root from 192.0.2.1 port 22 ssh2');
  assert.ok(!e.line.includes('\n'));
  const forgedTag = parseJournalLine(JSON.stringify({ __REALTIME_TIMESTAMP: '1000000', SYSLOG_IDENTIFIER: 'x sshd[1]: Failed password for root from 192.0.2.1', MESSAGE: 'hi' }), 1000)!;
  assert.equal(forgedTag.line, '1970-01-01T00:00:01.000000+00:00 localhost x_sshd_1___Failed_password_for_root_from_192.0.2.1: hi');
});

test('journalctl argv: units as services, OR between groups, after the cursor with --no-tail', () => {
  const o = journald.schema.parse({ units: ['dovecot', 'postfix@-.service'], identifiers: ['vpopmail'], directory: '/tmp/j' });
  assert.deepEqual(journalctlArgs(o, undefined), [
    '--follow', '--output=json', '--all', '--no-pager', '--quiet',
    '--output-fields=MESSAGE,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM,_SYSTEMD_UNIT,_HOSTNAME',
    '--directory=/tmp/j', '--no-tail',
    '_SYSTEMD_UNIT=dovecot.service', '_SYSTEMD_UNIT=postfix@-.service', '+', 'SYSLOG_IDENTIFIER=vpopmail',
  ]);
  const withCursor = journalctlArgs(journald.schema.parse({ identifiers: ['sshd'] }), 's=1;i=2');
  assert.deepEqual(withCursor.slice(6), ['--after-cursor=s=1;i=2', '--no-tail', 'SYSLOG_IDENTIFIER=sshd']);
  assert.throws(() => journald.schema.parse({ matches: ['--since=yesterday'] }), /FIELD=value/);
  assert.throws(() => journald.schema.parse({ units: ['a b'] }), /no spaces/);
});

const REMOTE = ['/usr/lib/systemd/systemd-journal-remote', '/lib/systemd/systemd-journal-remote'].find((p) => existsSync(p)) ?? '/usr/lib/systemd/systemd-journal-remote';

interface Entry {
  id: string;
  msg: string | Buffer;
  unit?: string;
}

let mono = 1000;
/** Appends entries to `<dir>/remote.journal` through systemd-journal-remote's export-format input. */
async function append(dir: string, entries: Entry[]): Promise<void> {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const us = BigInt(Date.UTC(2026, 0, 19, 20, 38, 8)) * 1000n + BigInt(mono);
    const field = (k: string, v: string | Buffer) => {
      const b = Buffer.isBuffer(v) ? v : Buffer.from(v);
      if (!b.includes(10) && !Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`${k}=`), b, Buffer.from('\n')]);
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(b.length));
      return Buffer.concat([Buffer.from(`${k}\n`), len, b, Buffer.from('\n')]);
    };
    parts.push(field('__REALTIME_TIMESTAMP', String(us)), field('__MONOTONIC_TIMESTAMP', String(mono++)), field('_BOOT_ID', '0123456789abcdef0123456789abcdef'));
    parts.push(field('_HOSTNAME', 's68'), field('SYSLOG_IDENTIFIER', e.id), field('SYSLOG_PID', '8101'), field('MESSAGE', e.msg));
    if (e.unit) parts.push(field('_SYSTEMD_UNIT', e.unit));
    parts.push(Buffer.from('\n'));
  }
  await new Promise<void>((resolve, reject) => {
    const child = spawn(REMOTE, [`--output=${join(dir, 'remote.journal')}`, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`systemd-journal-remote exited ${code}: ${err}`))));
    child.stdin.end(Buffer.concat(parts));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('live journal: follows new entries of the chosen identifiers and units, resumes from the saved cursor after a restart', async (t) => {
  if (needs(t, { commands: ['journalctl', REMOTE] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-journal-'));
  const got: LineBatch[] = [];
  const lines = () => got.flatMap((b) => b.lines.map((l) => l.replace(/^\S+ /, '')));
  const until = async (n: number) => {
    const deadline = Date.now() + 8000;
    while (lines().length < n && Date.now() < deadline) await sleep(20);
    await sleep(300); // anything extra (a duplicate) would arrive by now
  };
  const create = () =>
    journald.create(journald.schema.parse({ directory: dir, identifiers: ['vpopmail'], units: ['dovecot'], from: 'start' }), { name: 'mail', stateDir: join(dir, 'state'), log: silentLogger });
  let src = create();
  try {
    await append(dir, [
      { id: 'vpopmail', msg: 'vchkpw-pop3: vpopmail user not found a@:178.216.51.67' },
      { id: 'cron', msg: 'not for this source' },
      { id: 'dovecot', msg: 'pop3-login: Aborted login (auth failed, 1 attempts): user=<b>, rip=178.216.51.67', unit: 'dovecot.service' },
    ]);
    await src.start((b) => got.push(b));
    await until(2);
    await append(dir, [{ id: 'vpopmail', msg: Buffer.from('bytes \xff then\nsecond line', 'latin1') }]);
    await until(3);
    assert.deepEqual(lines(), [
      's68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found a@:178.216.51.67',
      's68 dovecot[8101]: pop3-login: Aborted login (auth failed, 1 attempts): user=<b>, rip=178.216.51.67',
      's68 vpopmail[8101]: bytes \uFFFD then#012second line',
    ]);
    assert.equal(got[0]!.meta![0]!.identifier, 'vpopmail');
    assert.equal(got[0]!.meta![0]!.time, Date.UTC(2026, 0, 19, 20, 38, 8) + 1);
    await src.stop();
    const state = JSON.parse(readFileSync(join(dir, 'state', 'mail.journald.json'), 'utf8'));
    assert.match(state.cursor, /^s=[0-9a-f]+;i=[0-9a-f]+;/);

    await append(dir, [
      { id: 'vpopmail', msg: 'while stopped 1' },
      { id: 'vpopmail', msg: 'while stopped 2' },
    ]);
    src = create();
    await src.start((b) => got.push(b));
    await until(5);
    await append(dir, [{ id: 'vpopmail', msg: 'after restart' }]);
    await until(6);
    assert.deepEqual(lines().slice(3), ['s68 vpopmail[8101]: while stopped 1', 's68 vpopmail[8101]: while stopped 2', 's68 vpopmail[8101]: after restart']);
  } finally {
    await src.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live journal: a first start without a cursor begins at the end by default', async (t) => {
  if (needs(t, { commands: ['journalctl', REMOTE] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-journal-'));
  const got: string[] = [];
  const src = journald.create(journald.schema.parse({ directory: dir, identifiers: ['sshd'] }), { name: 'ssh', stateDir: join(dir, 'state'), log: silentLogger });
  try {
    await append(dir, [{ id: 'sshd', msg: 'old entry' }]);
    await src.start((b) => got.push(...b.lines)); // no waiting after: "the end" is pinned by a cursor
    await append(dir, [{ id: 'sshd', msg: 'Failed password for root from 178.216.51.67 port 3960 ssh2' }]);
    const deadline = Date.now() + 8000;
    while (got.length < 1 && Date.now() < deadline) await sleep(20);
    await sleep(300);
    assert.deepEqual(got.map((l) => l.replace(/^\S+ /, '')), ['s68 sshd[8101]: Failed password for root from 178.216.51.67 port 3960 ssh2']);
  } finally {
    await src.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live journal: a saved cursor journalctl refuses is replaced by the end of the journal, and following goes on', async (t) => {
  if (needs(t, { commands: ['journalctl', REMOTE] })) return;
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-journal-'));
  const got: string[] = [];
  mkdirSync(join(dir, 'state'));
  writeFileSync(join(dir, 'state', 'ssh.journald.json'), JSON.stringify({ version: 1, cursor: 'not-a-cursor' }));
  const src = journald.create(journald.schema.parse({ directory: dir, identifiers: ['sshd'], restart_delay: '50ms' }), { name: 'ssh', stateDir: join(dir, 'state'), log: silentLogger });
  try {
    await append(dir, [{ id: 'sshd', msg: 'old entry, before the start' }]);
    await src.start((b) => got.push(...b.lines));
    const deadline = Date.now() + 8000;
    const cursor = () => JSON.parse(readFileSync(join(dir, 'state', 'ssh.journald.json'), 'utf8')).cursor as string;
    while (cursor() === 'not-a-cursor' && Date.now() < deadline) await sleep(20);
    assert.match(cursor(), /^s=/); // pinned: whenever journalctl starts again, it reads from here
    await append(dir, [{ id: 'sshd', msg: 'new entry' }]);
    while (got.length < 1 && Date.now() < deadline) await sleep(20);
    await sleep(300);
    assert.deepEqual(got.map((l) => l.replace(/^\S+ /, '')), ['s68 sshd[8101]: new entry']);
  } finally {
    await src.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('journald: a journalctl that cannot be run is a SourceError that says what to do', async () => {
  const src = journald.create(journald.schema.parse({ journalctl: '/nonexistent/journalctl' }), { name: 'x', stateDir: tmpdir(), log: silentLogger });
  await assert.rejects(src.start(() => undefined), (e: Error) => e.name === 'SourceError' && /cannot run \/nonexistent\/journalctl .*set journalctl: to its path/.test(e.message));
  await src.stop();
});
