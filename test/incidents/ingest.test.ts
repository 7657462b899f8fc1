/**
 * Alerts from Nagios (as a notification command), Icinga 2 and Alertmanager become incidents like
 * mamoru's own checks: triaged, mailed, resolved by the RECOVERY; the token is required.
 */
import { apiAs } from '../helpers/api.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { mamoru } from '../helpers/cli.ts';
import { until } from '../helpers/wait.ts';
import { parseMail, smtpPeer, type SmtpPeer } from '../notify/mail.ts';

let dir: string;
let smtp: SmtpPeer;
let daemon: Daemon;
const TOKEN = 'ingest-token-for-tests-7f3a';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-ingest-'));
  smtp = await smtpPeer({ authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'] });
  writeFileSync(join(dir, 'token'), TOKEN + '\n');
  writeFileSync(
    join(dir, 'mamoru.yaml'),
    `secrets: { ingest: { file: ${join(dir, 'token')} } }
store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
ingest: { token_secret: ingest }
notifications: { settle: 200ms }
contacts:
  - name: ops
    channels:
      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.jp, to: [ops@example.jp] }
`,
  );
  daemon = await Daemon.start({ configFile: join(dir, 'mamoru.yaml'), log: silentLogger, webPort: 0 });
});
after(async () => {
  await daemon.stop();
  await smtp.close();
  rmSync(dir, { recursive: true, force: true });
});

const subjects = () => smtp.mails.map((m) => parseMail(m.raw).headers.subject!);
const nagiosEnv = (over: Record<string, string>) => ({ NAGIOS_HOSTNAME: 's68', NAGIOS_SERVICEDESC: 'POP3', NAGIOS_SERVICESTATE: 'CRITICAL', NAGIOS_SERVICEOUTPUT: 'CRITICAL - Socket timeout after 10 seconds', NAGIOS_NOTIFICATIONTYPE: 'PROBLEM', MAMORU_INGEST_TOKEN: TOKEN, ...over });

test('a Nagios notification command opens the incident, triaged; its RECOVERY resolves it', async () => {
  const r = await mamoru(['ingest', 'nagios', '--url', daemon.webUrl!], { env: nagiosEnv({}) });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^incident #(\d+)\n$/);
  const id = Number(/#(\d+)/.exec(r.stdout)![1]);
  await until('the problem mail', () => subjects().some((s) => s.startsWith('[PROBLEM] s68')));
  const shown = await (await (await apiAs(daemon))(`/api/incidents/${id}`)).json() as { target: string; status: string; timeline: Array<{ kind: string; text: string }> };
  assert.equal(shown.target, 's68');
  assert.equal(shown.status, 'open');
  assert.ok(shown.timeline.some((e) => e.kind === 'evidence' && /triage says service-timeout \(pop3\), runbook pop3-slow/.test(e.text)), JSON.stringify(shown.timeline));

  const rec = await mamoru(['ingest', 'nagios', '--url', daemon.webUrl!], { env: nagiosEnv({ NAGIOS_SERVICESTATE: 'OK', NAGIOS_SERVICEOUTPUT: 'POP OK - 0.011 second response time', NAGIOS_NOTIFICATIONTYPE: 'RECOVERY' }) });
  assert.equal(rec.code, 0, rec.stderr);
  await until('the recovery mail', () => subjects().some((s) => s.startsWith('[RECOVERED] s68')));
  const after = await (await (await apiAs(daemon))(`/api/incidents/${id}`)).json() as { status: string };
  assert.equal(after.status, 'resolved');
});

test('without the right token nothing is taken; bad input says what is missing', async () => {
  const wrong = await mamoru(['ingest', 'nagios', '--url', daemon.webUrl!], { env: nagiosEnv({ MAMORU_INGEST_TOKEN: 'guess' }) });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /missing or wrong ingest token/);
  const none = await mamoru(['ingest', 'nagios', '--url', daemon.webUrl!], { env: { ...nagiosEnv({}), NAGIOS_HOSTNAME: '' } });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /expected "host"/);
  const noAuth = await fetch(`${daemon.webUrl}/api/ingest/alertmanager`, { method: 'POST', body: '{}' });
  assert.equal(noAuth.status, 401);
});

test('an Alertmanager webhook: firing opens, resolved closes', async () => {
  const post = (status: string) =>
    fetch(`${daemon.webUrl}/api/ingest/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version: '4', status, alerts: [{ status, labels: { alertname: 'DiskFull', instance: 'db1:9100', severity: 'critical' }, annotations: { summary: 'DISK CRITICAL - free space: / 120 MB (1% inode=40%)' } }] }),
    });
  const r = (await (await post('firing')).json()) as { incidents: number[] };
  assert.equal(r.incidents.length, 1);
  const inc = (await (await (await apiAs(daemon))(`/api/incidents/${r.incidents[0]}`)).json()) as { target: string; title: string; timeline: Array<{ text: string }> };
  assert.equal(inc.target, 'db1');
  assert.match(inc.title, /DiskFull CRITICAL - DISK CRITICAL/);
  assert.ok(inc.timeline.some((e) => /triage says disk-full/.test(e.text)));
  await post('resolved');
  await until('resolved', async () => ((await (await (await apiAs(daemon))(`/api/incidents/${r.incidents[0]}`)).json()) as { status: string }).status === 'resolved');
});
