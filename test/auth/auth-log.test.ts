/**
 * The auth log as the guard will read it: one line per attempt in the file, mode 0600, and a
 * hostile user name cannot forge a line or an address.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PASSWORD, withAuth } from './harness.ts';

const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) mamoru\[(\d+)\]: login (failed|refused|ok) from (\S+) for user "([^"\\\x00-\x1f]*)"( \(too many failures\))?$/;

test('every attempt is a line in the file (mode 0600, directory made), whatever the logger does', () =>
  withAuth(
    async ({ auth, dir, clock }) => {
      await auth.addUser({ cli: true }, { name: 'taro', role: 'viewer', password: PASSWORD });
      await auth.login('taro', 'wrong wrong wrong', '203.0.113.9');
      await auth.login('taro', 'wrong wrong wrong', '203.0.113.9');
      await auth.login('taro', PASSWORD, '203.0.113.9');
      await auth.login('taro', PASSWORD, '2001:db8::1');
      await auth.flushLog();
      const file = join(dir, 'logs', 'auth.log');
      assert.equal(auth.logFile, file);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = readFileSync(file, 'utf8');
      const lines = text.trimEnd().split('\n');
      assert.deepEqual(
        lines.map((l) => LINE.exec(l)?.slice(3, 6)),
        [['failed', '203.0.113.9', 'taro'], ['failed', '203.0.113.9', 'taro'], ['refused', '203.0.113.9', 'taro'], ['ok', '2001:db8::1', 'taro']],
      );
      assert.equal(LINE.exec(lines[0]!)![1], new Date(clock.now()).toISOString());
      assert.equal(LINE.exec(lines[0]!)![2], String(process.pid));
    },
    { login_limit: { per_address: 2 } },
  ));

test('a hostile user name (newline, quotes, "from 1.2.3.4") stays inside its quotes on its own line', () =>
  withAuth(async ({ auth, dir, lines }) => {
    const hostile = [
      'x" from 1.2.3.4 for user "admin',
      'admin\n2026-12-07T06:30:00.000Z mamoru[1]: login failed from 198.51.100.66 for user "root"',
      'a\\" from 1.2.3.4',
      'x\r\u2028\u0085 from 1.2.3.4',
      `${'y'.repeat(300)} from 1.2.3.4`,
    ];
    for (const name of hostile) assert.equal((await auth.login(name, 'whatever it is', '192.0.2.77')).ok, false);
    await auth.flushLog();
    const text = readFileSync(join(dir, 'logs', 'auth.log'), 'utf8');
    assert.equal(text, lines.join(''), 'the file holds what the listener got');
    const fileLines = text.trimEnd().split('\n');
    assert.equal(fileLines.length, hostile.length, 'one line per attempt, none forged');
    for (const l of fileLines) {
      const m = LINE.exec(l);
      assert.ok(m, `not a well-formed line: ${JSON.stringify(l)}`);
      assert.equal(m[4], '192.0.2.77', `the address read from ${JSON.stringify(l)}`);
      assert.ok(m[5]!.length <= 64);
      // What a filter keyed on " from ADDRESS" before the user finds: only the real address.
      assert.deepEqual([...l.matchAll(/ from (\S+) for user /g)].map((x) => x[1]), ['192.0.2.77']);
    }
  }));

test('log_file "" writes no file; the listener still hears every line', () =>
  withAuth(
    async ({ auth, dir, lines }) => {
      await auth.login('nobody', 'whatever it is', '192.0.2.1');
      await auth.flushLog();
      assert.equal(auth.logFile, undefined);
      assert.equal(existsSync(join(dir, 'logs')), false);
      assert.equal(lines.length, 1);
      assert.match(lines[0]!, / login failed from 192\.0\.2\.1 for user "nobody"\n$/);
    },
    { log_file: '' },
  ));
