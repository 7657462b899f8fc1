/**
 * The hostile-server suite on the lab's real server, over SSH: an unprivileged user (uid 65534)
 * starts a fake `apache2` (their own copy of a program, named so, started with `-f` of the real
 * config and older than the real master) and plants a symlink where the old temporary file was
 * made; then Apache's workers run out and mamoru raises the limit. mamoru must neither run the
 * fake nor read its choice of config, must not write through the link, and when the config is
 * in a directory the user can write it must stop and say why. Every argv mamoru ran is recorded.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { actions } from '../../src/actions/index.ts';
import { createGuard, policySchema, runGuarded } from '../../src/actions/policy.ts';
import type { ActionContext } from '../../src/actions/types.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { Executor } from '../../src/executors/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { serverExecutor } from '../inspect/helpers.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { apacheService } from './lab-services.ts';

const prereq = { root: true, commands: ['ip', 'apache2', '/usr/sbin/sshd', 'setpriv'] };
const raise = actions['raise-worker-limit'];
const NOBODY = 65534;

/** The executor as it is, with every argv it is asked to run written down. */
function recording(exec: Executor): Executor & { ran: string[][] } {
  const ran: string[][] = [];
  return {
    name: exec.name,
    ran,
    run: (argv, opts) => {
      ran.push([...argv]);
      return exec.run(argv, opts);
    },
    readFile: (p, o) => exec.readFile(p, o),
    close: () => exec.close(),
  };
}

describe('hostile user on the lab server: fake apache2, planted symlink', () => {
  let lab: Lab;
  let ssh: Executor;
  let fakeBin: string;
  const limitLine = (a: LabApache) => readFileSync(a.mpmConfFile, 'utf8').split('\n').find((l) => /MaxRequestWorkers/.test(l))!.trim();

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    ssh = (await serverExecutor(lab)).exec;
    // The user's own program, named apache2: a copy of tail, so `apache2 -f FILE` stays running.
    const home = join(lab.dir, 'home', 'u');
    mkdirSync(join(home, 'bin'), { recursive: true });
    fakeBin = join(home, 'bin', 'apache2');
    copyFileSync('/usr/bin/tail', fakeBin);
    chmodSync(fakeBin, 0o755);
    for (const p of [join(lab.dir, 'home'), home, join(home, 'bin'), fakeBin]) chownSync(p, NOBODY, NOBODY);
  });
  after(async () => {
    await lab?.destroy();
  });

  /** The fake, started as the user in the server namespace with `-f` of that Apache's config (`tail --retry -f`: it waits for the file). */
  const startFake = async (configFile: string) => {
    const fake = lab.server.spawn(['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', fakeBin, '--retry', '-f', configFile]);
    await waitFor('the fake apache2', () => (lab.server.run(['pgrep', '-u', String(NOBODY), '-x', 'apache2']).stdout.trim() ? true : undefined), 10_000);
    // Older than the master started next: it would sort first.
    await new Promise((r) => setTimeout(r, 1100));
    return fake;
  };

  test('the fake is never run and never chooses the config; the planted link is not written through; the limit is raised in the real file', async (t) => {
    if (needs(t, prereq)) return;
    const fake = await startFake(join(lab.dir, 'apache-8091', 'apache2.conf'));
    const apache = await startApache(lab, { port: 8091 });
    assert.equal(apache.configFile, join(lab.dir, 'apache-8091', 'apache2.conf'), 'the fake names the real config file');
    const victim = join(lab.dir, 'victim');
    writeFileSync(victim, 'root only\n');
    symlinkSync(victim, `${apache.mpmConfFile}.mamoru-new`);

    const exec = recording(ssh);
    const ctx: ActionContext = { executor: exec, address: lab.server.ip, target: 'lab-server', service: apacheService(lab, apache), clock: systemClock };
    const run = await runGuarded(createGuard(policySchema.parse({ mode: 'auto' }), systemClock), raise, ctx, {});
    assert.equal(run.outcome.status, 'done', JSON.stringify(run.outcome, null, 1));
    assert.equal(limitLine(apache), 'MaxRequestWorkers\t10');

    assert.ok(!exec.ran.some((a) => a.some((w) => w.includes(join(lab.dir, 'home')))), `nothing of the user's was run:\n${exec.ran.map((a) => a.join(' ')).join('\n')}`);
    assert.ok(exec.ran.some((a) => a[0] === 'apache2ctl' && a[1] === '-l'), 'compiled-in modules come from the fixed control program');
    assert.equal(readFileSync(victim, 'utf8'), 'root only\n');
    assert.equal(readlinkSync(`${apache.mpmConfFile}.mamoru-new`), victim);
    assert.ok(lstatSync(apache.mpmConfFile).isFile());
    assert.equal(apache.pid() !== undefined, true);
    const evidence = run.outcome.records.map((r) => r.text).join('\n');
    assert.match(evidence, /process \d+ \(user nobody\)|1 process named apache2 ignored/, 'the fake is named in the evidence');
    fake.kill('SIGKILL');
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('the config lies in a directory the user can write: nothing changed, no backup, escalated with the reason', async (t) => {
    if (needs(t, prereq)) return;
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    const apache = await startApache(lab, { port: 8092 });
    const original = readFileSync(apache.mpmConfFile, 'utf8');
    chownSync(dirname(apache.mpmConfFile), NOBODY, NOBODY);
    const run = await runGuarded(createGuard(policySchema.parse({ mode: 'auto' }), systemClock), raise, { executor: ssh, address: lab.server.ip, target: 'lab-server', service: apacheService(lab, apache), clock: systemClock }, {});
    assert.equal(run.outcome.status, 'escalate');
    assert.match(`${run.outcome.text} / ${run.outcome.why}`, /did not raise the worker limit on lab-server: the config file is not safe to change \//);
    assert.match(run.outcome.why!, new RegExp(`mamoru will not change ${apache.mpmConfFile.replace(/[.]/g, '\\.')} as root: the directory ${dirname(apache.mpmConfFile).replace(/[.]/g, '\\.')} is owned by uid 65534, not root; .*A person should check`));
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original);
    assert.equal(existsSync(join(lab.dir, 'backups')), false);
    chownSync(dirname(apache.mpmConfFile), 0, 0);
    await apache.kill();
  });
});
