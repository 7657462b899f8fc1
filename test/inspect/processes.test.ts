/**
 * The process list against real processes this test starts, under names no other process has:
 * a master with two children of its own name (a shell copy), a zombie (its parent never reaps
 * it), a program whose name holds a space; read through the local executor and over SSH in the
 * lab (same machine, same processes), and the lab's Apache master with its workers.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executors/types.ts';
import { inspectMaster, inspectProcesses, masterProcess, parsePs, processesNamed } from '../../src/inspect/processes.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { localExecutor, serverExecutor } from './helpers.ts';

const id = process.pid.toString(36);
const MASTER = `mmr${id}ma`;
const ZOMBIE = `mmr${id}zo`;
const PARENT = `mmr${id}pa`;
const SPACED = `mmr${id} sp`;

const childrenOf = (pid: number) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const statOf = (pid: number) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
};

describe('process list against processes this test starts', () => {
  const prereq = { root: true, commands: ['ip', 'ps', 'dash', '/usr/sbin/sshd', 'apache2'] };
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-inspect-ps-'));
  const started: ChildProcess[] = [];
  let masterPid = 0;
  let childPids: number[] = [];
  let zombiePid = 0;
  let spacedPid = 0;
  let lab: Lab;
  let apache: LabApache;
  const executors: { name: string; exec: Executor }[] = [];

  before(async () => {
    if (missing(prereq)) return;
    chmodSync(dir, 0o755);
    copyFileSync('/usr/bin/dash', join(dir, MASTER));
    for (const n of [ZOMBIE, PARENT]) copyFileSync('/usr/bin/sleep', join(dir, n));
    copyFileSync('/usr/bin/dash', join(dir, SPACED));
    const m = join(dir, MASTER);
    // Two children of the master's own name; `; :` keeps each from exec'ing into sleep.
    const master = spawn(m, ['-c', `"${m}" -c 'sleep 3600; :' & "${m}" -c 'sleep 3600; :' & wait`], { stdio: 'ignore', detached: true });
    const parent = spawn('sh', ['-c', `"${join(dir, ZOMBIE)}" 0 & exec "${join(dir, PARENT)}" 3600`], { stdio: 'ignore', detached: true });
    const spaced = spawn(join(dir, SPACED), ['-c', 'sleep 3600; :', 'with  two  spaces'], { stdio: 'ignore', detached: true });
    started.push(master, parent, spaced);
    masterPid = master.pid!;
    spacedPid = spaced.pid!;
    childPids = await waitFor('the master\'s two children', () => {
      const kids = childrenOf(masterPid);
      return kids.length === 2 && kids.every((k) => readFileSync(`/proc/${k}/comm`, 'utf8').trim() === MASTER) ? kids.sort((a, b) => a - b) : undefined;
    });
    zombiePid = await waitFor('the zombie', () => childrenOf(parent.pid!).find((k) => statOf(k) === 'Z'));
    lab = await createLab();
    let ssh: Executor;
    [apache, { exec: ssh }] = await Promise.all([startApache(lab), serverExecutor(lab)]);
    executors.push({ name: 'local', exec: localExecutor() }, { name: 'ssh', exec: ssh });
  });
  after(async () => {
    for (const c of started) if (c.pid) try { process.kill(-c.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const e of executors) await e.exec.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const via of ['local', 'ssh']) {
    test(`${via}: the master and its children, the zombie, a name with a space`, async (t) => {
      if (needs(t, prereq)) return;
      const exec = executors.find((e) => e.name === via)!.exec;
      const ev = await inspectProcesses(exec);
      assert.ok(ev.total > 10);

      const named = processesNamed(ev, MASTER);
      assert.deepEqual(named.map((p) => p.pid).sort((a, b) => a - b), [masterPid, ...childPids].sort((a, b) => a - b));
      const m = masterProcess(ev, MASTER);
      assert.equal(m.master?.pid, masterPid);
      assert.equal(m.master?.user, 'root');
      assert.equal(m.master?.ppid, process.pid);
      assert.deepEqual(m.children.map((c) => c.pid).sort((a, b) => a - b), childPids);
      assert.match(m.summary, new RegExp(`^${MASTER} master process ${masterPid} \\(user root, up \\d+s\\) with 2 children$`));
      assert.equal(ev.byName.find((c) => c.name === MASTER)?.count, 3);

      const z = ev.processes.find((p) => p.pid === zombiePid);
      assert.equal(z?.zombie, true);
      assert.equal(z?.name, ZOMBIE);
      assert.deepEqual(ev.byName.find((c) => c.name === ZOMBIE), { name: ZOMBIE, count: 1, zombies: 1 });
      assert.ok(ev.zombies >= 1);
      const none = masterProcess(ev, ZOMBIE);
      assert.equal(none.master, undefined);
      assert.equal(none.summary, `no ${ZOMBIE} master process is running (1 zombie left)`);

      const sp = ev.processes.find((p) => p.pid === spacedPid);
      assert.equal(sp?.name, SPACED);
      assert.equal(sp?.args, `${join(dir, SPACED)} -c sleep 3600; : with  two  spaces`);
      assert.equal(sp?.stat[0], 'S');
      assert.equal(ev.byCommand.find((c) => c.name === SPACED)?.count, 1);
    });
  }

  test("ssh: Apache's master and its workers in the lab, as the lab counts them", async (t) => {
    if (needs(t, prereq)) return;
    const ssh = executors.find((e) => e.name === 'ssh')!.exec;
    const m = await waitFor('a steady worker count', async () => {
      // Other Apaches may run on this machine (other labs): this one is known by its config file.
      const r = await inspectMaster(ssh, ['apache2', 'httpd'], { argsContain: apache.configFile });
      const truth = apache.workerPids().sort((a, b) => a - b);
      const seen = r.children.map((c) => c.pid).sort((a, b) => a - b);
      return JSON.stringify(seen) === JSON.stringify(truth) ? r : undefined;
    });
    assert.equal(m.master?.pid, apache.pid());
    assert.equal(m.master?.user, 'root');
    assert.ok(m.children.every((c) => c.user === 'www-data'));
    await apache.kill();
    const gone = await inspectMaster(ssh, ['apache2', 'httpd'], { argsContain: apache.configFile });
    assert.equal(gone.master, undefined);
    assert.match(gone.summary, /^no apache2\/httpd master process is running/);
  });

  test('ps output: the command column width comes from the header', () => {
    const text = [
      '    PID    PPID USER     STAT ELAPSED COMMAND             COMMAND',
      '      1       0 root     Ss    864000 systemd             /sbin/init',
      '   4242       1 www-data S         12 Web Content         /usr/lib/x Web Content -x',
      '     77       1 root     Z          3 defunct-thing       [defunct-thing] <defunct>',
    ].join('\n');
    const ps = parsePs(text);
    assert.deepEqual(
      ps.map((p) => [p.pid, p.ppid, p.user, p.elapsedSeconds, p.name, p.args, p.zombie]),
      [
        [1, 0, 'root', 864000, 'systemd', '/sbin/init', false],
        [4242, 1, 'www-data', 12, 'Web Content', '/usr/lib/x Web Content -x', false],
        [77, 1, 'root', 3, 'defunct-thing', '[defunct-thing] <defunct>', true],
      ],
    );
  });
});
