/**
 * The Executor contract (style.md 7): one suite, run against every implementation with real
 * commands. Local runs them here; ssh runs them in the lab's server namespace, which shares this
 * machine's files and process ids, so a test can watch a remote `sleep` die from here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ExecutorError, type Executor } from '../../src/executors/types.ts';
import { isRunning, waitFor } from '../lab/process.ts';

export interface ContractTarget {
  exec: Executor;
}

/** Arguments that would do something else if any shell interpreted them. */
export function hostileArguments(canary: string): string[] {
  return [
    "it's",
    "'",
    "''",
    "a'b'c",
    'a;b',
    `; touch ${canary}`,
    `$(touch ${canary})`,
    `\`touch ${canary}\``,
    `'$(touch ${canary})'`,
    `"; touch ${canary}; "`,
    `x' ; touch ${canary} ; echo '`,
    'line1\nline2',
    `\ntouch ${canary}\n`,
    '$HOME',
    '${PATH}',
    '*',
    '~',
    '\\',
    '\\\'',
    '&&',
    '|',
    '>',
    '',
    ' spaced  out ',
    '\t',
    '-n',
    '--',
    'ünïcødé 日本語',
  ];
}

/**
 * Registers the contract tests in the current describe(). `get` returns the executor under test
 * (created in the caller's before hook); `skip(t)` says (and marks) when prerequisites are missing.
 */
export function executorContract(get: () => ContractTarget, skip: (t: TestContext) => boolean = () => false): void {
  test('runs an argv and returns its output and exit code 0', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['echo', 'hello', 'world']);
    assert.equal(r.code, 0);
    assert.equal(r.signal, null);
    assert.equal(r.stdout, 'hello world\n');
    assert.equal(r.stderr, '');
    assert.equal(r.truncated, false);
    assert.equal(r.timedOut, false);
  });

  test('exit codes and stderr come back as they are', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['sh', '-c', 'echo to-out; echo to-err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'to-out\n');
    assert.equal(r.stderr, 'to-err\n');
  });

  test('a program that does not exist is exit code 127 with a reason', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['/nonexistent/mamoru-no-such-program', 'x']);
    assert.equal(r.code, 127);
    assert.match(r.stderr, /mamoru-no-such-program/);
  });

  test('commands run with LC_ALL=C, so their output parses', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['sh', '-c', 'echo "$LC_ALL"']);
    assert.equal(r.stdout, 'C\n');
  });

  test('stdin is handed to the command', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['cat'], { stdin: 'line one\nline two\n' });
    assert.equal(r.stdout, 'line one\nline two\n');
  });

  test('every argument arrives verbatim: no quote, semicolon, $(...) or newline is interpreted', async (t) => {
    if (skip(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mamoru-inject-'));
    const canary = join(dir, 'pwned');
    try {
      const args = hostileArguments(canary);
      // printf repeats its format for each argument: each comes back NUL-terminated, byte for byte.
      const r = await get().exec.run(['printf', '%s\\0', ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(r.stdout.split('\0').slice(0, -1), args);
      // And one `echo` per argument, as an operator would check it.
      const echoed = args.filter((x) => !x.startsWith('-'));
      const outs = await Promise.all(echoed.map((a) => get().exec.run(['echo', a])));
      echoed.forEach((a, i) => assert.equal(outs[i]!.stdout, `${a}\n`, `echo ${JSON.stringify(a)}`));
      assert.equal(existsSync(canary), false, 'an argument was executed by a shell');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an argv with a NUL byte or no program is refused before anything runs', async (t) => {
    if (skip(t)) return;
    await assert.rejects(get().exec.run(['echo', 'a\0b']), (e) => e instanceof ExecutorError && e.kind === 'config' && /NUL/.test(e.message));
    await assert.rejects(get().exec.run([]), (e) => e instanceof ExecutorError && e.kind === 'config');
  });

  test('a timeout kills the command and what it started (the whole process group)', async (t) => {
    if (skip(t)) return;
    // The shell prints its background sleep's pid, then waits for it: both must die.
    const r = await get().exec.run(['sh', '-c', 'sleep 300 & echo $!; wait'], { timeoutMs: 800 });
    assert.equal(r.timedOut, true);
    assert.notEqual(r.code, 0);
    const sleepPid = Number(r.stdout.trim());
    assert.ok(sleepPid > 1, `the sleep's pid: ${JSON.stringify(r.stdout)}`);
    await waitFor(`sleep ${sleepPid} to be killed`, () => !isRunning(sleepPid), 10_000);
  });

  test('an abort signal stops the command like a timeout, without calling it one', async (t) => {
    if (skip(t)) return;
    const ac = new AbortController();
    const pending = get().exec.run(['sh', '-c', 'sleep 300 & echo $!; wait'], { timeoutMs: 60_000, signal: ac.signal });
    setTimeout(() => ac.abort(), 500);
    const r = await pending;
    assert.equal(r.timedOut, false);
    assert.ok(r.signal !== null || r.code !== 0, `ended by the abort: ${JSON.stringify(r)}`);
    const sleepPid = Number(r.stdout.trim());
    await waitFor(`sleep ${sleepPid} to be killed`, () => !isRunning(sleepPid), 10_000);
  });

  test('output past the cap is dropped and flagged; the command still ends with its own code', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['head', '-c', '200000', '/dev/zero'], { maxOutputBytes: 1000 });
    assert.equal(r.code, 0);
    assert.equal(r.truncated, true);
    assert.equal(r.stdout.length, 1000);
  });

  test('a command that never stops talking is killed once far past the cap, not left to the timeout', async (t) => {
    if (skip(t)) return;
    const r = await get().exec.run(['yes', 'spam'], { maxOutputBytes: 1000, timeoutMs: 60_000 });
    assert.equal(r.truncated, true);
    assert.equal(r.timedOut, false);
    assert.equal(r.stdout.length, 1000);
    assert.equal(r.stdout.slice(0, 10), 'spam\nspam\n');
  });

  test('readFile returns the head or the tail of a file, bounded', async (t) => {
    if (skip(t)) return;
    const dir = mkdtempSync(join(tmpdir(), 'mamoru-read-'));
    try {
      const file = join(dir, "a file's name; with $(stuff)");
      const lines = Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n';
      writeFileSync(file, lines);
      assert.equal(await get().exec.readFile(file, { maxBytes: 1_000_000 }), lines);
      assert.equal(await get().exec.readFile(file, { maxBytes: 14 }), 'line 0\nline 1\n');
      assert.equal(await get().exec.readFile(file, { maxBytes: 18, tail: true }), 'line 998\nline 999\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('readFile reads /proc files, whose size reads as 0', async (t) => {
    if (skip(t)) return;
    const text = await get().exec.readFile('/proc/net/tcp', { maxBytes: 1_000_000 });
    assert.match(text.split('\n')[0]!, /local_address\s+rem_address\s+st/);
    const tail = await get().exec.readFile('/proc/net/tcp', { maxBytes: 50, tail: true });
    assert.equal(tail.length, 50);
  });

  test('readFile of a missing file throws a read-file error naming the file', async (t) => {
    if (skip(t)) return;
    await assert.rejects(get().exec.readFile('/nonexistent/mamoru/file.log', { maxBytes: 100 }), (e) => {
      assert.ok(e instanceof ExecutorError);
      assert.equal(e.kind, 'read-file');
      assert.match(e.message, /\/nonexistent\/mamoru\/file\.log/);
      assert.match(e.message, /no such file/i);
      return true;
    });
  });
}
