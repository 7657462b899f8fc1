/**
 * Triage with context: the recorded SNMP alerts (test/fixtures/alerts/) classified with nothing but
 * their text, and with what the check around them says (mamoru's config: probe, name, OIDs,
 * labels; an ingested alert: service description, check command, Alertmanager labels), and the
 * answer says which context decided. `SNMP CRITICAL - *N*` with nothing else known is the mail
 * queue (field runbook section 1); net-snmp's errors are the agent whatever the check reads.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromAlertmanager, fromEnvironment, fromNagiosJson } from '../../src/incidents/ingest.ts';
import { classify, type Triage } from '../../src/triage/index.ts';
import { expected, loadFixtures, nagiosCommandOf, type AlertFixture } from './alert-fixtures.ts';

const fixtures = loadFixtures();
const byName = (name: string): AlertFixture => {
  const f = fixtures.find((x) => x.name === name);
  assert.ok(f, `fixture ${name} is missing`);
  return f;
};
/** What Nagios' $SERVICEOUTPUT$ carries: the first line, without the perfdata. */
const serviceOutput = (f: AlertFixture) => f.output.split('\n')[0]!.split('|')[0]!.trim();
/** The OIDs the recorded command read (`-o`). */
const oidsOf = (f: AlertFixture) => (f.argv ?? []).flatMap((a, i, all) => (a === '-o' ? [all[i + 1]!] : []));
const brief = (t: Triage) => ({ kind: t.kind, runbook: t.runbook, by: t.decidedBy.by });
const MAILQ_OID = '1.3.6.1.4.1.8072.1.3.2.3.1.1.5.109.97.105.108.113';

describe("the field runbook's SNMP alert, with and without context", () => {
  const text = 'SNMP CRITICAL - *2345*';

  test('alone it is the mail queue, and the answer says the default decided', () => {
    const t = classify({ text });
    assert.deepEqual(brief(t), { kind: 'mail-queue', runbook: 'mail-queue', by: 'default' });
    assert.equal(t.service, 'smtp');
    // A generic SNMP name tells nothing more: still the default.
    for (const ctx of [{ service: 'SNMP' }, { command: 'check_snmp' }, { probe: 'snmp' }, { command: 'snmp' }]) assert.deepEqual(brief(classify({ text, ...ctx })), { kind: 'mail-queue', runbook: 'mail-queue', by: 'default' }, JSON.stringify(ctx));
  });

  test('each kind of context says what the value is, and is named as the decider', () => {
    const cases: [object, ReturnType<typeof brief>, string][] = [
      [{ check: 'load' }, { kind: 'unknown', runbook: null, by: 'check' }, 'load'],
      [{ service: 'Disk /var' }, { kind: 'disk-full', runbook: 'disk-full', by: 'service' }, 'Disk /var'],
      [{ service: 'Mail Queue' }, { kind: 'mail-queue', runbook: 'mail-queue', by: 'service' }, 'Mail Queue'],
      [{ command: 'check_snmp!-C public -o .1.3.6.1.4.1.2021.10.1.3.1!5!10' }, { kind: 'unknown', runbook: null, by: 'command' }, 'check_snmp!-C public -o .1.3.6.1.4.1.2021.10.1.3.1!5!10'],
      [{ command: 'check_snmp_mailq' }, { kind: 'mail-queue', runbook: 'mail-queue', by: 'command' }, 'check_snmp_mailq'],
      [{ oids: [MAILQ_OID] }, { kind: 'mail-queue', runbook: 'mail-queue', by: 'oid' }, MAILQ_OID],
      [{ oids: ['1.3.6.1.4.1.2021.9.1.9.1'] }, { kind: 'disk-full', runbook: 'disk-full', by: 'oid' }, '1.3.6.1.4.1.2021.9.1.9.1'],
      [{ oids: ['UCD-SNMP-MIB::laLoad.1'] }, { kind: 'unknown', runbook: null, by: 'oid' }, 'UCD-SNMP-MIB::laLoad.1'],
      [{ labels: ['temperature'] }, { kind: 'unknown', runbook: null, by: 'label' }, 'temperature'],
      [{ labels: { alertname: 'MailQueueHigh', job: 'snmp' } }, { kind: 'mail-queue', runbook: 'mail-queue', by: 'label' }, 'MailQueueHigh'],
    ];
    for (const [ctx, want, value] of cases) {
      const t = classify({ text, ...ctx });
      assert.deepEqual(brief(t), want, JSON.stringify(ctx));
      assert.equal(t.decidedBy.value, value, JSON.stringify(ctx));
    }
  });

  test("a value that is not the mail queue says what it is in the reason, and gets no runbook", () => {
    const t = classify({ text, command: 'check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1' });
    assert.match(t.reason, /^the load average is over its threshold/);
    assert.equal(t.runbook, null);
    assert.deepEqual(t.steps, []);
  });

  test("mamoru's own snmp check: the OIDs in its config name the value before its name does", () => {
    const load = classify({ probeType: 'snmp', state: 2, text, check: 'mail-queue', options: { oid: ['1.3.6.1.4.1.2021.10.1.5.1'] } });
    assert.deepEqual(brief(load), { kind: 'unknown', runbook: null, by: 'oid' });
    const unknownOid = classify({ probeType: 'snmp', state: 2, text, check: 'mail-queue', options: { oid: ['1.3.6.1.4.1.99999.1.0'] } });
    assert.deepEqual(brief(unknownOid), { kind: 'mail-queue', runbook: 'mail-queue', by: 'check' }, 'an OID the tables do not know says nothing: the name decides');
    const labelled = classify({ probeType: 'snmp', state: 2, text, check: 'cabinet', options: { oid: ['1.3.6.1.4.1.99999.1.0'], label: ['temp'] } });
    assert.deepEqual(brief(labelled), { kind: 'unknown', runbook: null, by: 'label' });
    // An extend's name is in its OID: nsExtendOutput1Line."mailq" is the mail queue whatever the check is called.
    assert.deepEqual(brief(classify({ probeType: 'snmp', state: 2, text, check: 'snmp-2', options: { oid: [MAILQ_OID] } })), { kind: 'mail-queue', runbook: 'mail-queue', by: 'oid' });
  });
});

