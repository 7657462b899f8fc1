/**
 * The process probe against real processes this test starts: copies of `sleep` under names no
 * other process has, as root, as nobody and as a uid no user database names, one zombie (its
 * parent never reaps it), one with a name longer than the kernel keeps; and side by side with
 * check_procs for the same filters.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import proc, { countProcesses } from '../../src/probes/process.ts';
import type { ProcessInfo } from '../../src/probes/process-source.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { waitFor } from '../lab/process.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_PROCS = `${PLUGINS}/check_procs`;
const id = process.pid.toString(36);
/** Command names only this test's processes have (at most 15 bytes: the kernel's comm). */
const NAME = `mmr${id}sl`;
const ZOMBIE = `mmr${id}zo`;
const PARENT = `mmr${id}pa`;
const LONG = `mmr${id}-a-name-longer-than-comm`;
/** Arguments of each group: sleep sums its arguments, so these only make them distinct. */
const ROOT_ARG = `0.${process.pid}1`;
const NOBODY_ARG = `0.${process.pid}2`;
const STRANGER_ARG = `0.${process.pid}3`;
const STRANGER_UID = 54321;

function runProc(options: Record<string, unknown>) {
  return runCheck(proc, targetFromAddress('localhost'), proc.schema.parse(options), { timeoutMs: 5000 });
}

/** check_procs's state, text and perfdata for the same filters. */
function checkProcs(args: string[]): Promise<{ state: number; text: string; perf: string }> {
  return new Promise((resolve) => {
    execFile(CHECK_PROCS, args, { encoding: 'utf8' }, (err, stdout) => {
      const [text = '', perf = ''] = stdout.split('\n')[0]!.split('|');
      resolve({ state: err ? Number((err as { code?: number }).code) : 0, text: text.trim(), perf: perf.trim() });
    });
  });
}

function statOf(pid: number): string {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
}

