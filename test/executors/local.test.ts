/**
 * The local executor against real commands on this machine: the shared contract, plus what only
 * a local run shows (a daemon left behind by a command that exited normally is not killed).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { secretsFromEnv } from '../../src/core/secrets.ts';
import { executors } from '../../src/executors/index.ts';
import type { Executor } from '../../src/executors/types.ts';
import { isRunning, killAll } from '../lab/process.ts';
import { executorContract } from './contract.ts';

describe('local executor', () => {
  let exec: Executor;
  before(() => {
    exec = executors.local.create(executors.local.schema.parse({}), { secret: secretsFromEnv, log: silentLogger });
  });
  after(() => exec.close());

  executorContract(() => ({ exec }));

  test('a daemon a command leaves behind (as an init script does) survives the command', async () => {
    // setsid-less background child that closes its output: the command exits 0 right away.
    const r = await exec.run(['sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo $!']);
    assert.equal(r.code, 0);
    const pid = Number(r.stdout.trim());
    try {
      assert.equal(isRunning(pid), true);
    } finally {
      killAll([pid]);
    }
  });

  test('extra environment from the options reaches the command', async () => {
    const e = executors.local.create(executors.local.schema.parse({ env: { MAMORU_TEST_VAR: 'x y' } }), { secret: secretsFromEnv, log: silentLogger });
    const r = await e.run(['sh', '-c', 'printf %s "$MAMORU_TEST_VAR"']);
    assert.equal(r.stdout, 'x y');
    await e.close();
  });
});