describe('recorded SNMP values: the text alone, and with the check around it', () => {
  for (const name of Object.keys(expected).filter((n) => n.startsWith('snmp-value.') || n === 'mail-queue.check_snmp' || n === 'mail-queue.mamoru-snmp')) {
    test(name, () => {
      const f = byName(name);
      const x = expected[name]!;
      const line = serviceOutput(f);
      // Without the perfdata nothing names the value: the field runbook's reading.
      assert.deepEqual(brief(classify({ text: line })), { kind: 'mail-queue', runbook: 'mail-queue', by: 'default' }, line);
      // The check command Nagios passes (its -o OID), or the OIDs in mamoru's config, say what it is.
      assert.deepEqual(brief(classify({ text: line, command: nagiosCommandOf(f) })), { kind: x.kind, runbook: x.runbook, by: 'command' }, nagiosCommandOf(f));
      assert.deepEqual(brief(classify({ text: line, oids: oidsOf(f) })), { kind: x.kind, runbook: x.runbook, by: 'oid' });
      // With its perfdata, the plugin's own words (the OID as perfdata label) decide.
      assert.deepEqual(brief(classify({ text: f.output })), { kind: x.kind, runbook: x.runbook, by: 'text' });
    });
  }

  test("a label naming the mail queue decides, even against another context", () => {
    for (const name of ['mail-queue-labelled.check_snmp-label', 'mail-queue-labelled.check_snmp-label-words', 'mail-queue-labelled.check_snmp-units', 'mail-queue-labelled.mamoru-snmp-label']) {
      const f = byName(name);
      for (const ctx of [{}, { service: 'Load' }, { command: 'check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1' }]) {
        const t = classify({ text: f.output, ...ctx });
        assert.deepEqual(brief(t), { kind: 'mail-queue', runbook: 'mail-queue', by: 'text' }, `${name} ${JSON.stringify(ctx)}: ${f.output}`);
        assert.match(t.decidedBy.value ?? '', /mail ?q/i);
      }
    }
  });

  test('plugin outputs naming the mail queue outside SNMP are the mail queue too', () => {
    for (const text of ['CRITICAL - Mail queue: 1500 messages', 'WARNING - mailq 1500 | mailq=1500;1000;2000', "QUEUE CRITICAL - 1500 deferred | 'mail_queue'=1500;100;1000"]) {
      assert.deepEqual(brief(classify({ text, state: 'CRITICAL' })), { kind: 'mail-queue', runbook: 'mail-queue', by: 'text' }, text);
    }
  });
});

