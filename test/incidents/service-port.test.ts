/**
 * Issue 13 item 6 through the running daemon: a check written as a new user writes it
 * (`- type: http`, its port left to the default 80) belongs to the service on port 80, so its
 * runbook runs; and a problem mamoru has no service to act on says so once in the incident's
 * timeline and the log, with what to configure, instead of silently doing nothing.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pino } from 'pino';
import { silentLogger } from '../../src/core/log.ts';
import type { IncidentEvent } from '../../src/core/incident.ts';
import { Daemon } from '../../src/daemon.ts';
import type { Store } from '../../src/store/types.ts';
import { needs } from '../helpers/prereq.ts';
import { until } from '../helpers/wait.ts';
import { createLab } from '../lab/network.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-service-port-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const storeOf = (d: Daemon) => (d as unknown as { store: Store }).store;
const notes = (timeline: IncidentEvent[]) => timeline.filter((e) => e.kind === 'evidence' && e.data?.unremediated !== undefined);

/** A TCP service on loopback that can be stopped and started again on the same port. */
async function listener(): Promise<{ port: number; stop(): Promise<void>; start(): Promise<void> }> {
  let server: net.Server | undefined;
  let port = 0;
  const start = async () => {
    server = net.createServer((s) => s.on('error', () => {}).end());
    await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  };
  await start();
  return { port, start, stop: () => new Promise<void>((r) => server!.close(() => r())) };
}

test('a problem with no service to act on: one timeline note and one log line, with the config to add', async () => {
  const web = await listener();
  const gone = await listener();
  await gone.stop();
  const file = join(dir, 'unmapped.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 300ms, retry_interval: 200ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'unmapped.db')} }
web: { enabled: false }
notifications: { cool_down: 1h }
remediation: { wait: 500ms, policy: { mode: dry-run } }
targets:
  - name: local
    address: 127.0.0.1
    executor: { type: local }
    services: [{ name: apache2, ports: [${gone.port}] }]
    checks:
      - { type: tcp, name: web, port: ${web.port} }
`,
  );
  const logged: Array<{ msg: string; check?: string }> = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => void logged.push(JSON.parse(l) as { msg: string }) });
  const daemon = await Daemon.start({ configFile: file, log });
  try {
    // Down, up, down again: two new problems of one check in one incident (kept by cool_down).
    // Triage reads the check's name: `web` is a web server, so the example is Apache's.
    await web.stop();
    const inc = await until('the incident', () => daemon.alerting.incidents.current('local'));
    await until('the note', async () => notes(await storeOf(daemon).incidentEvents(inc.id)).length > 0);
    await web.start();
    await until('the recovery', async () => (await storeOf(daemon).incidentEvents(inc.id)).some((e) => e.kind === 'resolved'));
    await web.stop();
    await until('the problem again', async () => (await storeOf(daemon).incidentEvents(inc.id)).some((e) => e.kind === 'reopened'));
    await new Promise((r) => setTimeout(r, 1000));
    const timeline = await storeOf(daemon).incidentEvents(inc.id);
    const said = notes(timeline);
    assert.equal(said.length, 1, `one note: ${timeline.map((e) => `${e.kind}: ${e.text}`).join('\n')}`);
    assert.equal(said[0]!.text, `web: no service of local listens on port ${web.port}: add \`services: [{ name: apache2, ports: [${web.port}] }]\` (or name the check in a service's \`checks:\`) for the http-down runbook to act on it`);
    assert.deepEqual(logged.filter((l) => l.msg === said[0]!.text).length, 1, JSON.stringify(logged));
    assert.ok(!timeline.some((e) => e.kind === 'action'), 'nothing was done');
  } finally {
    await daemon.stop();
    await web.stop().catch(() => {});
  }
});

