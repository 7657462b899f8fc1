/**
 * The context of an ingested alert reaches triage inside the running daemon: the same SNMP text is
 * the mail queue with nothing else known, and the load average (no runbook) when Nagios' check
 * command reads the load OID or Alertmanager's labels say so. The incident's evidence says it.
 */
import { apiAs } from '../helpers/api.ts';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';

let dir: string;
let daemon: Daemon;
const TOKEN = 'ingest-token-for-context-tests-5c1d';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-ingest-context-'));
  writeFileSync(join(dir, 'token'), TOKEN + '\n');
  writeFileSync(join(dir, 'mamoru.yaml'), `secrets: { ingest: { file: ${join(dir, 'token')} } }\nstore: { type: sqlite, path: ${join(dir, 'mamoru.db')} }\ningest: { token_secret: ingest }\n`);
  daemon = await Daemon.start({ configFile: join(dir, 'mamoru.yaml'), log: silentLogger, webPort: 0 });
});
after(async () => {
  await daemon.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function post(kind: string, body: unknown): Promise<number> {
  const r = await fetch(`${daemon.webUrl}/api/ingest/${kind}`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(r.status, 200, await r.clone().text());
  const { incidents } = (await r.json()) as { incidents: number[] };
  assert.equal(incidents.length, 1);
  return incidents[0]!;
}

async function evidence(id: number): Promise<string> {
  const inc = (await (await (await apiAs(daemon))(`/api/incidents/${id}`)).json()) as { timeline: Array<{ kind: string; text: string }> };
  return inc.timeline.filter((e) => e.kind === 'evidence' && /triage says/.test(e.text)).map((e) => e.text).join('\n');
}

test('a Nagios alert: the SNMP text alone is the mail queue; with its check command on the load OID, the load', async () => {
  const bare = await post('nagios', { host: 'mx1', service: 'SNMP 3', state: 'CRITICAL', output: 'SNMP CRITICAL - *2345*' });
  assert.match(await evidence(bare), /triage says mail-queue \(smtp\), runbook mail-queue/);
  const load = await post('nagios', { host: 'mx2', service: 'SNMP 3', state: 'CRITICAL', output: 'SNMP CRITICAL - *2345*', check_command: 'check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1!5!10' });
  const said = await evidence(load);
  assert.match(said, /triage says unknown/);
  assert.match(said, /the load average is over its threshold/);
  assert.doesNotMatch(said, /runbook mail-queue/);
});

test("an Alertmanager alert: its labels name the value", async () => {
  const id = await post('alertmanager', { version: '4', status: 'firing', alerts: [{ status: 'firing', labels: { alertname: 'SnmpValueHigh', instance: 'mx3:161', severity: 'critical', metric: 'hrStorageUsed' }, annotations: { summary: 'SNMP CRITICAL - *95*' } }] });
  assert.match(await evidence(id), /triage says disk-full \(disk\), runbook disk-full/);
});