describe("net-snmp's errors are the agent, whatever the check reads", () => {
  const agentErrors = fixtures.filter((f) => expected[f.name]?.kind === 'snmp-agent-error');

  test('every recorded form, alone and under mail-queue context, reaches the SNMP agent runbook', () => {
    assert.ok(agentErrors.length >= 30, `only ${agentErrors.length} SNMP error fixtures`);
    const mailQueue = [{}, { service: 'Mail Queue' }, { command: `check_snmp!-o ${MAILQ_OID}!1000!2000` }, { oids: [MAILQ_OID] }, { labels: ['mailq'] }];
    for (const f of agentErrors) {
      for (const ctx of mailQueue) {
        const t = classify({ text: f.output, ...ctx });
        assert.deepEqual(brief(t), { kind: 'snmp-agent-error', runbook: 'snmp-agent-error', by: 'text' }, `${f.name} ${JSON.stringify(ctx)}:\n${f.output}`);
        assert.equal(t.service, 'snmp');
      }
    }
  });

  test('the forms the issue names are each among the recorded ones', () => {
    const all = agentErrors.map((f) => f.output).join('\n');
    for (const re of [/Timeout: No Response/, /Unknown Object Identifier/, /Unknown OID/, /Cannot find module \(/, /No Such Object available on this agent at this OID/, /No Such Instance currently exists/, /Authentication failure/, /Unknown user name/, /snmpbulkget: Error/, /authorizationError/, /noSuchName/]) {
      assert.match(all, re);
    }
  });
});

describe('what ingest sees becomes context', () => {
  test("Nagios' and Icinga's check command, from the environment and from JSON", () => {
    const env = { NAGIOS_HOSTNAME: 'mx1', NAGIOS_SERVICEDESC: 'SNMP 3', NAGIOS_SERVICESTATE: 'CRITICAL', NAGIOS_SERVICEOUTPUT: 'SNMP CRITICAL - *12*', NAGIOS_SERVICECHECKCOMMAND: 'check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1!5!10' };
    assert.equal(fromEnvironment(env).command, 'check_snmp!-o .1.3.6.1.4.1.2021.10.1.3.1!5!10');
    assert.equal(fromEnvironment({ ICINGA_HOSTNAME: 'web1', ICINGA_HOSTSTATE: 'DOWN', ICINGA_HOSTCHECKCOMMAND: 'check-host-alive' }).command, 'check-host-alive');
    const icinga = fromNagiosJson({ host_name: 'mx1', service_name: 'SNMP 3', service_state: 'CRITICAL', service_output: 'SNMP CRITICAL - *12*', check_command: 'snmp' }, 'icinga');
    assert.equal(icinga.command, 'snmp');
    const t = classify({ text: 'SNMP CRITICAL - *12*', service: 'SNMP 3', command: fromEnvironment(env).command, state: 'CRITICAL' });
    assert.deepEqual(brief(t), { kind: 'unknown', runbook: null, by: 'command' });
  });

  test("Alertmanager's labels, bounded, without the ones that say where or how bad", () => {
    const labels: Record<string, unknown> = { alertname: 'MailQueueHigh', instance: 'mailq-host:161', severity: 'critical', job: 'snmp', nested: { x: 1 } };
    for (let i = 0; i < 100; i++) labels[`l${i}`] = `v${i}`;
    const [a] = fromAlertmanager({ alerts: [{ status: 'firing', labels, annotations: { summary: 'SNMP CRITICAL - *2345*' } }] });
    assert.equal(a!.labels!.alertname, 'MailQueueHigh');
    assert.equal(a!.labels!.instance, undefined);
    assert.equal(a!.labels!.severity, undefined);
    assert.equal(a!.labels!.nested, undefined);
    assert.ok(Object.keys(a!.labels!).length <= 32);
    assert.deepEqual(brief(classify({ text: a!.text, service: a!.service, labels: a!.labels, state: a!.state })), { kind: 'mail-queue', runbook: 'mail-queue', by: 'label' });
  });

  test('context from outside is bounded: a megabyte of command and thousands of OIDs are read in time', () => {
    const started = performance.now();
    const t = classify({ text: 'SNMP CRITICAL - *2345*', command: `check_snmp!${'-o 1.3.6.1.4.1.99999.1.0 '.repeat(40_000)}`, oids: Array.from({ length: 10_000 }, (_, i) => `1.3.6.1.4.1.99999.${i}`), labels: ['x'.repeat(1_000_000)] });
    assert.equal(t.kind, 'mail-queue');
    assert.ok(t.decidedBy.value === null || t.decidedBy.value.length <= 1024);
    assert.ok(performance.now() - started < 1000, `${Math.round(performance.now() - started)} ms`);
  });
});
