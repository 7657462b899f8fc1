/**
 * One outage, one message, through the running daemon (issue 13, item 1): a real Apache in the
 * lab's server namespace, watched as the server `acc-srv` (ping + http) and as the vhost target
 * `www-acc` (http only, no host check, `parents: [acc-srv]`, the same address and port). What the
 * Japanese client receives on a real webhook is what counts: when the server looks powered off,
 * one opening message naming the server, with the vhost as a line in it; when Apache dies, one
 * opening message for Apache, the vhost mentioned as the same web server, never its own incident.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { until } from '../helpers/wait.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { recordingServer, type RecordingServer } from '../notify/peers.ts';

const need = { root: true, commands: ['ip', 'nft', 'apache2'] };
let lab: Lab | undefined;
let apache: LabApache;
let hook: RecordingServer;

before(async () => {
  hook = await recordingServer();
  if (missing(need)) return;
  lab = await createLab();
  apache = await startApache(lab);
});
after(async () => {
  await hook.close();
  await lab?.destroy();
});

interface Received {
  event: string;
  subject: string;
  text: string;
}
const received = (from: number): Received[] => hook.requests.slice(from).map((r) => JSON.parse(r.body) as Received);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function daemonFor(name: string): Promise<Daemon> {
  const file = join(lab!.dir, `${name}.yaml`);
  writeFileSync(
    file,
    `defaults: { interval: 1s, retry_interval: 500ms, max_attempts: 2, timeout: 1s }
store: { type: sqlite, path: ${join(lab!.dir, `${name}.db`)} }
web: { enabled: false }
notifications: { settle: 1s }
targets:
  - name: acc-srv
    address: ${lab!.server.ip}
    checks:
      # Confirmed after the vhost's check, which must wait for it (the field's order of events).
      - { type: ping, packets: 2, max_attempts: 3 }
      - { type: http }
  - name: www-acc
    address: ${lab!.server.ip}
    parents: [acc-srv]
    checks:
      - { type: http, host_header: www-acc.example.jp }
contacts:
  - name: client
    language: ja
    channels:
      - { type: webhook, url: '${hook.url}/client' }
`,
  );
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  // Everything seen up once, so what follows is a change.
  await until('both http checks OK', () => ['acc-srv/http', 'www-acc/http'].every((id) => daemon.alerting.engine.notified(id) === 'OK'), 15_000);
  await sleep(2500);
  return daemon;
}

test('host down with a child target: exactly one opening message, naming the host; the child is a line in it', async (t) => {
  if (needs(t, need)) return;
  const daemon = await daemonFor('host-down');
  const from = hook.requests.length;
  try {
    lab!.server.dropAll();
    await until('the first message', () => received(from).length > 0, 30_000);
    // Long enough for the vhost's own check to fail and be confirmed too.
    await sleep(8000);
    const opens = received(from).filter((m) => m.event === 'open');
    assert.equal(opens.length, 1, received(from).map((m) => `${m.event}: ${m.subject}`).join('\n'));
    assert.match(opens[0]!.subject, /^【障害】acc-srv: サーバー acc-srv がネットワーク上で応答していません/);
    assert.ok(!received(from).some((m) => /www-acc:/.test(m.subject)), 'no message of the vhost on its own');
    assert.deepEqual(daemon.alerting.incidents.openIncidents().map((i) => i.target), ['acc-srv']);
    const inc = daemon.alerting.incidents.current('acc-srv')!;
    assert.ok(inc.members.some((m) => m.key === 'target:www-acc' && m.kind === 'folded-target'), JSON.stringify(inc.members));
    // The vhost was held for the server and is a line in the server's opening message; no update of its own.
    assert.ok(opens[0]!.text.includes('www-acc は手前のサーバー（acc-srv）が停止しているため到達できません。'), opens[0]!.text);
    assert.deepEqual(received(from).map((m) => m.event), ['open']);

    lab!.server.restore();
    await until('the recovery', () => received(from).some((m) => m.event === 'recovered'), 30_000);
    await sleep(2500);
    const all = received(from);
    assert.ok(!all.some((m) => /www-acc:/.test(m.subject)), `no stale news of the vhost after the server came back: ${all.map((m) => m.subject).join(' | ')}`);
    assert.match(all.find((m) => m.event === 'recovered')!.text, /www-acc に再び到達できるようになりました。/);
    assert.equal(daemon.alerting.incidents.current('www-acc'), undefined);
  } finally {
    lab!.server.restore();
    await daemon.stop();
  }
});

test('Apache down, seen through the server and its vhost: exactly one opening message, for Apache', async (t) => {
  if (needs(t, need)) return;
  const daemon = await daemonFor('apache-down');
  const from = hook.requests.length;
  try {
    await apache.kill();
    await until('the first message', () => received(from).length > 0, 30_000);
    await sleep(6000);
    const all = received(from);
    const opens = all.filter((m) => m.event === 'open');
    assert.equal(opens.length, 1, all.map((m) => `${m.event}: ${m.subject}`).join('\n'));
    assert.match(opens[0]!.subject, /^【障害】acc-srv: acc-srv のウェブサイト（HTTP）が接続を受け付けていません/);
    assert.ok(!all.some((m) => /www-acc:/.test(m.subject)), 'the vhost has no incident of its own');
    assert.deepEqual(daemon.alerting.incidents.openIncidents().map((i) => i.target), ['acc-srv']);
    assert.ok(all.some((m) => m.text.includes('www-acc（同じウェブサーバー）にも影響が出ています。')), all.map((m) => m.text).join('\n---\n'));

    await apache.start();
    await until('the recovery', () => received(from).some((m) => m.event === 'recovered'), 30_000);
    const inc = daemon.alerting.incidents.current('acc-srv')!;
    assert.equal(inc.status, 'resolved');
    assert.ok(inc.members.every((m) => m.recoveredAt !== undefined), JSON.stringify(inc.members));
  } finally {
    await apache.start().catch(() => {});
    await daemon.stop();
  }
});
