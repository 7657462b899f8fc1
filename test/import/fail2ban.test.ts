/**
 * `mamoru import fail2ban` through the real CLI, on Debian's own /etc/fail2ban (package
 * fail2ban: jail.conf, paths-*.conf, jail.d/defaults-debian.conf, filter.d) copied beside a
 * jail.local this test writes; the output is loaded with mamoru's real config loader.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mamoru } from '../helpers/cli.ts';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-import-f2b-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of Debian's fail2ban folder with `local` as its jail.local. */
function fail2banDir(name: string, local?: string): string {
  assert.ok(existsSync('/etc/fail2ban/jail.conf'), 'Debian\'s fail2ban package must be installed (.ci/run installs it)');
  const d = join(dir, name);
  cpSync('/etc/fail2ban', d, { recursive: true });
  if (local !== undefined) writeFileSync(join(d, 'jail.local'), local);
  return d;
}

const JAIL_LOCAL = `[DEFAULT]
ignoreip = 127.0.0.1/8 ::1 192.0.2.0/24
    admin.example.com 2001:db8::/48
bantime = 1h ; an inline comment
bantime.increment = true
bantime.maxtime = 2w

[sshd]
enabled = true
mode = aggressive
backend = systemd

[dovecot]
enabled = true
maxretry = 3

[postfix-sasl]
enabled = true
bantime = -1

[apache-auth]
enabled = true
findtime = 30m
logpath = %(apache_error_log)s
          /srv/www/logs/error.log

[myapp]
enabled = true
filter = myapp
port = 8080
logpath = /var/log/myapp.log

[recidive]
enabled = true
`;

const jail = (cfg: ReturnType<typeof parseConfig>, name: string) => cfg.guard.jails.find((j) => j.name === name);