test('`- type: http` on its default port 80 is the service listening on 80: the http-down runbook runs', async (t) => {
  if (needs(t, { root: true, commands: ['ip'] })) return;
  const lab = await createLab();
  try {
    const file = join(lab.dir, 'mamoru.yaml');
    // Nothing listens on the lab server's port 80: the page is refused. The local executor looks
    // at this machine, where nothing runs as `web` either: the runbook's verdict is "start it",
    // which dry-run only records.
    const service = { name: 'web', manager: 'command', processes: ['node'], process_match: `mamoru-service-port-${process.pid}`, ports: [80], start: ['true'], page_timeout: '1s' };
    writeFileSync(
      file,
      `defaults: { interval: 500ms, retry_interval: 300ms, max_attempts: 1, timeout: 2s }
store: { type: sqlite, path: ${join(lab.dir, 'mamoru.db')} }
web: { enabled: false }
remediation: { wait: 1s, policy: { mode: dry-run } }
targets:
  - name: web1
    address: ${lab.server.ip}
    executor: { type: local }
    services: [${JSON.stringify(service)}]
    checks:
      - type: http
`,
    );
    const daemon = await Daemon.start({ configFile: file, log: silentLogger });
    try {
      const inc = await until('the incident', () => daemon.alerting.incidents.current('web1'), 30_000);
      const timeline = await until('the runbook\'s action', async () => {
        const events = await storeOf(daemon).incidentEvents(inc.id);
        return events.some((e) => e.kind === 'action' && e.data?.type !== 'investigate') && events;
      }, 40_000);
      const shown = timeline.map((e) => `${e.kind}: ${e.text}`).join('\n');
      assert.ok(timeline.some((e) => e.kind === 'evidence' && /\bport 80\b/.test(e.text)), shown);
      assert.ok(timeline.some((e) => e.kind === 'action' && /\bweb\b/.test(e.text)), shown);
      assert.equal(notes(timeline).length, 0, shown);
    } finally {
      await daemon.stop();
    }
  } finally {
    await lab.destroy();
  }
});

test('a reload that gives an open problem its service runs the runbook for it', async () => {
  const web = await listener();
  const file = join(dir, 'reload.yaml');
  const config = (services: string) => `defaults: { interval: 300ms, retry_interval: 200ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'reload.db')} }
web: { enabled: false }
notifications: { cool_down: 1h }
remediation: { wait: 500ms, policy: { mode: dry-run } }
targets:
  - name: local
    address: 127.0.0.1
    executor: { type: local }
    services: [${services}]
    checks:
      - { type: tcp, name: web, port: ${web.port} }
`;
  writeFileSync(file, config(`{ name: other, ports: [1] }`));
  const daemon = await Daemon.start({ configFile: file, log: silentLogger });
  try {
    await web.stop();
    const inc = await until('the incident', () => daemon.alerting.incidents.current('local'));
    await until('the note that nothing is done', async () => notes(await storeOf(daemon).incidentEvents(inc.id)).length > 0);
    assert.ok(!(await storeOf(daemon).incidentEvents(inc.id)).some((e) => e.kind === 'action'), 'nothing is done before the reload');
    writeFileSync(file, config(`{ name: web, manager: command, processes: [node], process_match: mamoru-reload-${process.pid}, ports: [${web.port}], start: ['true'], page_timeout: 1s }`));
    assert.equal(daemon.reload().ok, true);
    const timeline = await until('the runbook\'s action after the reload', async () => {
      const events = await storeOf(daemon).incidentEvents(inc.id);
      return events.some((e) => e.kind === 'action' && e.data?.type !== 'investigate') && events;
    }, 20_000);
    assert.equal(daemon.alerting.incidents.current('local')?.id, inc.id, 'the same incident');
    assert.ok(timeline.some((e) => e.kind === 'action' && /\bweb\b/.test(e.text)), timeline.map((e) => `${e.kind}: ${e.text}`).join('\n'));
    // A second reload with nothing new does not run it again (counted once the first has settled).
    await new Promise((r) => setTimeout(r, 1500));
    const actions = (await storeOf(daemon).incidentEvents(inc.id)).filter((e) => e.kind === 'action').length;
    assert.equal(daemon.reload().ok, true);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await storeOf(daemon).incidentEvents(inc.id)).filter((e) => e.kind === 'action').length, actions, 'not run twice');
  } finally {
    await daemon.stop();
  }
});