describe('process probe on processes started by the test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-procs-'));
  const children: ChildProcess[] = [];
  let zombiePid = 0;

  const start = (name: string, args: string[], opts: { uid?: number; gid?: number } = {}) => {
    // Own session and group, so the state letters do not depend on the terminal running the test.
    const c = spawn(join(dir, name), args, { stdio: 'ignore', detached: true, ...opts });
    children.push(c);
    return c;
  };

  before(async () => {
    if (missing({ root: true })) return;
    chmodSync(dir, 0o755); // nobody and the stranger uid must be able to run the copies
    for (const name of [NAME, ZOMBIE, PARENT, LONG]) copyFileSync('/usr/bin/sleep', join(dir, name));
    for (let i = 0; i < 3; i++) start(NAME, ['3600', ROOT_ARG]);
    for (let i = 0; i < 2; i++) start(NAME, ['3600', NOBODY_ARG], { uid: 65534, gid: 65534 });
    start(NAME, ['3600', STRANGER_ARG], { uid: STRANGER_UID, gid: STRANGER_UID });
    start(LONG, ['3600']);
    // The shell starts the short sleeper, then becomes a sleep that never waits for its child.
    const parent = spawn('sh', ['-c', `"${join(dir, ZOMBIE)}" 0 & exec "${join(dir, PARENT)}" 3600`], { stdio: 'ignore', detached: true });
    children.push(parent);
    zombiePid = await waitFor('the zombie', () => {
      const kids = readFileSync(`/proc/${parent.pid}/task/${parent.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      return kids.find((k) => readFileSync(`/proc/${k}/comm`, 'utf8').trim() === ZOMBIE && statOf(k) === 'Z');
    });
    await waitFor('the sleepers', () => children.every((c) => c.pid && statOf(c.pid) === 'S'));
  });

  after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  test('counts processes by command name, with check_procs\'s text and perfdata', async (t) => {
    if (needs(t, { root: true })) return;
    const r = await runProc({ command: NAME });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.equal(r.text, `PROCS OK: 6 processes with command name '${NAME}'`);
    assert.equal(formatPerfdata(r.perfdata), 'procs=6;;;0');
    const one = await runProc({ command: NAME, user: STRANGER_UID });
    assert.equal(one.text, `PROCS OK: 1 process with command name '${NAME}', UID = ${STRANGER_UID}`);
  });

  test('user by name or uid, argument text and regex narrow the count', async (t) => {
    if (needs(t, { root: true })) return;
    assert.equal((await runProc({ command: NAME, user: 'nobody' })).text, `PROCS OK: 2 processes with command name '${NAME}', UID = 65534 (nobody)`);
    assert.equal((await runProc({ command: NAME, user: '0' })).text, `PROCS OK: 3 processes with command name '${NAME}', UID = 0 (root)`);
    assert.equal((await runProc({ argument: NOBODY_ARG })).text, `PROCS OK: 2 processes with args '${NOBODY_ARG}'`);
    const re = `${NAME} 3600 0\\.${process.pid}(1|3)$`;
    const r = await runProc({ argument_regex: re });
    assert.equal(r.text, `PROCS OK: 4 processes with regex args '${re.replace('|', ',')}'`);
  });

  test('warning and critical are Nagios ranges, as in check_procs', async (t) => {
    if (needs(t, { root: true })) return;
    const warn = await runProc({ command: NAME, warning: 5, critical: 10 });
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    assert.equal(warn.text, `PROCS WARNING: 6 processes with command name '${NAME}'`);
    assert.equal(formatPerfdata(warn.perfdata), 'procs=6;5;10;0');
    const crit = await runProc({ command: NAME, warning: '2', critical: '5' });
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    const exact = await runProc({ command: NAME, warning: '6:6', critical: '1:' });
    assert.equal(exact.state, NagiosState.OK, exact.text);
    const inside = await runProc({ command: NAME, critical: '@6:6' });
    assert.equal(inside.state, NagiosState.CRITICAL, inside.text);
  });

  test('no matching process with critical 1: is CRITICAL, as check_procs -c 1:', async (t) => {
    if (needs(t, { root: true })) return;
    const r = await runProc({ command: `mmr${id}none`, critical: '1:' });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `PROCS CRITICAL: 0 processes with command name 'mmr${id}none'`);
    assert.equal(formatPerfdata(r.perfdata), 'procs=0;;1:;0');
  });

  test('a zombie counts by default, like check_procs; exclude_zombies: true leaves it out', async (t) => {
    if (needs(t, { root: true })) return;
    assert.equal(statOf(zombiePid), 'Z');
    assert.equal((await runProc({ command: ZOMBIE })).text, `PROCS OK: 1 process with command name '${ZOMBIE}'`);
    assert.equal((await runProc({ command: ZOMBIE, state: 'Z' })).text, `PROCS OK: 1 process with command name '${ZOMBIE}', STATE = Z`);
    const dead = await runProc({ command: ZOMBIE, exclude_zombies: true, critical: '1:' });
    assert.equal(dead.state, NagiosState.CRITICAL, dead.text);
    assert.equal(dead.text, `PROCS CRITICAL: 0 processes with command name '${ZOMBIE}', zombies not counted`);
    // ps shows a zombie's arguments as "[name] <defunct>"; so does the probe.
    assert.equal((await runProc({ argument: `[${ZOMBIE}] <defunct>` })).text, `PROCS OK: 1 process with args '[${ZOMBIE}] <defunct>'`);
  });

  test('a command name longer than the kernel keeps matches through argv[0]', async (t) => {
    if (needs(t, { root: true })) return;
    const r = await runProc({ command: LONG, critical: '1:' });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.equal(r.text, `PROCS OK: 1 process with command name '${LONG}'`);
  });

  test('an unknown user is UNKNOWN, as check_procs says', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_PROCS] })) return;
    const r = await runProc({ command: NAME, user: 'no-such-user-mamoru' });
    assert.equal(r.state, NagiosState.UNKNOWN, r.text);
    assert.equal(r.text, "PROCS UNKNOWN - user 'no-such-user-mamoru' was not found");
    assert.equal((await checkProcs(['-C', NAME, '-u', 'no-such-user-mamoru'])).state, NagiosState.UNKNOWN);
  });

  test('a target that is not this machine is UNKNOWN, not this machine\'s count', async () => {
    // 192.0.2.10 is a documentation address: nothing is sent anywhere, the probe only compares.
    const r = await runCheck(proc, targetFromAddress('192.0.2.10'), proc.schema.parse({ command: NAME }), { timeoutMs: 5000 });
    assert.equal(r.state, NagiosState.UNKNOWN, r.text);
    assert.equal(r.text, 'PROCS UNKNOWN - 192.0.2.10 is not this machine: processes are counted locally only (through SSH is not built yet)');
  });

  test('same state, text and count as check_procs for the same filters', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_PROCS] })) return;
    const cases: [Record<string, unknown>, string[]][] = [
      [{ command: NAME }, ['-C', NAME]],
      [{ command: NAME, warning: '5', critical: '10' }, ['-C', NAME, '-w', '5', '-c', '10']],
      [{ command: NAME, warning: '2', critical: '5' }, ['-C', NAME, '-w', '2', '-c', '5']],
      [{ command: `mmr${id}none`, critical: '1:' }, ['-C', `mmr${id}none`, '-c', '1:']],
      [{ command: NAME, user: 'nobody' }, ['-C', NAME, '-u', 'nobody']],
      [{ command: NAME, user: 0, critical: '3:3' }, ['-C', NAME, '-u', '0', '-c', '3:3']],
      [{ argument: ROOT_ARG, warning: '@1:3' }, ['-a', ROOT_ARG, '-w', '@1:3']],
      [{ command: NAME, argument: NOBODY_ARG }, ['-C', NAME, '-a', NOBODY_ARG]],
      [{ argument_regex: `0\\.${process.pid}[12]$` }, [`--ereg-argument-array=0\\.${process.pid}[12]$`]],
      [{ command: NAME, state: 'Ss' }, ['-C', NAME, '-s', 'Ss']],
      [{ command: NAME, state: 'R' }, ['-C', NAME, '-s', 'R']],
      [{ command: ZOMBIE }, ['-C', ZOMBIE]],
      [{ command: ZOMBIE, state: 'Z', critical: '0' }, ['-C', ZOMBIE, '-s', 'Z', '-c', '0']],
      [{ argument: ZOMBIE }, ['-a', ZOMBIE]],
    ];
    for (const [options, args] of cases) {
      const ours = await runProc(options);
      const theirs = await checkProcs(args);
      const what = `${JSON.stringify(options)}\n ours: ${ours.text}\n check_procs: ${theirs.text}`;
      assert.equal(ours.state, theirs.state, what);
      assert.equal(ours.text, theirs.text, what);
      assert.equal(ours.perfdata[0]!.value, Number(/^procs=(\d+)/.exec(theirs.perf)?.[1]), what);
    }
  });
});

describe('counting a process list given as data (the seam for other machines)', () => {
  const p = (pid: number, comm: string | null, stat: string | null, uid: number | null, args: string | null): ProcessInfo => ({ pid, comm, stat, uid, args, argv0: args?.split(' ')[0] ?? null });
  const list = [
    p(1, 'sshd', 'Ss', 0, '/usr/sbin/sshd -D'),
    p(2, 'sshd', 'S', 1000, 'sshd: alice@pts/0'),
    p(3, 'nginx', 'S', 33, 'nginx: worker process'),
    p(4, 'nginx', 'Z', 33, '[nginx] <defunct>'),
    p(5, null, null, null, null), // ended while the list was read
  ];

  test('filters combine, zombies count unless excluded, vanished processes never count', async () => {
    assert.equal(await countProcesses(list, { countZombies: true }), 4);
    assert.equal(await countProcesses(list, { command: 'sshd', countZombies: true }), 2);
    assert.equal(await countProcesses(list, { command: 'sshd', uid: 0, countZombies: true }), 1);
    assert.equal(await countProcesses(list, { command: 'nginx', countZombies: true }), 2);
    assert.equal(await countProcesses(list, { command: 'nginx', countZombies: false }), 1);
    assert.equal(await countProcesses(list, { argumentRegex: /^nginx|sshd:/, countZombies: true }), 2);
    assert.equal(await countProcesses(list, { state: 's', countZombies: true }), 1);
  });

  test('a range that does not parse is a config error, not a failing check', () => {
    const r = proc.schema.safeParse({ command: 'x', critical: '5:1' });
    assert.equal(r.success, false);
    assert.match(String(r.error?.issues[0]?.message), /invalid range "5:1": start is greater than end/);
  });
});