test("Debian's jail.conf with a jail.local: the enabled jails with mamoru's filters, times, ports, logs and journald", async () => {
  const d = fail2banDir('full', JAIL_LOCAL);
  const out = join(dir, 'guard.yaml');
  const r = await mamoru(['import', 'fail2ban', join(d, 'jail.local'), '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const { config } = loadConfigFile(out);
  assert.deepEqual(config.guard.jails.map((j) => j.name).sort(), ['apache-auth', 'dovecot', 'postfix-sasl', 'sshd']);

  const sshd = jail(config, 'sshd')!;
  assert.deepEqual(sshd.filters, ['sshd']);
  assert.equal(sshd.mode, 'aggressive');
  assert.equal(sshd.port, 22, 'port = ssh through /etc/services');
  // backend = systemd: the journalmatch of Debian's filter.d/sshd.conf
  const journal = sshd.sources[0] as { type: string; units: string[]; identifiers: string[]; matches: string[] };
  assert.deepEqual([sshd.sources.length, journal.type, journal.units, journal.identifiers, journal.matches], [1, 'journald', ['sshd'], [], ['_COMM=sshd']]);
  assert.equal(sshd.ban_time, 3_600_000);
  assert.equal(sshd.ban_time_increment.factor, 2, 'bantime.increment doubles, as fail2ban does');
  assert.equal(sshd.ban_time_increment.max, 14 * 86_400_000);

  const dovecot = jail(config, 'dovecot')!;
  assert.equal(dovecot.max_retry, 3);
  assert.deepEqual(dovecot.filters, ['dovecot']);
  assert.equal(dovecot.port, undefined, 'several ports: every port');
  assert.deepEqual((dovecot.sources[0] as { paths: string[] }).paths, ['/var/log/mail.log'], "Debian's paths-debian.conf: syslog_mail");

  const sasl = jail(config, 'postfix-sasl')!;
  assert.deepEqual(sasl.filters, ['postfix-sasl'], 'filter = postfix[mode=auth]');
  assert.equal(sasl.ban_time, 366 * 86_400_000, 'bantime = -1: the longest mamoru has');

  const apache = jail(config, 'apache-auth')!;
  assert.deepEqual(apache.filters, ['apache-auth']);
  assert.equal(apache.find_time, 30 * 60_000);
  assert.deepEqual((apache.sources[0] as { paths: string[] }).paths, ['/var/log/apache2/*error.log', '/srv/www/logs/error.log']);

  assert.deepEqual(config.guard.allow, ['127.0.0.1/8', '::1', '192.0.2.0/24', '2001:db8::/48']);
  assert.deepEqual(config.guard.recidive && { ...config.guard.recidive, max_tracked: undefined }, { max_bans: 5, find_time: 86_400_000, ban_time: 7 * 86_400_000, max_tracked: undefined });

  const text = readFileSync(out, 'utf8');
  for (const said of [r.stderr, text]) {
    assert.match(said, /jail "myapp": left out: fail2ban filter "myapp" has no mamoru counterpart/);
    assert.match(said, new RegExp(`ignoreip "admin\\.example\\.com": not an address.*\\(${d}/jail\\.local:2\\)`));
    assert.match(said, /jail "postfix-sasl": bantime = -1: mamoru has no permanent ban; the longest, 366d, used \(.*jail\.local:19\)/);
    assert.match(said, /jail "dovecot": port = pop3,pop3s,imap,imaps,submission,465,sieve: mamoru bans one port or every port/);
  }
  assert.match(r.stderr, /^fail2ban: 5 of 6 enabled jails carried over/m);
});

test('without a jail.local: what Debian enables (sshd, through jail.d/defaults-debian.conf) from auth.log', async () => {
  const d = fail2banDir('debian');
  const r = await mamoru(['import', 'fail2ban', d]);
  assert.equal(r.code, 0, r.stderr);
  const config = parseConfig(r.stdout, 'stdout');
  assert.equal(config.guard.jails.length, 1);
  const sshd = config.guard.jails[0]!;
  assert.equal(sshd.name, 'sshd');
  const file = sshd.sources[0] as { type: string; paths: string[] };
  assert.deepEqual([sshd.sources.length, file.type, file.paths], [1, 'file', ['/var/log/auth.log']]);
  assert.equal(sshd.max_retry, 5);
  assert.equal(sshd.find_time, 600_000);
  assert.equal(sshd.ban_time, 600_000);
  assert.equal(sshd.ban_time_increment.factor, 1, 'no bantime.increment: every ban as long as the first');
  assert.match(r.stdout, /^# Enabled jails: sshd; carried over: sshd\.$/m);
});

test('-o refuses to replace a file without --force', async () => {
  const d = fail2banDir('force');
  const out = join(dir, 'exists.yaml');
  writeFileSync(out, 'keep me\n');
  const r = await mamoru(['import', 'fail2ban', d, '-o', out]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /exists\.yaml exists; add --force to replace it/);
  assert.equal(readFileSync(out, 'utf8'), 'keep me\n');
  const forced = await mamoru(['import', 'fail2ban', d, '-o', out, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(loadConfigFile(out).config.guard.jails[0]!.name, 'sshd');
});

test('unreadable input: exit 2 with the file and line', async () => {
  const bad = fail2banDir('bad', '[sshd]\nenabled = true\nthis line is no option\n');
  const r = await mamoru(['import', 'fail2ban', bad]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`${bad}/jail\\.local:3: expected "\\[section\\]" or "key = value"`));
  const missing = await mamoru(['import', 'fail2ban', join(dir, 'nowhere')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /nowhere: no such file/);
  // Headed as the file being imported, not as a problem of mamoru's own config.
  assert.match(missing.stderr, /1 problem in what was to be imported:/);
  assert.doesNotMatch(missing.stderr, /in the configuration/);
});

test('interpolation is bounded: a loop and an expansion bomb are listed, the rest still imported', async () => {
  const bomb = ['a0 = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', ...Array.from({ length: 9 }, (_, i) => `a${i + 1} = %(a${i})s%(a${i})s%(a${i})s%(a${i})s`)].join('\n');
  const d = fail2banDir('loop', `[DEFAULT]\nloop1 = %(loop2)s\nloop2 = %(loop1)s\n${bomb}\n\n[dovecot]\nenabled = true\nlogpath = %(loop1)s\n\n[sshd]\nenabled = true\nlogpath = %(a9)s\n`);
  const r = await mamoru(['import', 'fail2ban', d]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[dovecot\] logpath: cannot be read: %\(\.\.\.\)s references go deeper than 10 levels/);
  assert.match(r.stderr, /\[sshd\] logpath: cannot be read: grows past 64 KiB/);
  assert.match(r.stderr, /jail "dovecot": no logpath/);
});
