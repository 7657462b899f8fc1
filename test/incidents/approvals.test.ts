/**
 * The guard policy's `ask` through the running daemon, on this machine (local executor, no
 * root): a stopped service is diagnosed, starting it waits for a person; `mamoru approvals`
 * shows the question, `mamoru approve` answers it, the service starts and the check recovers.
 * And a start that fails is escalated: the message says a person is needed.
 */
import { apiAs } from '../helpers/api.ts';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { mamoru } from '../helpers/cli.ts';
import { until } from '../helpers/wait.ts';
import { freePort } from '../helpers/nginx.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-approvals-'));
const marker = `mamoru-toy-${process.pid}`;
after(() => {
  try {
    execFileSync('pkill', ['-f', marker]);
  } catch {
    /* not running */
  }
  rmSync(dir, { recursive: true, force: true });
});


test('start-service in ask mode waits for `mamoru approve`, then starts the service', async () => {
  const port = await freePort();
  const toy = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(${port}, '127.0.0.1'); /* ${marker} */`;
  const service = { name: 'toy', manager: 'command', processes: ['node'], process_match: marker, ports: [port], start: [process.execPath, '-e', toy], start_detached: true, checks: ['toy'], page_timeout: '2s', start_timeout: '10s' };
  writeFileSync(
    join(dir, 'mamoru.yaml'),
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
remediation: { wait: 1s, policy: { modes: { start-service: ask } } }
targets:
  - name: local
    address: 127.0.0.1
    executor: { type: local }
    services: [${JSON.stringify(service)}]
    checks:
      - { type: tcp, name: toy, port: ${port} }
`,
  );
  const daemon = await Daemon.start({ configFile: join(dir, 'mamoru.yaml'), log: silentLogger, webPort: 0 });
  try {
    const url = daemon.webUrl!;
    const api = await apiAs(daemon);
    const listed = await until('a pending approval', async () => {
      const r = await mamoru(['approvals', '--json', '--url', url, '-c', join(dir, 'mamoru.yaml')]);
      const list = JSON.parse(r.stdout || '[]') as Array<{ id: string; action: string; target: string; service: string }>;
      return list.length ? list : undefined;
    });
    assert.deepEqual(listed.map((a) => [a.action, a.target, a.service]), [['start-service', 'local', 'toy']]);
    assert.match((await mamoru(['approvals', '--url', url, '-c', join(dir, 'mamoru.yaml')])).stdout, new RegExp(`^${listed[0]!.id}  local/toy  start-service: `));
    const unknown = await mamoru(['approve', 'nope', '--url', url, '-c', join(dir, 'mamoru.yaml'), '--by', 'hanako']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no pending approval nope/);
    const ok = await mamoru(['approve', listed[0]!.id, '--url', url, '-c', join(dir, 'mamoru.yaml'), '--by', 'hanako']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${listed[0]!.id} approved by hanako\n`);
    await until('the toy service answering', () => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    }));
    await until('the incident resolved', async () => (await (await api('/api/v1/incidents')).json() as { items: Array<{ status: string }> }).items[0]?.status === 'resolved').catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(await (await api('/api/v1/incidents/1')).json())} ${JSON.stringify(daemon.status().checks)}`);
    });
    // The action's own records (who approved, what ran) come when it has verified its work.
    await until('the approval in the timeline', async () => {
      const detail = (await (await api('/api/v1/incidents/1')).json()) as { timeline: Array<{ kind: string; text: string }> };
      return detail.timeline.some((e) => e.kind === 'action' && /^approved by hanako: start toy/.test(e.text));
    });
  } finally {
    await daemon.stop();
  }
});

test('a start that fails is escalated: the timeline and the message say a person is needed', async () => {
  const port = await freePort();
  const service = { name: 'broken', manager: 'command', processes: ['node'], process_match: `${marker}-broken`, ports: [port], start: ['false'], checks: ['broken'], page_timeout: '1s', start_timeout: '2s' };
  const { smtpPeer, parseMail } = await import('../notify/mail.ts');
  const smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
  writeFileSync(
    join(dir, 'broken.yaml'),
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'broken.db')} }
web: { enabled: false }
notifications: { settle: 100ms }
remediation: { wait: 10s }
targets:
  - name: local
    address: 127.0.0.1
    executor: { type: local }
    services: [${JSON.stringify(service)}]
    checks:
      - { type: tcp, name: broken, port: ${port} }
contacts:
  - name: ops
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [ops@example.jp] }
`,
  );
  const daemon = await Daemon.start({ configFile: join(dir, 'broken.yaml'), log: silentLogger });
  try {
    const mail = await until('the problem mail', () => smtp.mails[0]);
    const { body } = parseMail(mail.raw);
    // Told in its tense (issue 13): the start could not be done (with the command it ran), and a
    // person must act, which the needed part says, never "nothing for now".
    assert.match(body, /What mamoru could not do:\n- [^\n]*broken[^\n]*\n(?: {4}[^\n]*\n)*? {4}ran false: exit 1\n/, body);
    assert.match(body, /What a person must do:\n- \S/, body);
    assert.doesNotMatch(body, /Nothing for now|proposed|What mamoru did:/i, body);
  } finally {
    await daemon.stop();
    await smtp.close();
  }
});
