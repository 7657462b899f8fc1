/**
 * `mamoru explain` with context, through the real command line: the flags (--probe, --check,
 * --service, --command, --oid, --label) reach triage, `--json` says which context decided and
 * with what value, and the readable output says it in one line.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runbookSteps } from '../../src/triage/index.ts';
import { mamoru, type CliRun } from '../helpers/cli.ts';

const json = (r: CliRun) => {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};
const MAILQ_OID = '1.3.6.1.4.1.8072.1.3.2.3.1.1.5.109.97.105.108.113';

test("the field runbook's SNMP alert alone: the mail-queue runbook, decided by the default", async () => {
  const out = json(await mamoru(['explain', 'SNMP CRITICAL - *2345*', '--json']));
  assert.deepEqual(out, {
    kind: 'mail-queue',
    service: 'smtp',
    runbook: 'mail-queue',
    steps: [...runbookSteps['mail-queue']],
    decided_by: 'default',
    decided_value: 'an SNMP threshold alert with nothing else known is the mail queue (field runbook, section 1)',
    service_by: 'default',
    service_value: 'an SNMP threshold alert with nothing else known is the mail queue (field runbook, section 1)',
  });
  const readable = await mamoru(['explain', 'SNMP CRITICAL - *2345*']);
  assert.equal(readable.code, 0, readable.stderr);
  assert.match(readable.stdout, /^runbook: +mail-queue$/m);
  assert.match(readable.stdout, /^decided: +by the field runbook's default: an SNMP threshold alert with nothing else known is the mail queue/m);
  assert.equal(readable.stdout.split('\n').filter((l) => l.startsWith('decided:')).length, 1);
});

test('each context flag decides when the text cannot, and --json names it with its value', async () => {
  const cases: [string[], string, string, string | null][] = [
    [['--oid', '1.3.6.1.4.1.2021.10.1.3.1'], 'oid', '1.3.6.1.4.1.2021.10.1.3.1', null],
    [['--oid', MAILQ_OID], 'oid', MAILQ_OID, 'mail-queue'],
    [['--command', 'check_snmp!-C public -o .1.3.6.1.4.1.2021.9.1.9.1!80!90'], 'command', 'check_snmp!-C public -o .1.3.6.1.4.1.2021.9.1.9.1!80!90', 'disk-full'],
    [['--service', 'Load average'], 'service', 'Load average', null],
    [['--check', 'mail-queue'], 'check', 'mail-queue', 'mail-queue'],
    [['--label', 'temperature'], 'label', 'temperature', null],
    [['--probe', 'snmp', '--check', 'disk-var'], 'check', 'disk-var', 'disk-full'],
  ];
  for (const [flags, by, value, runbook] of cases) {
    const out = json(await mamoru(['explain', 'SNMP CRITICAL - *2345*', ...flags, '--json']));
    assert.equal(out.decided_by, by, flags.join(' '));
    assert.equal(out.decided_value, value, flags.join(' '));
    assert.equal(out.runbook, runbook, flags.join(' '));
  }
});

test('the text decides what it says itself; the service may come from another context, said on the same line', async () => {
  const out = json(await mamoru(['explain', 'CRITICAL - Socket timeout after 10 seconds', '--command', 'check_ftp!-p 21', '--json']));
  assert.deepEqual(
    { kind: out.kind, service: out.service, runbook: out.runbook, decided_by: out.decided_by, decided_value: out.decided_value, service_by: out.service_by, service_value: out.service_value },
    { kind: 'service-timeout', service: 'ftp', runbook: 'ftp-down', decided_by: 'text', decided_value: 'Socket timeout', service_by: 'command', service_value: 'check_ftp!-p 21' },
  );
  const readable = await mamoru(['explain', 'CRITICAL - Socket timeout after 10 seconds', '--command', 'check_ftp!-p 21']);
  assert.match(readable.stdout, /^decided: +by the alert text "Socket timeout"; the service \(ftp\) by the check command "check_ftp!-p 21"$/m);
  // net-snmp's error under mail-queue context: still the agent, decided by the text.
  const agent = json(await mamoru(['explain', 'NO-SUCH-MIB::thing.0: Unknown Object Identifier', '--service', 'Mail Queue', '--oid', MAILQ_OID, '--json']));
  assert.deepEqual([agent.kind, agent.runbook, agent.decided_by, agent.decided_value], ['snmp-agent-error', 'snmp-agent-error', 'text', 'Unknown Object Identifier']);
});

test('--probe reads the text as mamoru\'s own result: a ping probe is the host, decided by the probe', async () => {
  const out = json(await mamoru(['explain', 'PING CRITICAL - probe failed', '--probe', 'ping', '--json']));
  assert.deepEqual([out.kind, out.runbook, out.decided_by, out.decided_value], ['host-unreachable', 'host-unreachable', 'probe', 'ping']);
  const help = await mamoru(['explain', '--help']);
  for (const flag of ['--probe', '--check', '--service', '--command', '--oid', '--label', 'decided_by']) assert.match(help.stdout, new RegExp(flag));
});
