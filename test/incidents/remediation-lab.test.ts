/**
 * Issue 5 end to end through the daemon: the lab's real Apache is killed; mamoru's http check
 * confirms it, the incident opens, the http-down runbook runs over SSH ("not listening, no master
 * process"), start-service starts Apache and verifies it answers, and the client's one mail says
 * what broke, what was found and what was done; the recovery mail follows.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { apacheServiceInput } from '../actions/lab-services.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { until } from '../helpers/wait.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { parseMail, smtpPeer, type SmtpPeer } from '../notify/mail.ts';
import { englishLines } from '../notify/timeline.ts';

const prereq = { root: true, commands: ['ip', 'apache2', '/usr/sbin/sshd'] };
let lab: Lab;
let apache: LabApache;
let sshd: LabSshd;
let smtp: SmtpPeer;

before(async () => {
  if (missing(prereq)) return;
  lab = await createLab();
  [apache, sshd] = await Promise.all([startApache(lab), startSshd(lab)]);
  smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
});
after(async () => {
  await smtp?.close();
  await lab?.destroy();
});

test('Apache killed: diagnosed, started and verified over SSH; the client is mailed with all of it', async (t) => {
  if (needs(t, prereq)) return;
  const cfg = join(lab.dir, 'mamoru.yaml');
  const service = { ...apacheServiceInput(lab, apache), checks: ['http'] };
  writeFileSync(
    cfg,
    `defaults: { interval: 1s, retry_interval: 500ms, max_attempts: 2, timeout: 2s }
store: { type: sqlite, path: ${join(lab.dir, 'mamoru.db')} }
web: { enabled: false }
notifications: { settle: 300ms }
remediation: { wait: 20s }
targets:
  - name: web1
    address: ${lab.server.ip}
    executor: { type: ssh, host: ${lab.server.ip}, private_key_file: ${sshd.privateKeyFile}, known_hosts_file: ${sshd.knownHostsFile} }
    services: [${JSON.stringify(service)}]
    checks:
      - { type: http, port: ${apache.port} }
contacts:
  - name: client-a
    language: ja
    targets: [web1]
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [client@example.com] }
`,
  );
  const daemon = await Daemon.start({ configFile: cfg, log: silentLogger });
  try {
    await new Promise((r) => setTimeout(r, 1500));
    await apache.kill();
    const t0 = Date.now();
    const problem = await until('the problem mail', () => smtp.mails[0], 40_000);
    const mailed = Date.now() - t0;
    const { headers, body } = parseMail(problem.raw);
    // On a loaded machine the check can see Apache answer again before the first message leaves
    // (it waits for the runbook): then the client gets one message, "stopped and works again",
    // with the same diagnosis and action (issue 13's first news), and no second one.
    const merged = /^【復旧】web1: /.test(headers.subject!);
    assert.match(headers.subject!, merged ? /^【復旧】web1: .*停止していましたが、復旧しました/ : /^【障害】web1: /);
    // Wholly in Japanese (issue 13): the runbook's verdict and the start's outcome, in their tense.
    // A message that already tells the recovery says when the findings were made.
    assert.match(body, merged ? /■ 調査の結果（障害発生時点）\n- web1 の Apache が停止しています（プロセスがなく、ポート \d+ で待ち受けていません）。/ : /■ 調査の結果\n- web1 の Apache が停止しています（プロセスがなく、ポート \d+ で待ち受けていません）。/, body);
    assert.match(body, /■ 実施した対応\n- web1 の \S+ を起動しました。稼働と応答を確認済みです。/, 'started and verified before the mail went out');
    assert.doesNotMatch(body, /■ (?:実施中の対応|対応できなかった内容|担当者による対応が必要です)/, body);
    assert.deepEqual(englishLines(headers.subject!, body), [], body);
    assert.ok(apache.isRunning(), 'Apache runs again');
    if (!merged) {
      const recovered = await until('the recovery mail', () => smtp.mails[1], 30_000);
      assert.match(parseMail(recovered.raw).headers.subject!, /^【復旧】web1: /);
    } else {
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(smtp.mails.length, 1, 'one message for an outage told already recovered');
    }
    t.diagnostic(`kill -> mail with the diagnosis and the start: ${mailed} ms`);

    const store = (daemon as unknown as { store: import('../../src/store/types.ts').Store }).store;
    const [inc] = await store.incidents();
    const timeline = await store.incidentEvents(inc!.id);
    const kinds = timeline.map((e) => e.kind);
    assert.ok(kinds.indexOf('evidence') > kinds.indexOf('opened'), kinds.join(' '));
    assert.ok(kinds.includes('action'), kinds.join(' '));
    assert.ok(kinds.indexOf('notified') > kinds.lastIndexOf('action'), `the message went out after the action: ${kinds.join(' ')}`);
  } finally {
    await daemon.stop();
  }
});
