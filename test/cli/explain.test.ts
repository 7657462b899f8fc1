/**
 * `mamoru explain` through the real command line: the field runbook's alerts read as the runbook
 * says, the exact JSON shape, the service hint, a whole notification from standard input, and
 * bad usage.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runbookSteps } from '../../src/triage/index.ts';
import { BIN, mamoru, type CliRun } from '../helpers/cli.ts';
import { FIXTURES, parseFixture } from '../triage/alert-fixtures.ts';

/** Runs `mamoru args...` with `input` on its standard input. */
function mamoruWithInput(args: string[], input: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const json = (r: CliRun) => {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

test('the field runbook\'s ping alert: host runbook, its steps numbered, readable', async () => {
  const r = await mamoru(['explain', 'PING CRITICAL - Packet loss = 100%']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kind: +host-unreachable$/m);
  assert.match(r.stdout, /^service: +none \(the host itself\)$/m);
  assert.match(r.stdout, /^runbook: +host-unreachable$/m);
  const steps = r.stdout.split('\n').filter((l) => /^ {2}\d+\. /.test(l)).map((l) => l.replace(/^ {2}\d+\. /, ''));
  assert.deepEqual(steps, [...runbookSteps['host-unreachable']]);
});

/** The four answers, without which context decided them (tested on their own). */
const answer = (o: Record<string, unknown>) => ({ kind: o.kind, service: o.service, runbook: o.runbook, steps: o.steps });

test('--json prints kind, service, runbook and steps, then which context decided them', async () => {
  const out = json(await mamoru(['explain', 'CRITICAL - Socket timeout after 10 seconds', '--service', 'HTTP', '--json']));
  assert.deepEqual(answer(out), { kind: 'service-timeout', service: 'http', runbook: 'http-slow', steps: [...runbookSteps['http-slow']] });
  assert.deepEqual(Object.keys(out), ['kind', 'service', 'runbook', 'steps', 'decided_by', 'decided_value', 'service_by', 'service_value']);
});

test('service is null when nothing names it; an unknown alert has no runbook and no steps', async () => {
  assert.deepEqual(answer(json(await mamoru(['explain', 'Connection refused by host', '--json']))), {
    kind: 'service-refused',
    service: null,
    runbook: 'service-down',
    steps: [...runbookSteps['service-down']],
  });
  assert.deepEqual(answer(json(await mamoru(['explain', 'LOAD CRITICAL - total load average: 31.02, 28.11, 20.40', '--json']))), { kind: 'unknown', service: null, runbook: null, steps: [] });
  const readable = await mamoru(['explain', 'LOAD CRITICAL - total load average: 31.02, 28.11, 20.40']);
  assert.match(readable.stdout, /^runbook: +none \(no runbook fits: a person should look\)$/m);
  assert.doesNotMatch(readable.stdout, /^steps:/m);
});

test("an SNMP threshold alone is the mail queue, as the field runbook reads it; context says otherwise", async () => {
  const bare = json(await mamoru(['explain', 'SNMP CRITICAL - *2345*', '--json']));
  assert.deepEqual(answer(bare), { kind: 'mail-queue', service: 'smtp', runbook: 'mail-queue', steps: [...runbookSteps['mail-queue']] });
  assert.equal(bare.decided_by, 'default');
  const hinted = json(await mamoru(['explain', 'SNMP CRITICAL - *2345*', '--service', 'Mail Queue', '--json']));
  assert.deepEqual(answer(hinted), { kind: 'mail-queue', service: 'smtp', runbook: 'mail-queue', steps: [...runbookSteps['mail-queue']] });
  assert.equal(hinted.decided_by, 'service');
  const load = json(await mamoru(['explain', 'SNMP CRITICAL - *2345*', '--service', 'Load average', '--json']));
  assert.equal(load.runbook, null, 'a load alert does not start the mail-queue runbook');
});

test('"-" reads a whole Nagios notification from standard input', async () => {
  const f = parseFixture('notification.nagios-check-timeout', readFileSync(join(FIXTURES, 'notification.nagios-check-timeout.txt'), 'utf8'));
  const out = json(await mamoruWithInput(['explain', '-', '--json'], f.output + '\n'));
  assert.deepEqual(answer(out), { kind: 'service-timeout', service: 'mysql', runbook: 'mysql-down', steps: [...runbookSteps['mysql-down']] });
  const recovery = parseFixture('notification.nagios-recovery', readFileSync(join(FIXTURES, 'notification.nagios-recovery.txt'), 'utf8'));
  const r = await mamoruWithInput(['explain', '-'], recovery.output);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^kind: +ok$/m);
  assert.match(r.stdout, /^runbook: +none \(nothing to do: all is well\)$/m);
});

test('an empty text, or nothing on standard input, is bad usage (exit 2) with the reason', async () => {
  const empty = await mamoru(['explain', '  ']);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /explain: the alert text is empty/);
  const noInput = await mamoruWithInput(['explain', '-'], '');
  assert.equal(noInput.code, 2);
  assert.match(noInput.stderr, /nothing came on standard input/);
  const missing = await mamoru(['explain']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing required argument 'text'/);
});
