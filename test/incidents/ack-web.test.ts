/**
 * Reminders and acknowledgement through the running daemon: a problem that stays is repeated at
 * the reminder interval until a person takes it with `mamoru ack`; then one acknowledgement goes
 * out and the reminders stop. The status page and the API show the open incident.
 */
import { apiAs } from '../helpers/api.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { mamoru } from '../helpers/cli.ts';
import { parseMail, smtpPeer, type SmtpPeer } from '../notify/mail.ts';
import { until } from '../helpers/wait.ts';

let dir: string;
let smtp: SmtpPeer;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-ack-'));
  smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
});
after(async () => {
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

const subjects = () => smtp.mails.map((m) => parseMail(m.raw).headers.subject!);

test('reminders repeat until `mamoru ack`; the page and the API show the incident', async () => {
  const free = net.createServer();
  await new Promise<void>((r) => free.listen(0, '127.0.0.1', r));
  const port = (free.address() as AddressInfo).port;
  await new Promise<void>((r) => free.close(() => r()));
  const file = join(dir, 'ack.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'ack.db')} }
notifications: { settle: 100ms, reminder_interval: 1s }
targets:
  - name: web1
    address: 127.0.0.1
    checks:
      - { type: tcp, name: http, port: ${port} }
contacts:
  - name: ops
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [ops@example.jp] }
`,
  );
  const daemon = await Daemon.start({ configFile: file, log: silentLogger, webPort: 0 });
  try {
    await until('a reminder', () => subjects().some((s) => s.startsWith('[STILL DOWN] web1')));
    assert.ok(subjects()[0]!.startsWith('[PROBLEM] web1'), subjects().join(' | '));

    const api = await apiAs(daemon, 'viewer');
    const page = await (await api('/')).text();
    assert.match(page, /Open incidents/);
    assert.match(page, /#1<\/b> web1: http CRITICAL - TCP CRITICAL - connect to address 127\.0\.0\.1/);
    const open = (await (await api('/api/v1/incidents?open=1')).json()) as { items: Array<{ id: number; status: string }> };
    assert.deepEqual(open.items.map((i) => [i.id, i.status]), [[1, 'open']]);

    const nope = await mamoru(['ack', '42', '--url', daemon.webUrl!, '-c', file, '--by', 'taro']);
    assert.equal(nope.code, 2);
    assert.match(nope.stderr, /no (open )?incident #?42/);
    const ack = await mamoru(['ack', '#1', '--url', daemon.webUrl!, '-c', file, '--by', 'taro', '--comment', 'restarting it now']);
    assert.equal(ack.code, 0, ack.stderr);
    assert.equal(ack.stdout, 'incident #1 acknowledged by taro\n');
    await until('the acknowledgement mail', () => subjects().some((s) => s.startsWith('[ACKNOWLEDGED] web1')));
    const count = smtp.mails.length;
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(subjects().slice(count), [], 'no reminder after the acknowledgement');

    const detail = (await (await api('/api/v1/incidents/1')).json()) as { timeline: Array<{ kind: string; text: string }> };
    assert.ok(detail.timeline.some((e) => e.kind === 'acknowledged' && e.text === 'acknowledged by taro: restarting it now'));
    assert.ok(detail.timeline.filter((e) => e.kind === 'reminder').length >= 1);
    assert.equal((await api('/api/v1/incidents/77')).status, 404);
  } finally {
    await daemon.stop();
  }

  // A restart keeps the acknowledgement: no reminder, and the overview still shows it handled.
  const again = await Daemon.start({ configFile: file, log: silentLogger, webPort: 0 });
  try {
    const count = smtp.mails.length;
    const api = await apiAs(again, 'viewer');
    await until('the check run again after the restart', async () => /data-check="web1\/http"[^>]*data-bucket="handled"/.test(await (await api('/')).text()));
    await new Promise((r) => setTimeout(r, 2500));
    assert.deepEqual(subjects().slice(count), [], 'no reminder after the restart either');
  } finally {
    await again.stop();
  }
});
