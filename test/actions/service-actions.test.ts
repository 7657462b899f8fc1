/**
 * The service actions under the guard policy, against real daemons: the lab's vsftpd over SSH
 * into the server namespace (idempotent start, restarts until the rate limit refuses the fourth
 * in the window and lets one through once the window has passed, ask mode waiting for approve,
 * deny or the timeout, dry-run touching nothing), the lab's Apache reloaded gracefully, and a
 * SysV init script of this test's own, with a real daemon behind it, through the local executor.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { actions } from '../../src/actions/index.ts';
import { createGuard, policySchema, runGuarded } from '../../src/actions/policy.ts';
import { serviceSchema } from '../../src/actions/service-config.ts';
import type { ActionContext } from '../../src/actions/types.ts';
import { FakeClock, systemClock } from '../../src/core/clock.ts';
import type { Executor } from '../../src/executors/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { localExecutor, serverExecutor } from '../inspect/helpers.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { startVsftpd, type LabVsftpd } from '../lab/daemons/vsftpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { acceptsTcp, isRunning, killAll, readPid, waitFor } from '../lab/process.ts';
import { apacheService, vsftpdService } from './lab-services.ts';

const prereq = { root: true, commands: ['ip', '/usr/sbin/sshd', 'vsftpd', 'apache2', 'pkill'] };
const { 'start-service': start, 'restart-service': restart, 'reload-service': reload } = actions;

describe('service actions on the lab over SSH', () => {
  let lab: Lab;
  let exec: Executor;
  let ftp: LabVsftpd;
  let apache: LabApache;
  let clock: FakeClock;
  const ctx = (): ActionContext => ({ executor: exec, address: lab.server.ip, target: 'lab-server', service: vsftpdService(lab, ftp), clock });
  /** vsftpd's listening process in the server namespace, as a user would find it. */
  const listening = () => acceptsTcp(lab.server.ip, 21);

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    [{ exec }, ftp, apache] = await Promise.all([serverExecutor(lab), startVsftpd(lab), startApache(lab)]);
  });
  after(async () => {
    await lab?.destroy();
  });

  test('start of a running service: "already running", nothing run, not counted by the rate limit', async (t) => {
    if (needs(t, prereq)) return;
    clock = new FakeClock();
    const guard = createGuard(policySchema.parse({ rate_limit: { max_runs: 1 } }), clock);
    for (let i = 0; i < 3; i++) {
      const run = await runGuarded(guard, start, ctx());
      assert.equal(run.outcome.status, 'no-op');
      assert.equal(run.outcome.text, 'vsftpd is already running on lab-server: nothing to start');
      assert.ok(!run.outcome.records.some((r) => r.kind === 'action'), 'no command ran');
    }
    assert.deepEqual(guard.limiter.recent('lab-server/vsftpd/restart'), []);
  });

  test('restarted 3 times in 10 minutes: the 4th is refused and escalated; after the window, allowed again', async (t) => {
    if (needs(t, prereq)) return;
    clock = new FakeClock();
    const guard = createGuard(policySchema.parse({ mode: 'auto' }), clock);
    const pids = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const run = await runGuarded(guard, restart, ctx());
      assert.equal(run.outcome.status, 'done', JSON.stringify(run.outcome, null, 1));
      assert.match(run.outcome.text, /^restarted vsftpd on lab-server; verified: TCP OK/);
      assert.ok(await listening());
      const master = [...run.outcome.records].reverse().find((r) => r.kind === 'evidence' && /^vsftpd runs \(master \d+/.test(r.text));
      pids.add(Number(/master (\d+)/.exec(master!.text)![1]));
      await clock.advance(60_000);
    }
    assert.equal(pids.size, 3, 'a new process each time');
    const fourth = await runGuarded(guard, restart, ctx());
    assert.equal(fourth.outcome.status, 'refused');
    assert.equal(fourth.outcome.text, 'vsftpd on lab-server was restarted 3 times in 10 minutes, not again');
    assert.match(fourth.outcome.why!, /a person should find out why/);
    // A start of the running service has nothing to do, limit or not; once it is down, the start counts with the restarts.
    assert.equal((await runGuarded(guard, start, ctx())).outcome.status, 'no-op');
    await ftp.stop();
    const startRefused = await runGuarded(guard, start, ctx());
    assert.equal(startRefused.outcome.text, 'vsftpd on lab-server was started 3 times in 10 minutes, not again');
    assert.equal(await listening(), false);
    await clock.advance(8 * 60_000);
    const later = await runGuarded(guard, restart, ctx());
    assert.equal(later.outcome.status, 'done', 'the first restart left the window');
  });

  test('ask: nothing happens while waiting; approve starts it, deny and the timeout leave it stopped', async (t) => {
    if (needs(t, prereq)) return;
    clock = new FakeClock();
    const guard = createGuard(policySchema.parse({ modes: { 'start-service': 'ask' }, ask_timeout: '15m' }), clock);
    await ftp.stop();

    const denied = await runGuarded(guard, start, ctx());
    assert.equal(denied.outcome.status, 'pending');
    assert.match(denied.outcome.records[0]!.text, /^asked for approval \(id [0-9a-f]{12}, within 15 minutes\): start vsftpd on lab-server \(sh -c setsid/);
    assert.equal(guard.approvals.deny(denied.approval!.id, 'ops'), true);
    assert.equal(guard.approvals.deny(denied.approval!.id, 'ops'), false, 'decided once');
    assert.equal((await denied.settled).text.endsWith('denied by ops'), true);
    assert.equal(await listening(), false);

    const expired = await runGuarded(guard, start, ctx());
    await clock.advance(15 * 60_000);
    const late = await expired.settled;
    assert.equal(late.status, 'refused');
    assert.match(late.text, /no approval within 15 minutes$/);
    assert.equal(guard.approvals.approve(expired.approval!.id), false, 'too late to approve');
    assert.equal(await listening(), false);

    const asked = await runGuarded(guard, start, ctx());
    assert.equal(await listening(), false, 'not started before the approval');
    assert.deepEqual(guard.approvals.pending().map((a) => a.action), ['start-service']);
    guard.approvals.approve(asked.approval!.id, 'ops');
    const done = await asked.settled;
    assert.equal(done.status, 'done', JSON.stringify(done, null, 1));
    assert.equal(done.records[0]!.text, `approved by ops: ${guard.approvals.get(asked.approval!.id)!.text}`);
    assert.ok(await listening());
  });

  test('dry-run says what it would run and touches nothing', async (t) => {
    if (needs(t, prereq)) return;
    clock = new FakeClock();
    await ftp.stop();
    const run = await runGuarded(createGuard(policySchema.parse({ mode: 'dry-run' }), clock), start, ctx());
    assert.equal(run.outcome.status, 'dry-run');
    assert.match(run.outcome.text, /^would start vsftpd on lab-server \(sh -c setsid .* vsftpd \/.*vsftpd\.conf\)$/);
    assert.equal(await listening(), false);
    assert.deepEqual(lab.server.run(['pgrep', '-f', `^vsftpd ${join(lab.dir, 'vsftpd')}`]).stdout, '');
    await ftp.start();
  });

  test('reload-service on Apache: config test, graceful, same master, answering', async (t) => {
    if (needs(t, prereq)) return;
    const master = apache.pid();
    const run = await runGuarded(createGuard(policySchema.parse({}), systemClock), reload, { executor: exec, address: lab.server.ip, target: 'lab-server', service: apacheService(lab, apache), clock: systemClock });
    assert.equal(run.mode, 'auto');
    assert.equal(run.outcome.status, 'done', JSON.stringify(run.outcome, null, 1));
    assert.match(run.outcome.records.map((r) => r.text).join('\n'), /config test .* -t: exit 0: Syntax OK\nran .* -k graceful: exit 0/);
    assert.equal(apache.pid(), master);
    await apache.stop();
    const stopped = await runGuarded(createGuard(policySchema.parse({}), systemClock), reload, { executor: exec, address: lab.server.ip, service: apacheService(lab, apache), clock: systemClock });
    assert.equal(stopped.outcome.status, 'failed');
    assert.match(stopped.outcome.why!, /not running .* a reload would not start it/);
  });
});

