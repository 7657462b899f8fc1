/**
 * The guard's filters over hand-written sample lines (test/fixtures/logs/<filter>.txt): each
 * filter finds the client's address (canonical), the user, and nothing in lines that are not
 * failures; the scanner hands a line only to the filters of its syslog program, and every filter
 * finds the same alone as among all the others.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import type { FilterDefinition } from '../../src/guard/failure.ts';
import { normaliseAddress } from '../../src/guard/failure.ts';
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
