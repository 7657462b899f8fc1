/**
 * raise-worker-limit against the lab's real Apache, over SSH into the server namespace: the one
 * line changed in the Included file where the limit is written, backed up outside the config
 * tree, tested, reloaded gracefully, the new limit read back by the inspection and Apache
 * answering; a config broken elsewhere fails the test, the file goes back byte for byte and the
 * running Apache keeps its master and its old limit; with every worker held by slow clients the
 * verification waits for the new workers and the raise stays; dry-run and ask touch nothing; the
 * limit is bounded by ServerLimit.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { actions } from '../../src/actions/index.ts';
import { createGuard, policySchema, runGuarded } from '../../src/actions/policy.ts';
import { firstLine, type ActionContext } from '../../src/actions/types.ts';
import { nextLimit, setDirective } from '../../src/actions/worker-limit.ts';
import { FakeClock, systemClock } from '../../src/core/clock.ts';
import type { Executor } from '../../src/executors/types.ts';
import { inspectApacheWorkers } from '../../src/inspect/apache-workers.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { serverExecutor } from '../inspect/helpers.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { acceptsTcp } from '../lab/process.ts';
import { apacheService, apacheServiceInput } from './lab-services.ts';

const prereq = { root: true, commands: ['ip', 'apache2', '/usr/sbin/sshd'] };
const raise = actions['raise-worker-limit'];

/** The page from the monitor: what a client sees. */
async function page(apache: LabApache, ip: string): Promise<string> {
  const res = await fetch(`http://${ip}:${apache.port}/`, { signal: AbortSignal.timeout(5000) });
  return res.text();
}

const limitLine = (file: string) => readFileSync(file, 'utf8').split('\n').find((l) => /MaxRequestWorkers/.test(l))!.trim();