describe('start-service through a SysV init script, locally', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-sysv-'));
  const name = `mmr${process.pid.toString(36)}d`;
  const pidFile = join(dir, `${name}.pid`);
  let port = 0;
  const exec = localExecutor();

  before(async () => {
    // A free loopback port for the daemon the script starts.
    port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const daemon = `require('node:net').createServer((c) => c.end('hello\\n')).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1 << 30); // ${name}`;
    writeFileSync(
      join(dir, name),
      `#!/bin/sh
case "$1" in
  start)
    if [ -f "${pidFile}" ] && kill -0 "$(cat "${pidFile}")" 2>/dev/null; then echo "already running"; exit 0; fi
    setsid "${process.execPath}" -e "${daemon.replace(/"/g, '\\"')}" </dev/null >/dev/null 2>&1 &
    echo $! > "${pidFile}"; echo "started"; exit 0 ;;
  stop) kill "$(cat "${pidFile}")" 2>/dev/null; rm -f "${pidFile}"; exit 0 ;;
  status) [ -f "${pidFile}" ] && kill -0 "$(cat "${pidFile}")" 2>/dev/null && exit 0; exit 3 ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
`,
    );
    chmodSync(join(dir, name), 0o755);
  });
  after(async () => {
    killAll([readPid(pidFile)], 'SIGKILL');
    await exec.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('runs /etc/init.d-style NAME start, then sees it listen and answer', async (t) => {
    if (needs(t, { commands: ['setsid'] })) return;
    const service = serviceSchema.parse({ name, manager: 'sysv', init_dir: dir, processes: ['node'], process_match: `// ${name}`, ports: [port], start_timeout: '10s' });
    const run = await runGuarded(createGuard(policySchema.parse({}), systemClock), start, { executor: exec, address: '127.0.0.1', service, clock: systemClock });
    assert.equal(run.outcome.status, 'done', JSON.stringify(run.outcome, null, 1));
    assert.ok(run.outcome.records.some((r) => r.text === `ran ${join(dir, name)} start: exit 0: started`));
    await waitFor('the pid file', () => isRunning(readPid(pidFile)));
    assert.ok(await acceptsTcp('127.0.0.1', port));
  });
});
