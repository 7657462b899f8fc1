/**
 * The nagios-plugin probe against plugins written to hurt (issue 16, point 9), each a real shell
 * script the test writes into a temp dir: one that ignores TERM, one whose child (in its group,
 * or escaped with setsid) keeps stdout open, a 298 KB single line, ANSI escapes and control
 * bytes, invalid UTF-8. Each asserts what a user sees: the state (a timeout is CRITICAL, as
 * Nagios core's default), the text, and the time (generous upper bounds, never exact figures),
 * in-process through the runner and through `mamoru check nagios-plugin` as a child process.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPluginOutput } from '../../src/core/result.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import plugin from '../../src/probes/nagios-plugin.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { mamoru } from '../helpers/cli.ts';
import { isRunning, readPid, waitFor } from '../lab/process.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-hostile-plugin-'));
const strays: number[] = [];
after(() => {
  // Only a child that left the plugin's group (setsid) can outlive it: the test's own, by pid.
  for (const pid of strays) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Writes an executable shell script and returns its path. */
function script(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

function run(command: string[], extra: Record<string, unknown> = {}, timeoutMs = 5000) {
  return runCheck(plugin, targetFromAddress('127.0.0.1'), plugin.schema.parse({ command, ...extra }), { timeoutMs });
}

async function timed<T>(f: () => Promise<T>): Promise<{ r: T; ms: number }> {
  const t0 = performance.now();
  const r = await f();
  return { r, ms: performance.now() - t0 };
}

const pidFile = (name: string) => join(dir, `${name}.pid`);

const IGNORES_TERM = script('ignores-term.sh', `[ -n "$STAMP" ] && date +%s%N > "$STAMP"\ntrap '' TERM\necho $$ > "$PIDF"\necho "STUBBORN OK - not listening"\nsleep 100`);
// The child ignores TERM and holds stdout; the plugin itself hangs too.
const CHILD_HOLDS = script('child-holds.sh', `[ -n "$STAMP" ] && date +%s%N > "$STAMP"\n( trap '' TERM; echo $$ > /dev/null; exec sleep 100 ) &\necho $! > "$PIDF"\necho "FORKED OK"\ntrap '' TERM\nsleep 100`);
// The child leaves the plugin's process group (setsid), so no group kill reaches it.
const ESCAPED = script('escaped.sh', `[ -n "$STAMP" ] && date +%s%N > "$STAMP"\nsetsid sh -c 'echo $$ > "$1"; trap "" TERM; exec sleep 100' escaped "$PIDF" &\necho "ESCAPED OK"\nsleep 100`);
// Answers and exits in time, but a child it left keeps stdout open.
const ANSWERS_THEN_LINGERS = script('answers.sh', `( exec sleep 100 ) &\necho $! > "$PIDF"\necho "LINGER WARNING - answered | x=1"\nexit 1`);
const LONG_LINE = script('long-line.sh', `printf 'LONG OK - '\nhead -c 298000 /dev/zero | tr '\\0' 'x'\nprintf '\\nsecond line | y=2\\n'`);
const HOSTILE_TEXT = script(
  'hostile-text.sh',
  // Clear screen, colour, a window title (OSC 0), a clipboard write (OSC 52), a carriage return
  // that would print over the line, BEL and backspace, an 8-bit CSI, a bidi override, bad UTF-8.
  `printf '\\033[2J\\033[31mCRIT\\033[0m \\033]0;pwned\\007\\033]52;c;ZXZpbA==\\033\\\\ disk\\rOK \\007\\010 \\302\\23331m \\342\\200\\256txt \\377\\376|t=1s\\n'\nprintf 'more \\033[1mbold\\033[0m\\ttab\\n'\nexit 2`,
);

describe('a plugin that will not stop: the timeout holds within a fraction of a second', () => {
  test('TERM ignored: CRITICAL at the timeout (< 1.5 s for 1 s), the plugin killed soon after', async () => {
    const { r, ms } = await timed(() => run([IGNORES_TERM], { env: { PIDF: pidFile('stubborn') } }, 1000));
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, 'CRITICAL - Plugin timed out after 1 seconds');
    assert.ok(ms < 1500, `answered after ${Math.round(ms)} ms`);
    const pid = readPid(pidFile('stubborn'));
    await waitFor('the TERM-proof plugin to be killed', () => !isRunning(pid), 1500, 20);
  });

  test('a child in its group holds stdout and ignores TERM: CRITICAL in time, child killed too', async () => {
    const { r, ms } = await timed(() => run([CHILD_HOLDS], { env: { PIDF: pidFile('forked') } }, 1000));
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, 'CRITICAL - Plugin timed out after 1 seconds');
    assert.ok(ms < 1500, `answered after ${Math.round(ms)} ms`);
    const child = readPid(pidFile('forked'));
    assert.ok(child, 'the plugin wrote its child\'s pid');
    await waitFor('the child holding stdout to be killed', () => !isRunning(child), 1500, 20);
  });

  test('a child that left the group holds stdout: the answer does not wait for it', async () => {
    const { r, ms } = await timed(() => run([ESCAPED], { env: { PIDF: pidFile('escaped') } }, 1000));
    const pid = await waitFor('the escaped child\'s pid', () => readPid(pidFile('escaped')), 2000);
    strays.push(pid);
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, 'CRITICAL - Plugin timed out after 1 seconds');
    assert.ok(ms < 1500, `answered after ${Math.round(ms)} ms`);
  });

  test('a plugin that answered and exited keeps its answer though its child holds stdout', async () => {
    const { r, ms } = await timed(() => run([ANSWERS_THEN_LINGERS], { env: { PIDF: pidFile('linger') } }, 5000));
    assert.equal(r.state, NagiosState.WARNING);
    assert.equal(r.text, 'LINGER WARNING - answered');
    assert.equal(r.perfdata[0]?.label, 'x');
    assert.ok(ms < 2000, `answered after ${Math.round(ms)} ms`);
    const child = readPid(pidFile('linger'));
    await waitFor('the lingering child to be killed', () => !isRunning(child), 1500, 20);
  });

  // Through the CLI, as a user runs it: the clock starts when the plugin starts (it writes the
  // time first), so the CLI's own start-up (tsx) does not count; it stops when the CLI has exited.
  for (const [what, plugin] of [
    ['ignores TERM', IGNORES_TERM],
    ['has a child in its group that holds stdout and ignores TERM', CHILD_HOLDS],
    ['has a child that left its group and holds stdout', ESCAPED],
  ] as const) {
    test(`mamoru check -t 1s on a plugin that ${what}: exit 2, the CLI gone < 2.2 s after the plugin started`, async () => {
      const name = `cli-${plugin.split('/').pop()}`;
      const stamp = join(dir, `${name}.start`);
      const r = await mamoru(['check', 'nagios-plugin', '-t', '1s', '--env', `PIDF=${pidFile(name)}`, '--env', `STAMP=${stamp}`, '--', plugin]);
      const ms = Date.now() - Number(readFileSync(stamp, 'utf8')) / 1e6;
      const pid = readPid(pidFile(name));
      if (pid && plugin === ESCAPED) strays.push(pid);
      assert.equal(r.code, NagiosState.CRITICAL, r.stdout + r.stderr);
      assert.equal(r.stdout, 'CRITICAL - Plugin timed out after 1 seconds\n');
      assert.ok(ms < 2200, `the CLI exited ${Math.round(ms)} ms after the plugin started`);
    });
  }
});

