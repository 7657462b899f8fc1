/**
 * raise-worker-limit-restart against the lab's real Apache, over SSH into the server namespace,
 * in the field case of issue 13: `MaxRequestWorkers 5` in the mpm file under `ServerLimit 5` in
 * another Included file, where raise-worker-limit declines. By default a person is asked, with a
 * text that says both changes, both places and the restart; once approved both lines change,
 * both files are backed up, Apache comes back with a new master and the inspection reads the new
 * limit; a config broken elsewhere fails the test and both files go back byte for byte, with the
 * running Apache untouched. End to end, a surge of many clients against that Apache makes the
 * web runbook propose this action (not the graceful raise) and wait for the approval.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { actions } from '../../src/actions/index.ts';
import { probeOnce } from '../../src/actions/answers.ts';
import { createGuard, modeOf, policySchema, runGuarded } from '../../src/actions/policy.ts';
import type { ActionContext } from '../../src/actions/types.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { respond } from '../../src/runbooks/run.ts';
import { classify } from '../../src/triage/index.ts';
import { serverLimitFor } from '../../src/actions/worker-limit.ts';
import { FakeClock, systemClock } from '../../src/core/clock.ts';
import type { Executor } from '../../src/executors/types.ts';
import { inspectApacheWorkers } from '../../src/inspect/apache-workers.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { printed, serverExecutor } from '../inspect/helpers.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { assertSaid } from '../runbooks/said-check.ts';
import { saidFrom } from '../../src/core/said.ts';
import { waitFor } from '../lab/process.ts';
import { apacheService } from './lab-services.ts';
import { addCrowd, slowClientsFrom } from '../lab/crowd.ts';

const prereq = { root: true, commands: ['ip', 'apache2', '/usr/sbin/sshd'] };
const raiseRestart = actions['raise-worker-limit-restart'];

/** The page from the monitor: what a client sees. */
async function page(apache: LabApache, ip: string): Promise<string> {
  const res = await fetch(`http://${ip}:${apache.port}/`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

const lineOf = (file: string, re: RegExp) => readFileSync(file, 'utf8').split('\n').find((l) => re.test(l))!.trim();

/**
 * The field case: ServerLimit 5 moved out of the mpm file into its own Included file (the two
 * directives in different files), then Apache restarted so it runs with it.
 */
async function cappedApache(lab: Lab, port: number): Promise<{ apache: LabApache; limitsFile: string }> {
  const apache = await startApache(lab, { port });
  const limitsFile = join(apache.serverRoot, 'mods-enabled', 'server-limit.conf');
  writeFileSync(apache.mpmConfFile, readFileSync(apache.mpmConfFile, 'utf8').replace(/^\tServerLimit\t+\d+\n/m, ''));
  writeFileSync(limitsFile, '# the hosting plan: at most 5 Apache processes\nServerLimit\t5\n');
  await apache.stop();
  await apache.start();
  return { apache, limitsFile };
}

describe('raise-worker-limit-restart on the lab Apache over SSH (MaxRequestWorkers 5 under ServerLimit 5)', () => {
  let lab: Lab;
  let exec: Executor;
  const ctxFor = (apache: LabApache): ActionContext => ({ executor: exec, address: lab.server.ip, target: 'lab-server', service: apacheService(lab, apache), clock: systemClock });

  /** Extra addresses of the legitimate client namespace: many distinct clients. */
  const crowd: string[] = [];

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    exec = (await serverExecutor(lab)).exec;
    crowd.push(...addCrowd(lab, 8));
  });
  after(async () => {
    await lab?.destroy();
  });

  test('held for approval by default with a text a person can approve; approved: both directives raised, both files backed up, Apache restarted with a new master, the new limit in effect, the page answers', async (t) => {
    if (needs(t, prereq)) return;
    const { apache, limitsFile } = await cappedApache(lab, 8091);
    const originals = new Map([apache.mpmConfFile, limitsFile].map((f) => [f, readFileSync(f, 'utf8')]));
    const master = apache.pid();
    const ctx = ctxFor(apache);
    const before = await inspectApacheWorkers(exec, { configFile: apache.configFile });
    assert.equal(before.limit, 5);
    assert.deepEqual(before.serverLimit, { directive: 'ServerLimit', value: 5, file: limitsFile, line: 2 });

    // The graceful raise declines here: that is why this action exists.
    const graceful = await runGuarded(createGuard(policySchema.parse({ mode: 'auto' }), systemClock), actions['raise-worker-limit'], ctx, {});
    // It says why and what it would take: this action, so no person is needed for it (respond() asks for this one instead).
    assert.equal(graceful.outcome.status, 'failed');
    assert.match(graceful.outcome.why!, /the limit 5 cannot be raised: bounded by server-limit/);
    assert.equal(graceful.outcome.instead?.type, 'raise-worker-limit-restart');

    // A config change with a restart: asked by default.
    const clock = new FakeClock();
    const guard = createGuard(policySchema.parse({}), clock);
    assert.equal(modeOf(guard.policy, raiseRestart), 'ask');
    const asked = await runGuarded(guard, raiseRestart, { ...ctx, clock }, {});
    assert.equal(asked.mode, 'ask');
    assert.equal(asked.outcome.status, 'pending', JSON.stringify(asked.outcome, null, 1));
    const question = guard.approvals.pending()[0]!;
    assert.equal(question.action, 'raise-worker-limit-restart');
    const mpmLine = readFileSync(apache.mpmConfFile, 'utf8').split('\n').findIndex((l) => /MaxRequestWorkers/.test(l)) + 1;
    assert.equal(question.text, `raise MaxRequestWorkers 5 -> 10 and ServerLimit 5 -> 10 in ${apache.mpmConfFile}:${mpmLine}, ${limitsFile}:2, then restart Apache on lab-server (clients are cut for a few seconds)`);
    for (const [f, text] of originals) assert.equal(readFileSync(f, 'utf8'), text, 'nothing changes while waiting');
    assert.equal(apache.pid(), master);

    assert.equal(guard.approvals.approve(asked.approval!.id, 'operator'), true);
    const done = await asked.settled;
    const texts = done.records.map((r) => `${r.kind}: ${r.text}`);
    assert.equal(done.status, 'done', texts.join('\n'));
    assert.match(done.records[0]!.text, /^approved by operator: raise MaxRequestWorkers 5 -> 10 and ServerLimit 5 -> 10 /);

    // Both lines changed, nothing else.
    assert.equal(lineOf(apache.mpmConfFile, /MaxRequestWorkers/), 'MaxRequestWorkers\t10');
    assert.equal(readFileSync(limitsFile, 'utf8'), originals.get(limitsFile)!.replace('ServerLimit\t5', 'ServerLimit\t10'));
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), originals.get(apache.mpmConfFile)!.replace('MaxRequestWorkers\t5', 'MaxRequestWorkers\t10'));
    // Each file backed up as it was, outside the config tree.
    const dir = join(lab.dir, 'backups');
    const backups = readdirSync(dir).map((b) => readFileSync(join(dir, b), 'utf8'));
    assert.equal(backups.length, 2);
    assert.deepEqual(new Set(backups), new Set(originals.values()));

    // A full restart: a new master (a graceful reload or -k restart would have kept the old one and its ServerLimit).
    assert.notEqual(apache.pid(), undefined);
    assert.notEqual(apache.pid(), master, 'a new master');
    assert.equal(apache.configTest().ok, true);
    const ev = await inspectApacheWorkers(exec, { configFile: apache.configFile, pidFile: apache.pidFile });
    assert.equal(ev.limit, 10);
    assert.equal(ev.serverLimit.value, 10);
    assert.equal(ev.masterPid, apache.pid());
    assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    for (const step of [
      /^action: backed up .*mpm_prefork\.conf to /,
      /^action: backed up .*server-limit\.conf to /,
      /^action: changed MaxRequestWorkers 5 -> 10 at .*mpm_prefork\.conf:\d+/,
      /^action: changed ServerLimit 5 -> 10 at .*server-limit\.conf:2/,
      /^evidence: config test .*: exit 0/,
      /^action: ran .* -k stop: exit 0/,
      /^action: ran .* -k start: exit 0/,
      /answers: HTTP OK.*; the new limit 10 is in effect \(new master \d+\)/,
    ]) {
      assert.ok(texts.some((x) => step.test(x)), `no record matching ${step} in:\n${texts.join('\n')}`);
    }
    rmSync(dir, { recursive: true, force: true });
    await apache.kill();
  });

  test('a config already broken elsewhere: the test before any change fails, both files byte-identical with no backup, Apache is never restarted and keeps serving, escalate saying so', async (t) => {
    if (needs(t, prereq)) return;
    const { apache, limitsFile } = await cappedApache(lab, 8092);
    const originals = new Map([apache.mpmConfFile, limitsFile].map((f) => [f, readFileSync(f, 'utf8')]));
    const master = apache.pid();
    // Someone's half-finished edit in another Included file.
    const broken = join(apache.serverRoot, 'mods-enabled', 'zz-broken.conf');
    writeFileSync(broken, 'ThisIsNotADirective on\n');
    assert.equal(apache.configTest().ok, false);
    const guard = createGuard(policySchema.parse({ modes: { 'raise-worker-limit-restart': 'auto' } }), systemClock);
    const run = await runGuarded(guard, raiseRestart, ctxFor(apache), {});
    const texts = run.outcome.records.map((r) => `${r.kind}: ${r.text}`);
    assert.equal(run.outcome.status, 'escalate', texts.join('\n'));
    assert.match(run.outcome.why!, /config test failed before any change .*ThisIsNotADirective/);
    assert.match(run.outcome.text, /the config was already broken before mamoru touched it; nothing was changed/);
    assert.match(run.outcome.say.en, /already broken before mamoru touched it .*Nothing was changed\..*will not start at its next restart/);
    assert.match(run.outcome.say.ja, /すでに壊れていました.*何も変更していません。.*次回の再起動で起動しません/);
    for (const [f, text] of originals) assert.equal(readFileSync(f, 'utf8'), text, `${f} byte for byte`);
    assert.ok(!texts.some((x) => /backed up|restored|changed /.test(x)), texts.join('\n'));
    assert.ok(!texts.some((x) => /-k (stop|start)/.test(x)), 'never stopped onto a config that does not test clean');
    // The running Apache never saw any of it.
    assert.equal(apache.pid(), master);
    assert.equal((await inspectApacheWorkers(exec, { configFile: apache.configFile })).serverLimit.value, 5);
    assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    rmSync(broken);
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('a surge of many clients at ServerLimit: the web runbook proposes the raise with a restart and waits for approval; approved, Apache comes back with the new limit and answers', async (t) => {
    if (needs(t, prereq)) return;
    const { apache, limitsFile } = await cappedApache(lab, 8093);
    const clients = slowClientsFrom(lab, crowd, apache.port);
    try {
      await printed(clients, 'held');
      await waitFor('every worker busy', () => apache.workerPids().length >= 5, 10_000);
      const seen = await probeOnce('http', lab.server.ip, { port: apache.port }, 3000);
      assert.equal(seen.answered, false, `the check should fail: ${seen.text}`);
      const triage = classify({ probeType: 'http', state: NagiosState.CRITICAL, text: seen.text });
      const clock = new FakeClock();
      const guard = createGuard(policySchema.parse({}), clock);
      const res = await respond({ ...ctxFor(apache), clock, guard, alert: { text: seen.text } }, triage);
      assert.match(res.verdict, /^workers at limit \(5 of 5\) on lab-server, surge: .*; raise the limit and ServerLimit 5 \(needs a full restart\)$/);
      assert.deepEqual(res.proposed.map((p) => p.type), ['raise-worker-limit-restart']);
      assert.match(res.proposed[0]!.why, /ServerLimit 5 caps it, which only a full restart can raise/);
      const asked = res.actions[0]!;
      assert.equal(asked.mode, 'ask');
      assert.equal(asked.outcome.status, 'pending');
      assert.match(asked.approval!.text, /^raise MaxRequestWorkers 5 -> 10 and ServerLimit 5 -> 10 in .*mpm_prefork\.conf:\d+, .*server-limit\.conf:2, then restart Apache on lab-server \(clients are cut for a few seconds\)$/);
      assert.equal(lineOf(limitsFile, /ServerLimit/), 'ServerLimit\t5', 'nothing changes while waiting');
      // The message while it waits: why (ServerLimit), what it would take, and that it waits: no "needs a person", no contradiction.
      assertSaid(res);
      assert.equal(res.summary.escalation, undefined);
      assert.match(res.verdictSay.en, /The limit can only go up together with ServerLimit 5, which takes a full restart of Apache/);
      const waiting = res.records.filter((r) => r.kind === 'action' && r.data?.status === 'pending');
      assert.equal(waiting.length, 1);
      assert.equal(waiting[0]!.data!.type, 'raise-worker-limit-restart');
      assert.deepEqual(saidFrom(waiting[0]!.data!.say), {
        en: "Waiting for approval to raise Apache's MaxRequestWorkers from 5 to 10 and ServerLimit from 5 to 10 on lab-server, then restart Apache (visitors are cut for a few seconds).",
        ja: 'lab-server の Apache の MaxRequestWorkers の 5 から 10 へ、ServerLimit の 5 から 10 への引き上げと、Apache の再起動（数秒間接続が切れます）について、承認をお待ちしています。',
      });
      assert.equal(guard.approvals.approve(asked.approval!.id, 'operator'), true);
      const done = await asked.settled;
      assert.equal(done.status, 'done', done.records.map((r) => r.text).join('\n'));
      const final = res.records.at(-1)!;
      assert.equal(final.data!.status, 'done');
      assert.match(saidFrom(final.data!.say)!.ja, /再起動しました。新しい上限 10 の反映と応答を確認済みです。$/);
      assert.equal(lineOf(limitsFile, /ServerLimit/), 'ServerLimit\t10');
      assert.equal(lineOf(apache.mpmConfFile, /MaxRequestWorkers/), 'MaxRequestWorkers\t10');
      assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    } finally {
      clients.kill('SIGKILL');
      rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
      await apache.kill();
    }
  });
});

describe('the ServerLimit a worker limit needs', () => {
  test('one process per worker (prefork), whole processes of ThreadsPerChild threads (worker, event)', () => {
    assert.equal(serverLimitFor(10, 1), 10);
    assert.equal(serverLimitFor(400, 25), 16);
    assert.equal(serverLimitFor(410, 25), 17);
  });
});