describe('raise-worker-limit on the lab Apache over SSH', () => {
  let lab: Lab;
  let exec: Executor;
  const ctxFor = (apache: LabApache): ActionContext => ({ executor: exec, address: lab.server.ip, target: 'lab-server', service: apacheService(lab, apache), clock: systemClock });

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    exec = (await serverExecutor(lab)).exec;
  });
  after(async () => {
    await lab?.destroy();
  });

  test('auto: backs up, changes the one line, tests, reloads gracefully; the inspection reads the new limit and Apache answers', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8081 });
    const original = readFileSync(apache.mpmConfFile, 'utf8');
    const master = apache.pid();
    const guard = createGuard(policySchema.parse({ modes: { 'raise-worker-limit': 'auto' } }), systemClock);
    const run = await runGuarded(guard, raise, ctxFor(apache), {});
    assert.equal(run.outcome.status, 'done', JSON.stringify(run.outcome, null, 1));
    assert.match(run.outcome.text, /raised MaxRequestWorkers from 5 to 10 on lab-server/);

    // Exactly one line differs, the directive's, with its indentation kept.
    const now = readFileSync(apache.mpmConfFile, 'utf8');
    const a = original.split('\n');
    const b = now.split('\n');
    const changed = a.flatMap((l, i) => (l === b[i] ? [] : [i]));
    assert.equal(changed.length, 1);
    assert.equal(b[changed[0]!], '\tMaxRequestWorkers\t10');
    // The backup is the old file, outside the config tree.
    const backups = readdirSync(join(lab.dir, 'backups'));
    assert.equal(backups.length, 1);
    assert.equal(readFileSync(join(lab.dir, 'backups', backups[0]!), 'utf8'), original);
    assert.ok(!backups[0]!.startsWith(apache.serverRoot));

    // Apache's own view: the config test passes and the running server was reloaded, not restarted.
    assert.equal(apache.configTest().ok, true);
    assert.equal(apache.pid(), master, 'a graceful reload keeps the master');
    assert.match(apache.log(), /AH00171: Graceful restart requested/);
    const ev = await inspectApacheWorkers(exec, { configFile: apache.configFile });
    assert.equal(ev.limit, 10);
    assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    // The timeline tells it step by step.
    const texts = run.outcome.records.map((r) => `${r.kind}: ${r.text}`);
    for (const step of [/^action: backed up .*mpm_prefork\.conf to /, /^action: changed MaxRequestWorkers 5 -> 10 at .*mpm_prefork\.conf:\d+/, /^evidence: config test .*: exit 0/, /^action: graceful reload: .* -k graceful: exit 0/, /^evidence: Apache \(prefork\) runs \d+ workers against a limit of 10 /]) {
      assert.ok(texts.some((x) => step.test(x)), `no record matching ${step} in:\n${texts.join('\n')}`);
    }
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('a config already broken before mamoru touched it: the test before any change fails, nothing is changed (no backup, the file byte-identical), escalate saying so and that Apache will not start at its next restart', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8082 });
    const original = readFileSync(apache.mpmConfFile, 'utf8');
    const master = apache.pid();
    // Someone's half-finished edit in another Included file.
    writeFileSync(join(apache.serverRoot, 'mods-enabled', 'zz-broken.conf'), 'ThisIsNotADirective on\n');
    assert.equal(apache.configTest().ok, false);
    const guard = createGuard(policySchema.parse({ mode: 'auto' }), systemClock);
    const run = await runGuarded(guard, raise, ctxFor(apache), {});
    const texts = run.outcome.records.map((r) => `${r.kind}: ${r.text}`);
    assert.equal(run.outcome.status, 'escalate', texts.join('\n'));
    assert.match(run.outcome.text, /already broken before mamoru touched it; nothing was changed/);
    assert.match(run.outcome.why!, /config test failed before any change .*ThisIsNotADirective/);
    assert.match(run.outcome.why!, /Apache will not start at its next restart until a person fixes it: "AH00526: Syntax error on line 1 of .*zz-broken\.conf:"/);
    // The message, in both languages: broken already, nothing changed, the next restart fails, the test's own first line quoted.
    assert.match(run.outcome.say.en, /already broken before mamoru touched it \(the config test says "AH00526: Syntax error on line 1 of [^"]*zz-broken\.conf:"\)\. Nothing was changed\..*will not start at its next restart until a person fixes/);
    assert.match(run.outcome.say.ja, /mamoru が触れる前からすでに壊れていました（設定テストの結果:「AH00526: Syntax error on line 1 of [^」]*zz-broken\.conf:」）。何も変更していません。.*次回の再起動で起動しません/);
    assert.match(run.outcome.needed!.say.ja, /至急修正をお願いします/);
    // Nothing was touched: the file byte for byte, no backup made, nothing written or reloaded.
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original);
    assert.equal(existsSync(join(lab.dir, 'backups')) ? readdirSync(join(lab.dir, 'backups')).length : 0, 0, 'no backup: nothing was going to change');
    assert.ok(!texts.some((x) => /backed up|changed MaxRequestWorkers|restored|graceful reload/.test(x)), texts.join('\n'));
    assert.ok(texts.some((x) => /^evidence: config test before any change .*: exit 1/.test(x)), texts.join('\n'));
    // The running Apache never saw any of it.
    assert.equal(apache.pid(), master);
    assert.doesNotMatch(apache.log(), /Graceful restart requested/);
    assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    rmSync(join(apache.serverRoot, 'mods-enabled', 'zz-broken.conf'));
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('a config test that fails only after the change: the file is restored byte for byte, Apache keeps serving its old limit, escalate saying the change was rolled back and the config is as it was', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8088 });
    const original = readFileSync(apache.mpmConfFile, 'utf8');
    const master = apache.pid();
    const input = apacheServiceInput(lab, apache);
    // The operator's config test, here one that trips on the new value (as a site-specific check would).
    const test = ['sh', '-c', 'if grep -q "MaxRequestWorkers[[:space:]]*5$" "$1"; then shift; exec "$@"; fi; echo "AH00526: Syntax error on line 3 of $1: value refused by the site check" >&2; exit 1', 'site-check', apache.mpmConfFile, ...input.config_test!];
    const ctx = { ...ctxFor(apache), service: apacheService(lab, apache, { config_test: test }) };
    const run = await runGuarded(createGuard(policySchema.parse({ mode: 'auto' }), systemClock), raise, ctx, {});
    const texts = run.outcome.records.map((r) => `${r.kind}: ${r.text}`);
    assert.equal(run.outcome.status, 'escalate', texts.join('\n'));
    assert.match(run.outcome.why!, /the config test failed after the change .*value refused by the site check/);
    assert.match(run.outcome.say.en, /the config test failed after the change \("AH00526: Syntax error on line 3 of .*"\), so the change was rolled back: the configuration is as it was and Apache was not reloaded\.$/);
    assert.match(run.outcome.say.ja, /変更後の設定テストが失敗しました（「AH00526: .*」）、変更は元に戻しました。設定は変更前のままで、Apache の再読み込みはしていません。$/);
    assert.doesNotMatch(run.outcome.say.en, /already broken/);
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original);
    assert.ok(texts.some((x) => /^evidence: config test before any change .*: exit 0/.test(x)), texts.join('\n'));
    assert.ok(texts.some((x) => /^action: restored .*mpm_prefork\.conf from /.test(x)), texts.join('\n'));
    assert.ok(!texts.some((x) => /graceful reload/.test(x)), 'never reloaded onto a config that does not test clean');
    assert.equal(apache.pid(), master);
    assert.doesNotMatch(apache.log(), /Graceful restart requested/);
    assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('dry-run and ask touch nothing until approved; a denial leaves it so', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8083 });
    const original = readFileSync(apache.mpmConfFile, 'utf8');
    const clock = new FakeClock();
    const ctx = { ...ctxFor(apache), clock };

    const dry = await runGuarded(createGuard(policySchema.parse({ mode: 'dry-run' }), clock), raise, ctx, {});
    assert.equal(dry.outcome.status, 'dry-run');
    assert.match(dry.outcome.text, /would raise MaxRequestWorkers from 5 to 10 in .*mpm_prefork\.conf:\d+/);
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original);
    assert.equal(existsSync(join(lab.dir, 'backups')), false, 'no backup made in a dry run');

    // Config changes ask by default.
    const guard = createGuard(policySchema.parse({}), clock);
    const denied = await runGuarded(guard, raise, ctx, {});
    assert.equal(denied.mode, 'ask');
    assert.equal(denied.outcome.status, 'pending');
    assert.deepEqual(guard.approvals.pending().map((a) => a.id), [denied.approval!.id]);
    assert.match(guard.approvals.pending()[0]!.text, /^raise MaxRequestWorkers on lab-server from 5 to about 10 in .*mpm_prefork\.conf:\d+/);
    assert.equal(guard.approvals.deny(denied.approval!.id, 'operator'), true);
    const no = await denied.settled;
    assert.equal(no.status, 'refused');
    assert.match(no.text, /denied by operator/);
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original);

    const asked = await runGuarded(guard, raise, ctx, {});
    assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original, 'nothing changes while waiting');
    assert.equal(guard.approvals.approve(asked.approval!.id, 'operator'), true);
    const yes = await asked.settled;
    assert.equal(yes.status, 'done', JSON.stringify(yes, null, 1));
    assert.match(yes.records[0]!.text, /^approved by operator: raise MaxRequestWorkers/);
    assert.equal(limitLine(apache.mpmConfFile), 'MaxRequestWorkers\t10');
    assert.ok(await acceptsTcp(lab.server.ip, apache.port));
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('every worker held by slow clients while the raise happens: verification waits for the new workers, Apache answers on them, the raise stays (done, never restored)', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8085 });
    const slow = await apache.exhaustWorkers(); // all 5 busy: a new request waits
    try {
      const guard = createGuard(policySchema.parse({ modes: { 'raise-worker-limit': 'auto' } }), systemClock);
      const run = await runGuarded(guard, raise, ctxFor(apache), {});
      const texts = run.outcome.records.map((r) => `${r.kind}: ${r.text}`);
      assert.equal(run.outcome.status, 'done', texts.join('\n'));
      assert.ok(!texts.some((x) => /restored/.test(x)), `rolled back:\n${texts.join('\n')}`);
      assert.equal(limitLine(apache.mpmConfFile), 'MaxRequestWorkers\t10');
      // The verification's own evidence: what it saw last, how long it waited and how often it looked.
      const verified = run.outcome.records.find((r) => r.data?.tries !== undefined);
      assert.ok(verified, texts.join('\n'));
      assert.match(verified.text, /^apache2 runs \(master \d+, \d+ child(ren)?\).*answers: HTTP OK.*; the new limit 10 is in effect \(after \d+\.\d s, \d+ looks?\)$/);
      assert.equal(typeof verified.data!.waitedMs, 'number');
      assert.ok((verified.data!.tries as number) >= 1);
      assert.ok(texts.some((x) => /^evidence: Apache \(prefork\) runs \d+ workers against a limit of 10 /.test(x)), texts.join('\n'));
      // The slow clients still hold the old workers; a client is served by the new ones.
      assert.ok(apache.workerPids().length > 5, `${apache.workerPids().length} workers`);
      assert.equal(await page(apache, lab.server.ip), apache.indexBody);
    } finally {
      await slow.release();
    }
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });

  test('bounded by ServerLimit (a graceful reload cannot go past it) and by the configured maximum', async (t) => {
    if (needs(t, prereq)) return;
    // The lab writes ServerLimit 16: a limit of 12 can only reach 16, and with maximum 14 only 14.
    const apache = await startApache(lab, { port: 8084, maxRequestWorkers: 12 });
    const guard = createGuard(policySchema.parse({ mode: 'auto' }), systemClock);
    const ctx = ctxFor(apache);
    const capped = await runGuarded(guard, raise, { ...ctx, dryRun: false, service: { ...ctx.service, worker_limit: { ...ctx.service.worker_limit, maximum: 14 } } }, {});
    assert.equal(capped.outcome.status, 'done', JSON.stringify(capped.outcome, null, 1));
    assert.equal(limitLine(apache.mpmConfFile), 'MaxRequestWorkers\t14');
    const full = await runGuarded(guard, raise, ctx, {});
    assert.equal(full.outcome.status, 'done');
    assert.equal(limitLine(apache.mpmConfFile), 'MaxRequestWorkers\t16');
    const none = await runGuarded(guard, raise, ctx, {});
    // Not a person's problem: the raise with a full restart gets past ServerLimit, and respond() asks for it instead.
    assert.equal(none.outcome.status, 'failed');
    assert.match(none.outcome.why!, /the limit 16 cannot be raised: bounded by server-limit/);
    assert.equal(none.outcome.instead?.type, 'raise-worker-limit-restart');
    assert.match(none.outcome.say.en, /ServerLimit 16 caps it, and only a full restart of Apache can raise ServerLimit; that raise .* waits for approval\.$/);
    assert.match(none.outcome.say.ja, /ServerLimit 16 が上限となっており/);
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });
});