describe('output capped per line and in total', () => {
  test('a 298 KB single line with max_output 65536: at most 65536 bytes printed, the cut said', async () => {
    const r = await run([LONG_LINE], { max_output: 65536 });
    assert.equal(r.state, NagiosState.OK);
    const printed = formatPluginOutput(r);
    assert.ok(Buffer.byteLength(printed) <= 65536, `${Buffer.byteLength(printed)} bytes`);
    assert.match(r.text, /^LONG OK - x{60000,} … \(line of 298010 bytes cut\)$/);
  });

  test('a long line cut at max_line_length leaves room for the lines after it and their perfdata', async () => {
    const r = await run([LONG_LINE], { max_output: 65536, max_line_length: 1024 });
    assert.ok(Buffer.byteLength(r.text) <= 1024, `${Buffer.byteLength(r.text)} bytes`);
    assert.match(r.text, /… \(line of 298010 bytes cut\)$/);
    assert.equal(r.longOutput, 'second line');
    assert.deepEqual(
      r.perfdata.map((p) => p.label),
      ['y'],
    );
  });

  test('mamoru check --max-output 65536 on the 298 KB line: at most 65536 bytes printed, both cuts said', async () => {
    const r = await mamoru(['check', 'nagios-plugin', '--max-output', '65536', '--', LONG_LINE]);
    assert.equal(r.code, 0, r.stderr);
    const printed = r.stdout.replace(/\n$/, ''); // the CLI's own line end
    assert.ok(Buffer.byteLength(printed) <= 65536, `${Buffer.byteLength(printed)} bytes`);
    const [first, ...rest] = printed.split('\n');
    assert.match(first!, /^LONG OK - x+ … \(line of 298010 bytes cut\)$/);
    assert.deepEqual(rest, ['(output cut to max_output, 65536 bytes, of 298029 printed)']);
  });
});

describe('escape sequences and control characters never reach a screen', () => {
  const expected = 'CRIT  disk?OK ?? ?31m ?txt \uFFFD\uFFFD';
  test('escapes removed, control bytes "?", bad UTF-8 replaced, in the text and the long output', async () => {
    const r = await run([HOSTILE_TEXT]);
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, expected);
    assert.equal(r.longOutput, 'more bold\ttab');
    assert.equal(r.perfdata[0]?.label, 't');
  });

  test('mamoru check prints the same clean line: no ESC, no control byte but the newline', async () => {
    const r = await mamoru(['check', 'nagios-plugin', '--', HOSTILE_TEXT]);
    assert.equal(r.code, NagiosState.CRITICAL);
    assert.equal(r.stdout, `${expected} | t=1s\nmore bold\ttab\n`);
    assert.doesNotMatch(r.stdout, /[\x00-\x08\x0b-\x1f\x7f-\x9f]/);
  });
});
