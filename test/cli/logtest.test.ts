/**
 * `mamoru logtest` through the real CLI: the filter list, counts per filter and per address, the
 * unmatched lines that look like failures, one JSON object per match (line numbers, canonical
 * addresses, ISO times in the log's zone, UTF-8 user names), standard input, and exit 2 with
 * the reason for an unknown filter, a missing file or a bad time zone.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, mamoru, type CliRun } from '../helpers/cli.ts';
import { filters } from '../../src/guard/filters/index.ts';
import { readSamples } from '../fixtures/logs/samples.ts';
import { needs } from '../helpers/prereq.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-logtest-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function logFile(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The CLI with `input` on its standard input, and no limit on what it prints. */
function mamoruWithInput(args: string[], input: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

interface JsonMatch {
  line: number;
  filter: string;
  address: string;
  time: string;
  user?: string;
}

const parseJsonLines = (out: string): JsonMatch[] => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as JsonMatch);

test('--list names every filter of the registry with its summary', async () => {
  const r = await mamoru(['logtest', '--list']);
  assert.equal(r.code, 0, r.stderr);
  for (const [name, f] of Object.entries(filters)) assert.match(r.stdout, new RegExp(`^${name} +${f.summary.replace(/[()]/g, '\\$&')}`, 'm'));
});

test('all filters over a mixed log: counts per filter and per address, suspicious leftovers', async () => {
  const lines = [
    'Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67',
    'Jan 19 20:38:09 s68 vpopmail[8102]: vchkpw-pop3: vpopmail user not found info@:178.216.51.67',
    'Jan 19 20:38:10 s68 dovecot: pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): user=<admin>, method=PLAIN, rip=178.216.51.67, lip=10.0.0.5, session=<abcdefghABCDEFGH>',
    'Jan 19 20:38:11 mx1 postfix/smtpd[1]: warning: unknown[203.0.113.40]: SASL LOGIN authentication failed: UGFzc3dvcmQ6',
    'Jan 19 20:38:12 s68 CRON[5]: (root) CMD (run-parts /etc/cron.hourly)',
    'Jan 19 20:38:13 s68 saslauthd[9]: do_auth: auth failure: [user=bob] [service=smtp] [realm=] [mech=pam] [reason=PAM auth error]',
    '',
    'Jan 19 20:38:14 s68 vpopmail[8103]: vchkpw-pop3: (PLAIN) login success alice@example.com:10.1.2.3',
  ];
  const r = await mamoru(['logtest', 'all', logFile('mixed.log', lines), '--time-zone', 'UTC']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^Lines: 8 read .*; 4 matched, 4 not matched$/m);
  assert.match(r.stdout, /^ {2}vpopmail +2$/m);
  assert.match(r.stdout, /^ {2}dovecot +1$/m);
  assert.match(r.stdout, /^ {2}postfix-sasl +1$/m);
  assert.match(r.stdout, /^ {2}sshd +0$/m);
  assert.match(r.stdout, /^Addresses: 2$/m);
  assert.match(r.stdout, /^ {2}178\.216\.51\.67 +3 +\(vpopmail 2, dovecot 1\)$/m);
  assert.match(r.stdout, /^ {2}203\.0\.113\.40 +1 +\(postfix-sasl 1\)$/m);
  assert.ok(r.stdout.indexOf('178.216.51.67') < r.stdout.indexOf('203.0.113.40'), 'the busiest address first');
  // saslauthd is read by no filter, but "auth failure" is worth a look.
  assert.match(r.stdout, /^Not matched but look like failures: 1, for example:$/m);
  assert.match(r.stdout, /^ {2}6: .*saslauthd\[9\]: do_auth: auth failure/m);
});

test('log text shown to people has its control characters escaped (no escape sequence reaches the terminal)', async () => {
  const r = await mamoru(['logtest', 'all', logFile('esc.log', ['Jan 19 20:38:13 s68 app[9]: login failed \x1b[31mred\x1b]0;title\x07'])]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!r.stdout.includes('\x1b'), 'no ESC on stdout');
  assert.match(r.stdout, /^ {2}1: .*login failed \\x1b\[31mred\\x1b\]0;title\\x07$/m);
});

test('--top limits the addresses shown; one filter counts only its own lines', async () => {
  const lines = Array.from({ length: 5 }, (_, i) => `Jan 19 20:38:0${i} host sshd[1]: Invalid user u${i} from 203.0.113.${i + 1} port 4000${i}`);
  lines.push('Jan 19 20:38:09 s68 vpopmail[1]: vchkpw-pop3: vpopmail user not found x@:203.0.113.9');
  const r = await mamoru(['logtest', 'sshd', logFile('top.log', lines), '--top', '2']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /; 5 matched, 1 not matched$/m);
  assert.match(r.stdout, /^Addresses: 5 \(the top 2\)$/m);
  assert.doesNotMatch(r.stdout, /^ {2}vpopmail +\d/m);
  // Not this filter's line, but its words look like a failure: listed for a look.
  assert.match(r.stdout, /^Not matched but look like failures: 1, for example:$/m);
  assert.equal((r.stdout.match(/^ {2}203\.0\.113\.\d+ +1$/gm) ?? []).length, 2);
});