describe('the config test\'s line quoted to a person', () => {
  test('the first error line, past the warning Apache prints on every run; bounded, no control characters', () => {
    const apache = "AH00558: apache2: Could not reliably determine the server's fully qualified domain name, using 127.0.1.1\nAH00526: Syntax error on line 1 of /etc/apache2/conf-enabled/x.conf:\nInvalid command 'Foo', perhaps misspelled\nAction '-t' failed.\n";
    assert.equal(firstLine({ stdout: '', stderr: apache }), 'AH00526: Syntax error on line 1 of /etc/apache2/conf-enabled/x.conf:');
    assert.equal(firstLine({ stdout: 'httpd: bad\u001b[31m thing\n', stderr: '' }), 'httpd: bad [31m thing');
    assert.equal(firstLine({ stdout: '', stderr: `error ${'x'.repeat(500)}` }).length, 200);
  });
});

describe('worker limit arithmetic and the one-line edit', () => {
  test('double, target, maximum, ServerLimit and memory, whichever is lowest; whole processes for threaded MPMs', () => {
    const base = { current: 256, running: 256, maximum: 1024, cap: 20000, threadsPerChild: 1 };
    assert.deepEqual(nextLimit(base), { value: 512, boundBy: 'double', memoryBound: undefined });
    assert.equal(nextLimit({ ...base, target: 300 }).value, 300);
    assert.equal(nextLimit({ ...base, maximum: 400 }).boundBy, 'maximum');
    // 100 MiB free at 10 MiB a worker: room for 10 more than the 256 running.
    assert.deepEqual(nextLimit({ ...base, memoryFree: 100 * 2 ** 20, workerRss: 10 * 2 ** 20 }), { value: 266, boundBy: 'memory', memoryBound: 266 });
    assert.equal(nextLimit({ ...base, current: 400, running: 16, threadsPerChild: 25, cap: 16 * 25, maximum: 10000 }).value, 400);
    assert.equal(nextLimit({ ...base, current: 150, threadsPerChild: 25, maximum: 290 }).value, 275);
  });

  test('only the number on that line changes; a line that is not what the inspection saw is refused', () => {
    const text = '<IfModule mpm_prefork_module>\n    MaxClients   256   # raised 2019\r\n</IfModule>\n';
    assert.equal(setDirective(text, 2, 'MaxClients', 256, 512), '<IfModule mpm_prefork_module>\n    MaxClients   512   # raised 2019\r\n</IfModule>\n');
    assert.throws(() => setDirective(text, 2, 'MaxClients', 300, 512), /line 2 is not "MaxClients 300" any more/);
    assert.throws(() => setDirective(text, 1, 'MaxClients', 256, 512), /line 1 is not/);
    assert.throws(() => setDirective(text, 2, 'Max.*', 256, 512), /not a directive name/);
  });
});
