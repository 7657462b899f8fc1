/**
 * A check belongs to a service by the port it really uses (issue 13 item 6): `- type: http` is
 * the service on port 80 as surely as `port: 80`. Read from a config as a user writes it, planned
 * as the daemon plans it, triaged as the daemon triages a failure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { effectivePort, runTimePorts } from '../../src/config/check-port.ts';
import { planChecks } from '../../src/config/checks.ts';
import { parseConfig } from '../../src/config/load.ts';
import { serviceForProblem, unremediated, type ProblemRef } from '../../src/config/remediation.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { probes } from '../../src/probes/index.ts';
import { classify } from '../../src/triage/index.ts';

const config = parseConfig(
  `targets:
  - name: acc-srv
    address: 192.0.2.10
    executor: { type: local }
    services:
      - { name: apache2, ports: [80, 443] }
      - { name: dovecot, ports: [110, 143, 993, 995] }
      - { name: mariadb, ports: [3306] }
      - { name: snmpd, udp_ports: [161] }
      - { name: postfix, ports: [25], checks: [smtp, mail-queue] }
    checks:
      - { type: http }
      - { type: http, name: https, tls: true }
      - { type: http, name: alt, port: 8080 }
      - { type: pop3 }
      - { type: pop3, name: pop3s, tls: implicit }
      - { type: imap }
      - { type: imap, name: imaps, tls: implicit }
      - { type: ftp }
      - { type: smtp }
      - { type: smtp, name: smtps, tls: implicit }
      - { type: mysql, username: monitor }
      - { type: dns, query: example.jp }
      - { type: snmp, oid: [1.3.6.1.2.1.1.3.0] }
      - { type: snmp, name: mail-queue, oid: [1.3.6.1.4.1.8072.1.3.2.3.1.1.5.109.97.105.108.113], critical: 1000 }
      - { type: disk-snmp }
      - { type: disk }
`,
  'mamoru.yaml',
);
const target = config.targets[0]!;
const planned = new Map(planChecks(config).map((c) => [c.name, c]));

test('the effective port of each check: its own, else its probe\'s default (after tls)', () => {
  const ports = Object.fromEntries([...planned].map(([name, c]) => [name, effectivePort(c)]));
  assert.deepEqual(ports, {
    http: 80, https: 443, alt: 8080,
    pop3: 110, pop3s: 995, imap: 143, imaps: 993, ftp: 21, smtp: 25, smtps: 465,
    mysql: 3306, dns: 53, snmp: 161, 'mail-queue': 161, 'disk-snmp': 161,
    disk: undefined,
  });
});

test('the tls-dependent defaults agree with what each probe documents for its port', () => {
  for (const [type, p] of Object.entries(runTimePorts)) {
    const shape = (probes[type as keyof typeof probes].schema as unknown as { shape: Record<string, { meta(): { description?: string } | undefined }> }).shape;
    const said = shape.port!.meta()?.description ?? '';
    assert.match(said, new RegExp(`default ${p.plain}\\b`), `${type}: ${said}`);
    assert.match(said, new RegExp(`\\b${p.tls} with tls`), `${type}: ${said}`);
  }
});

/** What the daemon looks up when the check fails with this text. */
function problem(check: string, state: NagiosState, text: string): ProblemRef {
  const c = planned.get(check)!;
  return { check, port: effectivePort(c), triage: classify({ probeType: c.type, state, text, check }) };
}

test('a failing check with its default port is the service on that port', () => {
  const cases: Array<[string, NagiosState, string, string | undefined]> = [
    ['http', NagiosState.CRITICAL, 'HTTP CRITICAL - connect to address 192.0.2.10 and port 80: Connection refused', 'apache2'],
    ['https', NagiosState.CRITICAL, 'HTTP CRITICAL - connect to address 192.0.2.10 and port 443: Connection refused', 'apache2'],
    ['pop3s', NagiosState.CRITICAL, 'POP CRITICAL - Socket timeout after 10 seconds', 'dovecot'],
    ['mysql', NagiosState.CRITICAL, "Can't connect to MySQL server on '192.0.2.10:3306' (115)", 'mariadb'],
    // The agent's port names the agent when the agent is what fails...
    ['disk-snmp', NagiosState.UNKNOWN, 'DISK UNKNOWN - Timeout: No Response from 192.0.2.10:161 after 3 seconds (1 retry): the SNMP agent is not answering', 'snmpd'],
    // ...not when a disk read through it is full (nothing of snmpd's to act on)...
    ['disk-snmp', NagiosState.CRITICAL, 'DISK CRITICAL [Disk use 95% /var]', undefined],
    // ...and a mail queue read through it is postfix's, by postfix's `checks:`.
    ['mail-queue', NagiosState.CRITICAL, 'SNMP CRITICAL - *1500*', 'postfix'],
    ['alt', NagiosState.CRITICAL, 'HTTP CRITICAL - connect to address 192.0.2.10 and port 8080: Connection refused', undefined],
  ];
  for (const [check, state, text, want] of cases) assert.equal(serviceForProblem(target.services, problem(check, state, text))?.name, want, `${check}: ${text}`);
});

test('no service to act on: the note says what to configure', () => {
  const alt = problem('alt', NagiosState.CRITICAL, 'HTTP CRITICAL - connect to address 192.0.2.10 and port 8080: Connection refused');
  assert.deepEqual(unremediated(target, undefined, alt), {
    reason: 'no-service',
    text: 'alt: no service of acc-srv listens on port 8080: add `services: [{ name: apache2, ports: [8080] }]` (or name the check in a service\'s `checks:`) for the http-down runbook to act on it',
  });
  const disk = problem('disk-snmp', NagiosState.CRITICAL, 'DISK CRITICAL [Disk use 95% /var]');
  assert.match(unremediated(target, undefined, disk).text, /^disk-snmp: no service of acc-srv is tied to this check: add `checks: \[disk-snmp\]` to the service it concerns/);
  const http = problem('http', NagiosState.CRITICAL, 'HTTP CRITICAL - connect to address 192.0.2.10 and port 80: Connection refused');
  assert.match(unremediated({ name: 'acc-srv' }, target.services[0], http).text, /^http: acc-srv has no executor, so mamoru cannot reach apache2: add `executor: /);
});
