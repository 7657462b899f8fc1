/**
 * The guard's filters over hand-written sample lines (test/fixtures/logs/<filter>.txt): each
 * filter finds the client's address (canonical), the user, and nothing in lines that are not
 * failures; the scanner hands a line only to the filters of its syslog program, and every filter
 * finds the same alone as among all the others; filter modes from the jail config and logtest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FilterDefinition, FilterMode } from '../../src/guard/failure.ts';
import { normaliseAddress } from '../../src/guard/failure.ts';
import { guardSchema } from '../../src/config/guard.ts';
import { mamoru } from '../helpers/cli.ts';
import { hasSamples, readSamples } from '../fixtures/logs/samples.ts';

const all = Object.values(filters) as FilterDefinition[];
const NOW = Date.UTC(2026, 10, 26, 12);
const scanner = (list: FilterDefinition[]) => new LogScanner(list, { timeZone: 'UTC', now: () => NOW });

test('every filter: type equals its registry name, a summary, and a sample file', () => {
  for (const [name, f] of Object.entries(filters)) {
    assert.equal(f.type, name);
    assert.ok(f.summary.length > 10, `${name}: summary`);
    assert.ok(hasSamples(name), `test/fixtures/logs/${name}.txt is missing`);
    const samples = readSamples(name);
    assert.ok(samples.some((s) => s.address) && samples.some((s) => !s.address), `${name}: samples need failures and non-failures`);
  }
});

for (const [name, filter] of Object.entries(filters) as [string, FilterDefinition][]) {
  test(`${name}: the sample lines`, () => {
    const alone = scanner([filter]);
    const together = scanner(all);
    for (const s of readSamples(name)) {
      const f = alone.scan(s.line, 7);
      assert.equal(f?.address, s.address, `${s.where}: address\n  ${s.line}`);
      if (f) {
        assert.equal(f.filter, name);
        assert.equal(f.raw, s.line);
        assert.equal(f.line, 7);
        assert.ok(Number.isFinite(f.time), `${s.where}: time`);
        if (s.user !== undefined) assert.equal(f.user ?? '', s.user, `${s.where}: user`);
      }
      const g = together.scan(s.line);
      assert.equal(g?.address, s.address, `${s.where}: with all filters\n  ${s.line}`);
      if (g) assert.equal(g.filter, name, `${s.where}: taken by another filter`);
    }
  });
}

test('the time of a failure comes from its line, in the log\'s time zone', () => {
  const tokyo = new LogScanner(all, { timeZone: 'Asia/Tokyo', now: () => NOW });
  const at = (line: string) => new Date(tokyo.scan(line)!.time).toISOString();
  assert.equal(at('Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67'), '2026-01-19T11:38:08.000Z');
  assert.equal(at('2026-01-19T20:38:08.250+01:00 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.40]: SASL LOGIN authentication failed: UGFzc3dvcmQ6'), '2026-01-19T19:38:08.250Z');
  assert.equal(at('Thu Nov 26 14:21:08 2026 [pid 1] [x] FAIL LOGIN: Client "203.0.113.1"'), '2026-11-26T05:21:08.000Z');
  assert.equal(at('2026/11/26 14:20:26 [error] 1#1: *1 user "x": password mismatch, client: 203.0.113.2, server: _'), '2026-11-26T05:20:26.000Z');
  // A line without a time (sshd -E) happened when it was read.
  assert.equal(tokyo.scan('Invalid user x from 203.0.113.3 port 1')!.time, NOW);
});

test('the scanner: a program no filter reads is passed over; extra program names reach a filter', () => {
  const line = 'Jan 19 00:00:01 host my-sshd[1]: Failed password for root from 203.0.113.9 port 22 ssh2';
  assert.equal(scanner(all).scan(line), undefined);
  const s = new LogScanner(all, { timeZone: 'UTC', now: () => NOW, programs: { sshd: ['my-sshd'] } });
  assert.equal(s.scan(line)?.address, '203.0.113.9');
  assert.equal(s.scan(line)?.filter, 'sshd');
  // The same words from a program that is some filter's but not sshd's.
  assert.equal(scanner(all).scan('Jan 19 00:00:01 host dovecot: Failed password for root from 203.0.113.9 port 22 ssh2'), undefined);
});

test('the scanner: the same timestamp many times, then another, is read right each time', () => {
  const s = scanner(all);
  const line = (t: string, ip: string) => `${t} s68 vpopmail[1]: vchkpw-pop3: vpopmail user not found x@:${ip}`;
  const a = s.scan(line('Jan 19 20:38:08', '203.0.113.1'))!.time;
  assert.equal(s.scan(line('Jan 19 20:38:08', '203.0.113.2'))!.time, a);
  assert.equal(s.scan(line('Jan 19 20:38:09', '203.0.113.3'))!.time, a + 1000);
  // A remembered `Jan 19 20:38:08` must not stand for `Jan 19 20:38:08.5`.
  assert.equal(s.scan(`2026-01-19T20:38:08Z s68 vpopmail[1]: vchkpw-pop3: vpopmail user not found x@:203.0.113.4`)!.time, a);
  assert.equal(s.scan(`2026-01-19T20:38:08.500Z s68 vpopmail[1]: vchkpw-pop3: vpopmail user not found x@:203.0.113.4`)!.time, a + 500);
});

test('normaliseAddress: one canonical text per address, nothing that is not exactly one address', () => {
  const cases: [string, string | undefined][] = [
    ['203.0.113.5', '203.0.113.5'],
    ['::ffff:203.0.113.5', '203.0.113.5'],
    ['::FFFF:cb00:7105', '203.0.113.5'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['fe80::1%eth0', undefined],
    ['203.0.113.05', undefined],
    ['203.0.113.5/32', undefined],
    ['[2001:db8::1]', undefined],
    [' 203.0.113.5', undefined],
    ['host.example.net', undefined],
    ['', undefined],
  ];
  for (const [input, want] of cases) assert.equal(normaliseAddress(input), want, input);
});

test('modes: the jail config names one (default normal); an unknown one is refused with the choices', () => {
  const jail = (extra: Record<string, unknown>) =>
    guardSchema.safeParse({ jails: [{ name: 'ssh', filters: ['sshd'], sources: [{ type: 'file', paths: ['/var/log/auth.log'] }], ...extra }] });
  const plain = jail({});
  assert.ok(plain.success, JSON.stringify(plain.error?.issues));
  assert.equal(plain.data.jails[0]!.mode, 'normal');
  const aggressive = jail({ mode: 'aggressive' });
  assert.ok(aggressive.success);
  assert.equal(aggressive.data.jails[0]!.mode, 'aggressive');
  const bad = jail({ mode: 'loud' });
  assert.ok(!bad.success);
  const issue = bad.error.issues.find((i) => i.path.join('.') === 'jails.0.mode');
  assert.ok(issue, JSON.stringify(bad.error.issues));
  assert.match(issue.message, /normal.*aggressive.*ddos/);
});

test('modes: the same sshd lines counted per mode', () => {
  const lines = [
    'Failed password for root from 203.0.113.1 port 1 ssh2',
    'Failed publickey for root from 203.0.113.2 port 2 ssh2: ED25519 SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04',
    'banner exchange: Connection from 203.0.113.3 port 3: invalid format',
    'Received disconnect from 203.0.113.4 port 4:11: Bye Bye [preauth]',
  ];
  const found = (mode: FilterMode) => lines.map((l) => new LogScanner(all, { timeZone: 'UTC', now: () => NOW, mode }).scan(l)?.address);
  assert.deepEqual(found('normal'), ['203.0.113.1', undefined, undefined, undefined]);
  assert.deepEqual(found('ddos'), ['203.0.113.1', undefined, '203.0.113.3', undefined]);
  assert.deepEqual(found('aggressive'), ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']);
});

test('modes: mamoru logtest --mode counts what the mode adds; --help says what each adds per filter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-logtest-mode-'));
  try {
    const file = join(dir, 'auth.txt');
    writeFileSync(
      file,
      [
        'Dec  7 04:10:00 web1 sshd[1]: Failed password for root from 203.0.113.1 port 1 ssh2',
        'Dec  7 04:10:01 web1 sshd[2]: Connection closed by 203.0.113.9 port 9',
        'Dec  7 04:10:02 web1 sshd[3]: Failed publickey for root from 203.0.113.9 port 9 ssh2: ED25519 SHA256:SMflfFCNG1fMhMf9/JPShwek41Y1GZUt8T2stUkmK04',
        '',
      ].join('\n'),
    );
    const count = async (mode: string) => {
      const r = await mamoru(['logtest', 'sshd', file, '--json', '--time-zone', 'UTC', '--mode', mode]);
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { address: string }).address);
    };
    assert.deepEqual(await count('normal'), ['203.0.113.1']);
    assert.deepEqual(await count('ddos'), ['203.0.113.1', '203.0.113.9']);
    assert.deepEqual(await count('aggressive'), ['203.0.113.1', '203.0.113.9', '203.0.113.9']);
    const bad = await mamoru(['logtest', 'sshd', file, '--mode', 'loud']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--mode: expected one of normal, aggressive, ddos, got "loud"/);
    const help = await mamoru(['logtest', '--help']);
    assert.equal(help.code, 0);
    for (const [type, f] of Object.entries(filters) as [string, FilterDefinition][]) {
      for (const [mode, adds] of Object.entries(f.modes ?? {})) assert.ok(help.stdout.includes(`${type} ${mode}: ${adds}`), `${type} ${mode} in --help:\n${help.stdout}`);
    }
    assert.match(help.stdout, /sshd ddos: .*identification/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
