/**
 * The web runbooks end to end against the lab's real Apache, over SSH into the server namespace:
 * mamoru's own http check sees the fault, triage picks the runbook, respond() diagnoses and acts
 * under the guard policy. Apache killed: "not listening, no master process", started, answering.
 * Workers held by many distinct clients (addresses added to the client namespace): "workers at
 * limit, surge", the limit raised and in effect, Apache answering while the surge still holds.
 * Workers held by one attacker address: an attack, the limit left alone, the address handed on.
 * A surge with a config broken elsewhere: the config test fails, the file is restored, Apache
 * keeps its master and its old limit, a person is asked for.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeOnce } from '../../src/actions/answers.ts';
import { createGuard, policySchema, type PolicyConfig } from '../../src/actions/policy.ts';
import type { TimelineRecord } from '../../src/actions/types.ts';
import { systemClock } from '../../src/core/clock.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import type { Executor } from '../../src/executors/types.ts';
import { inspectApacheWorkers } from '../../src/inspect/apache-workers.ts';
import { respond, type IncidentContext } from '../../src/runbooks/run.ts';
import { classify } from '../../src/triage/index.ts';
import { apacheService } from '../actions/lab-services.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { printed, serverExecutor } from '../inspect/helpers.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { addCrowd, slowClientsFrom } from '../lab/crowd.ts';
import { assertSaid } from './said-check.ts';

const prereq = { root: true, commands: ['ip', 'apache2', '/usr/sbin/sshd'] };

const limitLine = (file: string) => readFileSync(file, 'utf8').split('\n').find((l) => /MaxRequestWorkers/.test(l))!.trim();

describe('web runbooks against the lab Apache over SSH', () => {
  let lab: Lab;
  let exec: Executor;
  /** Extra addresses of the legitimate client namespace: many distinct clients. */
  const crowd: string[] = [];

  /** What mamoru's own check says, triaged, then responded to. */
  async function alertAndRespond(apache: LabApache, policy: PolicyConfig) {
    const seen = await probeOnce('http', lab.server.ip, { port: apache.port }, 3000);
    assert.equal(seen.answered, false, `the check should fail: ${seen.text}`);
    const triage = classify({ probeType: 'http', state: NagiosState.CRITICAL, text: seen.text });
    const timeline: TimelineRecord[] = [];
    const ctx: IncidentContext = {
      executor: exec,
      address: lab.server.ip,
      target: 'lab-server',
      service: apacheService(lab, apache),
      clock: systemClock,
      guard: createGuard(policy, systemClock),
      recorder: { record: (r) => void timeline.push(r) },
      alert: { text: seen.text },
    };
    const res = await respond(ctx, triage);
    return { triage, res, timeline, seen };
  }

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    exec = (await serverExecutor(lab)).exec;
    crowd.push(...addCrowd(lab, 8));
  });
  after(async () => {
    await lab?.destroy();
  });

  test('Apache killed: "not listening, no master process", started by its own command, verified answering', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab);
    await apache.kill();
    const { triage, res, timeline } = await alertAndRespond(apache, policySchema.parse({}));
    assert.equal(triage.runbook, 'http-down');
    assert.match(res.verdict, /^Apache is down on lab-server: port 80 not listening, no master process; start it$/);
    assert.deepEqual(res.proposed.map((p) => p.type), ['start-service']);
    assert.equal(res.actions[0]!.mode, 'auto', 'starting a stopped service is automatic by default');
    assert.equal(res.actions[0]!.outcome.status, 'done', JSON.stringify(res.actions[0]!.outcome, null, 1));
    assert.match(res.actions[0]!.outcome.text, /^started apache2 on lab-server; verified: HTTP OK: HTTP\/1\.1 200 OK/);
    // What a user checks: the page, and Apache's own pid file naming a live master.
    assert.ok(apache.isRunning());
    assert.equal(await (await fetch(`http://${lab.server.ip}/`)).text(), apache.indexBody);
    // The timeline has it all, in order: the failed page, the findings, the verdict, the start.
    const texts = timeline.map((r) => `${r.kind}: ${r.text}`);
    const order = [/^evidence: http:\/\/[\d.]+\/ does not answer/, /^evidence: no apache2 master process/, /^evidence: verdict: Apache is down/, /^action: started: start-service/, /^action: ran env .* apache2 -f .* -k start: exit 0/, /^evidence: apache2 runs .* answers: HTTP OK/];
    let at = -1;
    for (const re of order) {
      const i = texts.findIndex((x, j) => j > at && re.test(x));
      assert.ok(i > at, `no ${re} after entry ${at} in:\n${texts.join('\n')}`);
      at = i;
    }
    assert.deepEqual(res.summary.actions, [res.actions[0]!.outcome.text]);
    assert.equal(res.summary.findings[0], res.verdict);
    // Both languages, every line; the start told as started, then done.
    assertSaid(res);
    assert.match(res.verdictSay.ja, /^lab-server の Apache が停止しています（プロセスがなく、ポート 80 で待ち受けていません）。$/);
    assert.match(res.actions[0]!.outcome.say.ja, /^lab-server の apache2 を起動しました。稼働と応答を確認済みです。$/);
    assert.deepEqual(timeline.filter((r) => r.kind === 'action').map((r) => `${r.data!.type} ${r.data!.status}`).filter((x) => !x.endsWith(' step')), ['investigate started', 'start-service started', 'start-service done']);
    await apache.kill();
  });

  test('workers held by many distinct clients: "workers at limit, surge", the limit raised (auto for the test), in effect, Apache answering', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8085 });
    const clients = slowClientsFrom(lab, crowd, apache.port);
    try {
      await printed(clients, 'held');
      await waitFor('every worker busy', () => apache.workerPids().length >= 5, 10_000);
      const { triage, res } = await alertAndRespond(apache, policySchema.parse({ modes: { 'raise-worker-limit': 'auto' } }));
      assert.equal(triage.runbook, 'http-slow');
      // The crowd, plus the monitor's own checks still waiting in the queue.
      assert.match(res.verdict, /^workers at limit \(5 of 5\) on lab-server, surge: (8|9|10) connections from (8|9) addresses, at most [12] from one; raise the limit$/);
      const seenFrom = (res.evidence.find((e) => e.what === 'connections')!.data!.sources as { address: string }[]).map((s) => s.address);
      for (const a of crowd) assert.ok(seenFrom.includes(a), `${a} is among the sources: ${seenFrom.join(', ')}`);
      assert.equal(res.attack, undefined);
      assert.deepEqual(res.proposed.map((p) => p.type), ['raise-worker-limit']);
      assert.equal(res.actions[0]!.outcome.status, 'done', JSON.stringify(res.actions[0]!.outcome, null, 1));
      assertSaid(res);
      assert.match(res.verdictSay.en, /a surge of real visitors .* not an attack\. The limit can be raised without a restart\.$/);
      assert.match(res.actions[0]!.outcome.say.ja, /MaxRequestWorkers（同時処理数の上限）を 5 から 10 に引き上げました（再起動なし）/);
      assert.equal(res.summary.escalation, undefined);
      assert.equal(limitLine(apache.mpmConfFile), 'MaxRequestWorkers\t10');
      assert.equal((await inspectApacheWorkers(exec, { configFile: apache.configFile })).limit, 10);
      // In effect for real: the waiting clients got workers of their own, and a new visitor is served.
      await waitFor('more workers than the old limit', () => apache.workerPids().length > 5, 10_000);
      assert.equal(await (await fetch(`http://${lab.server.ip}:${apache.port}/`, { signal: AbortSignal.timeout(5000) })).text(), apache.indexBody);
    } finally {
      clients.kill('SIGKILL');
      rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
      await apache.kill();
    }
  });

  test('workers held by one attacker address: an attack, the limit not raised, the address handed on as attack evidence', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8086 });
    const before = readFileSync(apache.mpmConfFile, 'utf8');
    const slow = await apache.exhaustWorkers(12);
    try {
      const { triage, res } = await alertAndRespond(apache, policySchema.parse({ mode: 'auto' }));
      assert.equal(triage.runbook, 'http-slow');
      assert.match(res.verdict, new RegExp(`^workers at limit \\(5 of 5\\) on lab-server, attack: ${lab.attacker.ip.replaceAll('.', '\\.')} holds 12 of 1[234] connections; not raising the limit`));
      assert.deepEqual(res.proposed, []);
      assert.deepEqual(res.actions, []);
      assert.deepEqual(res.attack?.sources.map((s) => [s.address, s.connections]), [[lab.attacker.ip, 12]]);
      assert.deepEqual(res.attack?.ports, [apache.port]);
      assertSaid(res);
      assert.match(res.verdictSay.ja, /原因は攻撃で/);
      assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), before);
      assert.ok(res.evidence.some((e) => e.what === 'workers' && /AH00161|server reached MaxRequestWorkers/.test(e.summary)), 'Apache said it reached the limit');
    } finally {
      await slow.release();
      await apache.kill();
    }
  });

  test('a surge with a config broken elsewhere: test fails, backup restored, Apache keeps its old limit and master, escalated', async (t) => {
    if (needs(t, prereq)) return;
    const apache = await startApache(lab, { port: 8087 });
    const original = readFileSync(apache.mpmConfFile, 'utf8');
    const master = apache.pid();
    writeFileSync(join(apache.serverRoot, 'mods-enabled', 'zz-broken.conf'), '<VirtualHost\n');
    const clients = slowClientsFrom(lab, crowd, apache.port);
    try {
      await printed(clients, 'held');
      await waitFor('every worker busy', () => apache.workerPids().length >= 5, 10_000);
      const { res } = await alertAndRespond(apache, policySchema.parse({ mode: 'auto' }));
      assert.match(res.verdict, /surge/);
      const out = res.actions[0]!.outcome;
      assert.equal(out.status, 'escalate', JSON.stringify(out, null, 1));
      assert.match(out.why!, /the config test failed/);
      assert.match(res.summary.escalation!, /the config test failed/);
      // Broken before mamoru touched it: said so, nothing changed, and the urgent part for a person.
      assertSaid(res);
      assert.match(out.say.en, /already broken before mamoru touched it .*Nothing was changed\..*will not start at its next restart/);
      assert.match(res.summary.neededFromClient!, /broken .*until then Apache will not start at its next restart/);
      assert.match(res.summary.neededSay!.ja, /次回の再起動で Apache が起動しません/);
      assert.ok(res.records.some((r) => r.data?.needed === res.summary.neededFromClient && r.data?.neededSay !== undefined));
      assert.equal(readFileSync(apache.mpmConfFile, 'utf8'), original);
      assert.equal(apache.pid(), master);
      assert.equal(apache.workerPids().length, 5, 'still the old limit');
    } finally {
      clients.kill('SIGKILL');
    }
    // Once the crowd is gone, the same Apache serves on.
    assert.equal(await (await fetch(`http://${lab.server.ip}:${apache.port}/`, { signal: AbortSignal.timeout(10_000) })).text(), apache.indexBody);
    rmSync(join(lab.dir, 'backups'), { recursive: true, force: true });
    await apache.kill();
  });
});
