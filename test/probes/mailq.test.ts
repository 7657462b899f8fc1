/**
 * The mailq probe against the lab's real Postfix queue (empty, filled past warning, past
 * critical, below both, with Postfix stopped, cleared again) side by side with check_mailq
 * pointed at the same instance (`-M postfix -d DIR` runs `mailq -C DIR`): the same condition
 * gives the same line, perfdata included.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { formatPluginOutput } from '../../src/core/result.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import mailq from '../../src/probes/mailq.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { startPostfix, type LabPostfix } from '../lab/daemons/postfix.ts';
import { createLab, type Lab } from '../lab/network.ts';

const CHECK_MAILQ = `${PLUGINS}/check_mailq`;

function runMailq(options: Record<string, unknown>, timeoutMs = 10_000) {
  return runCheck(mailq, targetFromAddress('localhost'), mailq.schema.parse(options), { timeoutMs });
}

/** check_mailq's whole first line (text and perfdata) and state. */
function checkMailq(args: string[]): Promise<{ state: number; line: string }> {
  return new Promise((resolve) => {
    execFile(CHECK_MAILQ, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout) => {
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ state: code, line: stdout.split('\n')[0]!.replace('|', ' | ').trim() });
    });
  });
}

describe('mailq probe: options', () => {
  test('warning must be below critical, counts are whole numbers, mailer is known', () => {
    assert.equal(mailq.schema.safeParse({ warning: 10, critical: 10 }).success, false);
    assert.equal(mailq.schema.safeParse({ warning: 1.5 }).success, false);
    assert.equal(mailq.schema.safeParse({ mailer: 'qmail' }).success, false);
    assert.deepEqual(mailq.schema.parse({ warning: 5, critical: 10 }), { mailer: 'postfix', warning: 5, critical: 10 });
  });

  test('a queue listing that cannot run is UNKNOWN or CRITICAL with the reason, never a throw', async () => {
    const r = await runMailq({ config_directory: '/nonexistent-mamoru-test', warning: 5, critical: 10 });
    if (missing({ commands: ['postqueue'] })) {
      assert.equal(r.state, NagiosState.UNKNOWN, r.text);
      assert.equal(r.text, 'UNKNOWN: postqueue not found: is postfix installed?');
    } else {
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.match(r.text, /^CRITICAL: Error code \d+ returned from postqueue -c \/nonexistent-mamoru-test -p: postqueue: fatal: open \/nonexistent-mamoru-test\/main\.cf: No such file or directory$/);
    }
  });
});

describe('mailq probe against the lab Postfix queue', () => {
  let lab: Lab | undefined;
  let pf: LabPostfix;

  before(async () => {
    if (missing({ root: true, commands: ['postfix', 'postqueue', 'openssl'] })) return;
    lab = await createLab();
    pf = await startPostfix(lab, { auth: false });
  });
  after(async () => {
    await lab?.destroy();
  });

  const lab$ = (t: Parameters<typeof needs>[0]) => needs(t, { root: true, commands: ['postfix', 'postqueue', 'openssl', CHECK_MAILQ] });
  /** Ours and check_mailq's line for the same thresholds, asserted equal; returns ours. */
  const both = async (w: number, c: number) => {
    const r = await runMailq({ config_directory: pf.configDir, warning: w, critical: c });
    const plugin = await checkMailq(['-M', 'postfix', '-d', pf.configDir, '-w', String(w), '-c', String(c)]);
    assert.equal(r.state, plugin.state, `ours: ${r.text} / check_mailq: ${plugin.line}`);
    assert.equal(formatPluginOutput(r), plugin.line);
    return r;
  };

  test('an empty queue is OK: the same line as check_mailq', async (t) => {
    if (lab$(t)) return;
    const r = await both(5, 10);
    assert.equal(r.state, NagiosState.OK);
    assert.equal(formatPluginOutput(r), 'OK: postfix mailq reports queue is empty | unsent=0;5;10;0');
  });

  test('a queue filled past warning, then past critical, with check_mailq agreeing', async (t) => {
    if (lab$(t)) return;
    try {
      await pf.fillQueue(6);
      const warn = await both(5, 10);
      assert.equal(warn.state, NagiosState.WARNING);
      assert.equal(formatPluginOutput(warn), 'WARNING: postfix mailq is 6 (threshold w = 5) | unsent=6;5;10;0');
      const below = await both(20, 30);
      assert.equal(below.state, NagiosState.OK);
      assert.equal(below.text, 'OK: postfix mailq (6) is below threshold (20/30)');

      await pf.fillQueue(6);
      const crit = await both(5, 10);
      assert.equal(crit.state, NagiosState.CRITICAL);
      assert.equal(formatPluginOutput(crit), 'CRITICAL: postfix mailq is 12 (threshold c = 10) | unsent=12;5;10;0');

      // Without thresholds it only reports; with Postfix down the queue is still counted.
      const plain = await runMailq({ config_directory: pf.configDir });
      assert.equal(plain.text, 'OK: postfix mailq is 12');
      await pf.stop();
      const down = await both(5, 10);
      assert.equal(down.state, NagiosState.CRITICAL, down.text);
      assert.match(down.text, /^CRITICAL: postfix mailq is 12 /);
    } finally {
      await pf.start();
      pf.clearQueue();
    }
    const empty = await both(5, 10);
    assert.equal(empty.state, NagiosState.OK, empty.text);
  });
});
