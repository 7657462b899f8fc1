/**
 * The service runbooks end to end against the lab's real daemons, over SSH into the server
 * namespace: each daemon stopped, mamoru's own check (or the recorded wording of net-snmp's
 * tools) triaged, respond() finds it down and starts it with the daemon's own command, and the
 * daemon answers again from the monitor. MariaDB, vsftpd, snmpd, Dovecot (the generic service
 * runbook, for IMAP); and a server that drops every packet: host-unreachable, with no other zone
 * to confirm it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { probeOnce } from '../../src/actions/answers.ts';
import { createGuard, policySchema } from '../../src/actions/policy.ts';
import { serviceSchema, type ServiceConfig } from '../../src/actions/service-config.ts';
import { systemClock } from '../../src/core/clock.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import type { Executor } from '../../src/executors/types.ts';
import { respond, type IncidentContext } from '../../src/runbooks/run.ts';
import { classify, type Triage } from '../../src/triage/index.ts';
import { mariadbService, vsftpdService } from '../actions/lab-services.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { serverExecutor } from '../inspect/helpers.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { startMariadb, type LabMariadb } from '../lab/daemons/mariadb.ts';
import { startSnmpd, type Snmpd } from '../lab/daemons/snmpd.ts';
import { startVsftpd, type LabVsftpd } from '../lab/daemons/vsftpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { assertSaid } from './said-check.ts';
import { acceptsTcp } from '../lab/process.ts';

const prereq = { root: true, commands: ['ip', '/usr/sbin/sshd', 'mariadbd', 'vsftpd', 'snmpd', 'snmpget', 'dovecot'] };

describe('service runbooks against the lab daemons over SSH', () => {
  let lab: Lab;
  let exec: Executor;
  let db: LabMariadb;
  let ftp: LabVsftpd;
  let snmpd: Snmpd;
  let dovecot: LabDovecot;

  const incident = (service: ServiceConfig, over: Partial<IncidentContext> = {}): IncidentContext => ({
    executor: exec,
    address: lab.server.ip,
    target: 'lab-server',
    service,
    clock: systemClock,
    guard: createGuard(policySchema.parse({}), systemClock),
    ...over,
  });

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    [{ exec }, db, ftp, snmpd, dovecot] = await Promise.all([serverExecutor(lab), startMariadb(lab), startVsftpd(lab), startSnmpd(lab), startDovecot(lab)]);
  });
  after(async () => {
    await lab?.destroy();
  });

  /** The response's one start action, done and verified. */
  function startedAndVerified(triage: Triage, res: Awaited<ReturnType<typeof respond>>, runbook: string, verdict: RegExp) {
    assert.equal(triage.runbook, runbook);
    assert.match(res.verdict, verdict);
    assert.deepEqual(res.proposed.map((p) => p.type), ['start-service']);
    assert.equal(res.actions.length, 1);
    assert.equal(res.actions[0]!.mode, 'auto');
    assert.equal(res.actions[0]!.outcome.status, 'done', JSON.stringify(res.actions[0]!.outcome, null, 1));
    assertSaid(res);
  }

  test('MariaDB stopped: mysql-down finds port 3306 closed and no mariadbd, starts it; it answers queries again', async (t) => {
    if (needs(t, prereq)) return;
    await db.stop();
    const seen = await probeOnce('mysql', lab.server.ip, {}, 3000);
    const triage = classify({ probeType: 'mysql', state: NagiosState.CRITICAL, text: seen.text });
    const res = await respond(incident(mariadbService(lab, db)), triage);
    startedAndVerified(triage, res, 'mysql-down', /^MySQL is down on lab-server: port 3306 not listening, no mariadbd process; start it$/);
    assert.match(res.actions[0]!.outcome.text, /^started mariadb on lab-server; verified: TCP OK/);
    // A user's check: the data is there.
    const q = spawnSync('mariadb', ['--no-defaults', `--socket=${db.socket}`, '-uroot', `-p${db.rootPassword}`, '-N', '-B', '-e', `SELECT value FROM ${db.database}.known`], { encoding: 'utf8' });
    assert.equal(q.stdout.trim(), String(db.knownValue), q.stderr);
  });

  test('vsftpd stopped: ftp-down reads no greeting, port 21 closed, starts it; the greeting is back', async (t) => {
    if (needs(t, prereq)) return;
    await ftp.stop();
    const seen = await probeOnce('ftp', lab.server.ip, {}, 3000);
    const triage = classify({ probeType: 'ftp', state: NagiosState.CRITICAL, text: seen.text });
    const res = await respond(incident(vsftpdService(lab, ftp)), triage);
    startedAndVerified(triage, res, 'ftp-down', /^the FTP server \(vsftpd\) is down on lab-server: port 21 not listening, no vsftpd process; start it$/);
    assert.ok(res.evidence.some((e) => e.what === 'connect' && /^FTP [\d.]+:21 from the monitor does not answer: FTP CRITICAL/.test(e.summary)));
    const greeting = await probeOnce('ftp', lab.server.ip, {}, 3000);
    assert.equal(greeting.answered, true, greeting.text);
    // Started again while running: nothing to do.
    const again = await respond(incident(vsftpdService(lab, ftp)), triage);
    assert.match(again.verdict, /^the FTP server \(vsftpd\) runs on lab-server and answers now/);
    assert.deepEqual(again.actions, []);
  });

  test('snmpd stopped: snmp-agent-error finds no agent and UDP 161 closed, starts it; it answers again', async (t) => {
    if (needs(t, prereq)) return;
    await snmpd.stop();
    // The recorded words of net-snmp's snmpget against a stopped agent.
    const triage = classify({ text: `Timeout: No Response from ${lab.server.ip}.`, service: 'SNMP' });
    const persist = join(lab.dir, 'snmpd', 'persist');
    const service = serviceSchema.parse({
      name: 'snmpd',
      manager: 'command',
      process_match: snmpd.configFile,
      udp_ports: [161],
      start: ['env', `SNMP_PERSISTENT_DIR=${persist}`, 'MIBS=', 'snmpd', '-C', '-c', snmpd.configFile, '-Lf', snmpd.logFile, '-p', join(lab.dir, 'snmpd', 'snmpd.pid'), '-M', '/usr/share/snmp/mibs'],
      start_timeout: '15s',
    });
    const res = await respond(incident(service, { alert: { text: 'Timeout: No Response' } }), triage);
    startedAndVerified(triage, res, 'snmp-agent-error', /^the SNMP agent \(snmpd\) is down on lab-server: UDP 161 not listening, no snmpd process; start it$/);
    const get = spawnSync('snmpget', ['-v2c', '-c', snmpd.community, '-t', '2', '-r', '1', lab.server.ip, '1.3.6.1.2.1.1.6.0'], { encoding: 'utf8' });
    assert.match(get.stdout, /mamoru lab/, get.stderr);
    // The follow-up problem (another SNMP check that failed while the agent was down) runs the runbook again:
    // the agent mamoru just started is no reason to ask the client about its community or firewall.
    const followUp = classify({ text: `UNKNOWN - snmpbulkget: Timeout: No Response from ${lab.server.ip}`, service: 'Disk /' });
    const again = await respond(incident(service, { alert: { text: 'UNKNOWN - snmpbulkget: Timeout' } }), { ...followUp, runbook: 'snmp-agent-error' });
    assertSaid(again);
    assert.match(again.verdict, /^the SNMP agent runs on lab-server \(pid \d+, started \d+ s ago\) and UDP 161 is open: the failed reading most likely dates from while it was down/);
    assert.equal(again.summary.neededFromClient, undefined);
    assert.doesNotMatch(`${again.verdictSay.en} ${again.verdictSay.ja}`, /community|firewall|コミュニティ|ファイアウォール/);
    assert.deepEqual(again.actions, []);
  });

  test('Dovecot stopped, an IMAP alert: the generic service-down runbook starts it', async (t) => {
    if (needs(t, prereq)) return;
    await dovecot.stop();
    const seen = await probeOnce('imap', lab.server.ip, {}, 3000);
    const triage = classify({ probeType: 'imap', state: NagiosState.CRITICAL, text: seen.text });
    const service = serviceSchema.parse({ name: 'dovecot', manager: 'command', process_match: join(lab.dir, 'dovecot'), ports: [143, 110], start: ['dovecot', '-c', join(lab.dir, 'dovecot', 'dovecot.conf')], error_log: dovecot.logFile, start_timeout: '15s' });
    const res = await respond(incident(service), triage);
    startedAndVerified(triage, res, 'service-down', /^dovecot is down on lab-server: port 143, port 110 not listening, no dovecot process; start it$/);
    assert.ok(await acceptsTcp(lab.server.ip, 143));
  });

  test('the server drops every packet: host-unreachable says so, with no other zone to confirm, and asks the client', async (t) => {
    if (needs(t, prereq)) return;
    lab.server.dropAll();
    try {
      const seen = await probeOnce('ping', lab.server.ip, { packets: 2 }, 3000);
      const triage = classify({ probeType: 'ping', state: NagiosState.CRITICAL, text: seen.text });
      assert.equal(triage.runbook, 'host-unreachable');
      const service = serviceSchema.parse({ name: 'apache2', ports: [80], page_timeout: '2s' });
      const res = await respond(incident(service, { consoleUrl: 'https://console.example.invalid/instances/i-1' }), triage);
      assert.match(res.verdict, /^lab-server does not answer: PING CRITICAL - Packet loss = 100%.*, no TCP answer on 80; no other probe location to confirm it$/);
      assert.ok(res.evidence.some((e) => e.what === 'zones' && /no other probe location/.test(e.summary)));
      assert.match(res.summary.neededFromClient!, /console\.example\.invalid/);
      assertSaid(res);
      assert.match(res.summary.neededSay!.ja, /管理画面（https:\/\/console\.example\.invalid\/instances\/i-1）で状態をご確認ください/);
      assert.deepEqual(res.actions, []);
    } finally {
      lab.server.restore();
    }
    // Back: the same runbook says so.
    const triage = classify({ probeType: 'ping', state: NagiosState.CRITICAL, text: 'PING CRITICAL - Packet loss = 100%' });
    const res = await respond(incident(serviceSchema.parse({ name: 'sshd', ports: [22] })), triage);
    assert.match(res.verdict, /^lab-server answers again from the monitor \(ping, TCP 22\)$/);
  });
});
