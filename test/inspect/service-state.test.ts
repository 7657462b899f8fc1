/**
 * Service state against real processes: an LSB init script (in a directory this test makes)
 * whose daemon is a real process, read stopped, running and crashed (pid file left behind);
 * a configured command with its own exit codes; systemd as this machine has it (or has not);
 * through the local executor and over SSH into the lab.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executors/types.ts';
import { inspectServiceState, type ServiceManager } from '../../src/inspect/service-state.ts';
import { InspectionError } from '../../src/inspect/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { localExecutor, serverExecutor } from './helpers.ts';

const NAME = `mmr${process.pid.toString(36)}svc`;

/** An LSB status action: 0 running, 1 dead with its pid file left, 3 not running. */
const initScript = (pidFile: string) => `#!/bin/sh
case "$1" in
  status)
    if [ -f "${pidFile}" ]; then
      if kill -0 "$(cat "${pidFile}")" 2>/dev/null; then echo "${NAME} is running"; exit 0; fi
      echo "${NAME} is dead, but its pid file exists"; exit 1
    fi
    echo "${NAME} is not running"; exit 3 ;;
  *) echo "usage: $0 status" >&2; exit 2 ;;
esac
`;

describe('service state', () => {
  const prereq = { root: true, commands: ['ip', 'pgrep', '/usr/sbin/sshd'] };
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-svc-'));
  const pidFile = join(dir, `${NAME}.pid`);
  const via: Record<string, Executor> = {};
  let lab: Lab;
  let daemon: ChildProcess | undefined;

  const sysv: ServiceManager = { manager: 'sysv', name: NAME, initDir: dir };
  const pgrep: ServiceManager = { manager: 'command', name: NAME, argv: ['pgrep', '-x', `${NAME}d`], codes: { inactive: [1] } };

  before(async () => {
    if (missing(prereq)) return;
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, NAME), initScript(pidFile), { mode: 0o755 });
    copyFileSync('/usr/bin/sleep', join(dir, `${NAME}d`));
    lab = await createLab();
    via.local = localExecutor();
    via.ssh = (await serverExecutor(lab)).exec;
  });
  after(async () => {
    daemon?.kill('SIGKILL');
    await via.local?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const both = async (spec: ServiceManager) => {
    const [a, b] = await Promise.all([inspectServiceState(via.local!, spec), inspectServiceState(via.ssh!, spec)]);
    // The same verdict; a shell's "not found" wording may differ from ours.
    const { output: _a, ...sameA } = a;
    const { output: _b, ...sameB } = b;
    assert.deepEqual(sameB, sameA, 'local and ssh see the same');
    return a;
  };

  test('an init script: stopped, running, then crashed with its pid file left (LSB 3, 0, 1)', async (t) => {
    if (needs(t, prereq)) return;
    const stopped = await both(sysv);
    assert.equal(stopped.state, 'inactive');
    assert.equal(stopped.manager, 'sysv');
    assert.equal(stopped.exitCode, 3);
    assert.deepEqual(stopped.argv, [join(dir, NAME), 'status']);
    assert.equal(stopped.output, `${NAME} is not running`);
    assert.equal(stopped.summary, `${NAME} is stopped, says its init script`);

    // The daemon: a real process, named as the service, its pid where the script looks.
    daemon = spawn(join(dir, `${NAME}d`), ['3600'], { stdio: 'ignore', detached: true });
    writeFileSync(pidFile, `${daemon.pid}\n`);
    const running = await both(sysv);
    assert.equal(running.state, 'active');
    assert.equal(running.summary, `${NAME} is running, says its init script`);
    assert.equal((await both(pgrep)).state, 'active');

    const gone = new Promise((r) => daemon!.once('exit', r));
    daemon.kill('SIGKILL');
    await gone;
    const crashed = await both(sysv);
    assert.equal(crashed.state, 'failed');
    assert.equal(crashed.detail, 'dead, but its pid file exists');
    assert.equal(crashed.summary, `${NAME} has failed (dead, but its pid file exists), says its init script`);
    // pgrep's 1 means "none": inactive by the codes given, where the LSB would say failed.
    const none = await both(pgrep);
    assert.equal(none.state, 'inactive');
    assert.equal(none.summary, `${NAME} is stopped (exit 1), says its status command`);
    rmSync(pidFile);
  });

  test('no such init script is unknown, with the reason; a name that is a path is refused', async (t) => {
    if (needs(t, prereq)) return;
    const ev = await both({ manager: 'sysv', name: `${NAME}-absent`, initDir: dir });
    assert.equal(ev.state, 'unknown');
    assert.equal(ev.exitCode, 127);
    assert.equal(ev.detail, 'no such status command');
    await assert.rejects(inspectServiceState(via.local!, { manager: 'sysv', name: '../../bin/sh' }), InspectionError);
    await assert.rejects(inspectServiceState(via.local!, { manager: 'systemd', name: 'x; reboot' }), InspectionError);
  });

  test('systemd: auto asks it only where it runs the machine; without it, systemctl cannot say', async (t) => {
    if (needs(t, prereq)) return;
    const booted = existsSync('/run/systemd/system');
    const auto = await both({ manager: 'auto', name: `${NAME}-absent` });
    assert.equal(auto.manager, booted ? 'systemd' : 'sysv');
    if (!existsSync('/usr/bin/systemctl') && !existsSync('/bin/systemctl')) return;
    const ev = await inspectServiceState(via.local!, { manager: 'systemd', name: `${NAME}-absent` });
    assert.deepEqual(ev.argv, ['systemctl', 'is-active', '--', `${NAME}-absent`]);
    if (booted) {
      assert.equal(ev.state, 'inactive');
      assert.equal(ev.detail, 'inactive');
    } else {
      assert.equal(ev.state, 'unknown');
      assert.match(ev.detail, /not been booted with systemd|Failed to connect to bus/);
    }
  });
});
