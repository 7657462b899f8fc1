/**
 * The local executor against commands that fight their timeout (issue 16): one that ignores
 * TERM, one whose child left the process group and keeps stdout open. The answer comes within
 * the timeout, the TERM grace and a little (generous bounds, not exact figures), and the output
 * reaches the inspections as the command printed it: cleaning for people happens only where a
 * plugin's output becomes a CheckResult, never here.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createLocalExecutor } from '../../src/executors/local.ts';
import { KILL_GRACE_MS } from '../../src/executors/types.ts';
import { isRunning, waitFor } from '../lab/process.ts';

describe('local executor: timeouts that hold against hostile commands', () => {
  const exec = createLocalExecutor();
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-local-timeout-'));
  const strays: number[] = [];
  after(async () => {
    for (const pid of strays) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
    await exec.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a command that ignores TERM is killed after the grace and answered at once', async () => {
    const t0 = performance.now();
    const r = await exec.run(['sh', '-c', "trap '' TERM; echo started; sleep 100"], { timeoutMs: 500 });
    const ms = performance.now() - t0;
    assert.equal(r.timedOut, true);
    assert.equal(r.stdout, 'started\n');
    assert.ok(ms < 500 + KILL_GRACE_MS + 800, `answered after ${Math.round(ms)} ms`);
  });

  test('a child that left the group and holds stdout does not hold the answer', async () => {
    const pidFile = join(dir, 'escaped.pid');
    const t0 = performance.now();
    const r = await exec.run(['sh', '-c', `setsid sh -c 'echo $$ > "$0"; exec sleep 100' "${pidFile}" & trap '' TERM; echo started; sleep 100`], { timeoutMs: 500 });
    const ms = performance.now() - t0;
    strays.push(await waitFor('the escaped child\'s pid', () => Number(readFileSync(pidFile, 'utf8')) || false, 2000));
    assert.equal(r.timedOut, true);
    assert.equal(r.stdout, 'started\n');
    assert.ok(ms < 500 + KILL_GRACE_MS + 800, `answered after ${Math.round(ms)} ms`);
  });

  test('output comes back byte for byte: escapes and control characters are the inspections\' to parse', async () => {
    const r = await exec.run(['printf', 'a\\033[31mb\\tc\\rd\\001']);
    assert.equal(r.stdout, 'a\x1b[31mb\tc\rd\x01');
  });
});