test('--json: one object per matched line, as the sample files expect them', async () => {
  const samples = readSamples('dovecot');
  const file = logFile('dovecot.log', samples.map((s) => s.line));
  const r = await mamoru(['logtest', 'dovecot', file, '--json', '--time-zone', 'Asia/Tokyo']);
  assert.equal(r.code, 0, r.stderr);
  const got = parseJsonLines(r.stdout);
  const want = samples.map((s, i) => ({ line: i + 1, address: s.address })).filter((s) => s.address);
  assert.deepEqual(got.map((g) => ({ line: g.line, address: g.address })), want);
  for (const g of got) {
    assert.equal(g.filter, 'dovecot');
    assert.match(g.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  }
  // The log's own wall time read in Tokyo (UTC+9), the RFC 3339 one by its offset.
  assert.equal(got[0]!.time, '2026-11-26T05:20:29.000Z');
  assert.equal(got.find((g) => g.address === '203.0.113.26')!.time, '2026-01-19T01:00:00.123Z');
  assert.equal(got.find((g) => g.address === '2001:db8::27')!.address, '2001:db8::27');
});

test('--json: user names in UTF-8 come out as written; standard input with "-"', async () => {
  const input = [
    'Invalid user ユーザー from 203.0.113.7 port 40000',
    "Failed password for invalid user müller from 203.0.113.8 port 40001 ssh2",
  ].join('\r\n');
  const r = await mamoruWithInput(['logtest', 'all', '-', '--json'], input);
  assert.equal(r.code, 0, r.stderr);
  const got = parseJsonLines(r.stdout);
  assert.deepEqual(got.map((g) => [g.line, g.filter, g.address, g.user]), [
    [1, 'sshd', '203.0.113.7', 'ユーザー'],
    [2, 'sshd', '203.0.113.8', 'müller'],
  ]);
});

test('a log larger than the read buffer, the last line without a newline: every line counted once', async () => {
  // 60,000 lines of ~110 bytes: 6.6 MB, across the 4 MiB reads and the pieces they are cut into.
  const lines: string[] = [];
  for (let i = 0; i < 60_000; i++) {
    const ip = `203.0.${(i >> 8) & 255}.${i & 255}`;
    lines.push(i % 3 === 0 ? `Jan 19 20:38:08 s68 vpopmail[${i}]: vchkpw-pop3: vpopmail user not found user${i}@example.com:${ip}` : `Jan 19 20:38:08 s68 CRON[${i}]: (root) CMD (run-parts /etc/cron.hourly) ${'x'.repeat(i % 50)}`);
  }
  const file = join(dir, 'big.log');
  writeFileSync(file, lines.join('\n'));
  // Through spawn: 2 MB of JSON is more than execFile buffers.
  const r = await mamoruWithInput(['logtest', 'vpopmail', file, '--json'], '');
  assert.equal(r.code, 0, r.stderr);
  const got = parseJsonLines(r.stdout);
  assert.equal(got.length, 20_000);
  got.forEach((g, k) => {
    assert.equal(g.line, k * 3 + 1);
    assert.equal(g.user, `user${k * 3}@example.com`);
  });
  const plain = await mamoru(['logtest', 'vpopmail', file]);
  assert.match(plain.stdout, /^Lines: 60,000 read .*; 20,000 matched, 40,000 not matched$/m);
});

test('a progress bar on a terminal for a large file, and none when stderr is not a terminal', async (t) => {
  if (needs(t, { commands: ['script'] })) return;
  // 33 MB: above the 32 MiB from which the bar shows.
  const line = 'Jan 19 20:38:08 s68 CRON[1]: (root) CMD (test -x /usr/sbin/anacron || run-parts --report /etc/cron.daily) padding\n';
  const file = join(dir, 'large.log');
  writeFileSync(file, line.repeat(Math.ceil((33 << 20) / line.length)));
  const plain = await mamoru(['logtest', 'all', file]);
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stderr, '');
  // util-linux's script gives the command a terminal; stdout goes to a file so only stderr is on it.
  const out = join(dir, 'large.out');
  const cmd = `'${process.execPath}' '${BIN}' logtest all '${file}' > '${out}'`;
  const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(tty.status, 0, tty.stderr);
  // The bar is drawn at the first piece read and then at most four times a second: a fast run may
  // show it only near 0 %.
  assert.match(tty.stdout, /\[#*\.*\] +\d+%  [\d.]+ MB of 3\d MB  [\d,]+ lines\/s/);
  assert.match(readFileSync(out, 'utf8'), /^Lines: [\d,]+ read/m);
});

test('an unknown filter: exit 2 and the list of the known ones', async () => {
  const r = await mamoru(['logtest', 'sshd2', logFile('x.log', ['x'])]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown filter "sshd2"/);
  for (const name of Object.keys(filters)) assert.ok(r.stderr.includes(name), `${name} in: ${r.stderr}`);
  assert.equal(r.stdout, '');
});

test('a missing file: exit 2 and its path; a bad time zone and missing arguments: exit 2', async () => {
  const missing = join(dir, 'no-such.log');
  const r = await mamoru(['logtest', 'all', missing]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, new RegExp(`cannot read ${missing.replace(/[.]/g, '\\.')}: no such file`));
  const tz = await mamoru(['logtest', 'all', logFile('y.log', ['x']), '--time-zone', 'Mars/Olympus']);
  assert.equal(tz.code, 2);
  assert.match(tz.stderr, /--time-zone: unknown time zone "Mars\/Olympus"/);
  const none = await mamoru(['logtest', 'all']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /needs a filter .* and a file/);
  const top = await mamoru(['logtest', 'all', logFile('z.log', ['x']), '--top', 'many']);
  assert.equal(top.code, 2);
  assert.match(top.stderr, /--top/);
});
