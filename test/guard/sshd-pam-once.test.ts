/**
 * One wrong SSH password on Debian (sshd with UsePAM) writes two lines from the same sshd process:
 * pam_unix's `authentication failure; ... rhost=ADDR` and sshd's `Failed password for USER from
 * ADDR port N ssh2`. It must count once toward max_retry: N attempts are N failures, and a jail
 * with max_retry 3 bans at the third attempt, not the second. The lines are as Debian 12's
 * OpenSSH 9.2p1 and pam_unix write them through rsyslog (auth.c auth_log(), pam_unix_auth.c
 * pam_syslog "authentication failure; logname=%s uid=%d euid=%d tty=%s ruser=%s rhost=%s  user=%s").
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import { RecentLines } from '../../src/guard/filters/recent.ts';
import { Jail, jailSchema } from '../../src/guard/jail.ts';

/** Just after the lines below (Dec 7 10:00), so they are within any find_time. */
const NOW = Date.UTC(2026, 11, 7, 10, 1);
const pam = (pid: number, s: number, addr: string, user = 'root') =>
  `Dec  7 10:00:${String(s).padStart(2, '0')} web1 sshd[${pid}]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr}  user=${user}`;
const failed = (pid: number, s: number, addr: string, user = 'root') =>
  `Dec  7 10:00:${String(s).padStart(2, '0')} web1 sshd[${pid}]: Failed password for ${user} from ${addr} port 51234 ssh2`;

/** One connection of `n` wrong passwords, as sshd and PAM log it, ending with PAM's summary. */
function session(pid: number, addr: string, n: number, from = 0): string[] {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(pam(pid, from + 3 * i, addr), failed(pid, from + 3 * i + 2, addr));
  if (n > 1) lines.push(`Dec  7 10:00:${String(from + 3 * n).padStart(2, '0')} web1 sshd[${pid}]: PAM ${n - 1} more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=${addr}  user=root`);
  return lines;
}

function scanAll(lines: string[]) {
  const scanner = new LogScanner(Object.values(filters), { timeZone: 'UTC', now: () => NOW });
  return lines.map((l) => scanner.scan(l)).filter((f) => f !== undefined);
}

test('N wrong passwords through PAM are N failures, whichever line comes first', () => {
  for (const n of [1, 2, 3, 6]) {
    const got = scanAll(session(4242, '203.0.113.5', n));
    assert.equal(got.length, n, `${n} attempts`);
    assert.ok(got.every((f) => f.filter === 'sshd' && f.address === '203.0.113.5'));
  }
  // sshd's line first (keyboard-interactive through PAM logs it in that order on some builds).
  const reversed = session(4243, '203.0.113.6', 3).slice(0, 6);
  for (let i = 0; i < reversed.length; i += 2) [reversed[i], reversed[i + 1]] = [reversed[i + 1]!, reversed[i]!];
  assert.equal(scanAll(reversed).length, 3);
});

test('interleaved connections are kept apart by pid, and an address is never paired with another', () => {
  const a = session(5001, '203.0.113.7', 4);
  const b = session(5002, '198.51.100.8', 4);
  const mixed: string[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) mixed.push(...(a[i] ? [a[i]!] : []), ...(b[i] ? [b[i]!] : []));
  const got = scanAll(mixed);
  assert.equal(got.filter((f) => f.address === '203.0.113.7').length, 4);
  assert.equal(got.filter((f) => f.address === '198.51.100.8').length, 4);
  // Same pid, other address (a reused pid): both count.
  assert.equal(scanAll([pam(6001, 1, '203.0.113.9'), failed(6001, 2, '192.0.2.10')]).length, 2);
  // Lines without a pid (an `sshd -E` file) cannot be paired: each counts.
  assert.equal(scanAll(['Failed password for root from 203.0.113.11 port 40022 ssh2', 'Failed password for root from 203.0.113.11 port 40023 ssh2']).length, 2);
});

test('a jail with max_retry 3 bans at the third wrong password, not the second', () => {
  const jail = new Jail('ssh', jailSchema.parse({ filters: ['sshd'], max_retry: 3 }));
  const scanner = new LogScanner([filters.sshd], { timeZone: 'UTC', now: () => NOW });
  const decisions: { attempt: number; banned: boolean }[] = [];
  session(7001, '203.0.113.12', 3).forEach((line, i) => {
    const f = scanner.scan(line);
    if (f) decisions.push({ attempt: Math.floor(i / 2) + 1, banned: jail.record(f, NOW).ban !== undefined });
  });
  assert.deepEqual(decisions, [
    { attempt: 1, banned: false },
    { attempt: 2, banned: false },
    { attempt: 3, banned: true },
  ]);
});

test('the memory of recent lines is bounded', () => {
  const recent = new RecentLines(4);
  for (let i = 0; i < 100; i++) recent.set(String(i), 'p203.0.113.1');
  assert.equal(recent.size, 4);
  assert.equal(recent.get('0'), undefined);
  assert.equal(recent.get('99'), 'p203.0.113.1');
  // A flood of sshd processes: the scanner's memory stays small, and pairing still works after.
  const flood = Array.from({ length: 2000 }, (_, i) => pam(10000 + i, 1, '203.0.113.13'));
  const scanner = new LogScanner([filters.sshd], { timeZone: 'UTC', now: () => NOW });
  for (const l of flood) scanner.scan(l);
  assert.equal(scanner.scan(failed(10000 + 1999, 2, '203.0.113.13')), undefined);
});
