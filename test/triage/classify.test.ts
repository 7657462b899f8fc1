/**
 * classify() beyond the recorded alerts: the tables are whole (every kind has a rule, every
 * runbook a way in and its steps), mamoru's transitions, the state against the text, the hints,
 * the notification wrappings of Nagios and Icinga, and the answers that must not be given
 * (an HTTP 404 is not a slow server, a host notification is about the host).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertKinds, classify, rules, runbookChoices, runbookNames, runbookSteps, type Triage } from '../../src/triage/index.ts';
import { unwrapNotification } from '../../src/triage/notification.ts';

const brief = (t: Triage) => ({ kind: t.kind, service: t.service, runbook: t.runbook });

describe('triage tables', () => {
  test('every kind but unknown has a rule that gives it, and every rule says what the alert means', () => {
    for (const kind of alertKinds.filter((k) => k !== 'unknown')) assert.ok(rules.some((r) => r.kind === kind), `no rule gives ${kind}`);
    for (const r of rules) assert.ok(r.means.length > 10 && (r.text || r.when), `rule without words or a matcher: ${JSON.stringify(r)}`);
  });

  test('every runbook can be chosen and has its steps; nothing is chosen for ok and unknown', () => {
    for (const name of runbookNames) {
      assert.ok(runbookChoices.some((c) => c.runbook === name), `no alert leads to ${name}`);
      assert.ok(runbookSteps[name].length >= 3, `${name} has too few steps`);
    }
    assert.ok(!runbookChoices.some((c) => c.kinds.includes('ok') || c.kinds.includes('unknown')));
  });
});

describe('mamoru transitions', () => {
  test('the probe type tells the service, and with it the runbook', () => {
    assert.deepEqual(brief(classify({ probeType: 'pop3', state: 2, text: 'POP CRITICAL - Socket timeout after 10 seconds' })), { kind: 'service-timeout', service: 'pop3', runbook: 'pop3-slow' });
    assert.deepEqual(brief(classify({ probeType: 'ftp', state: 2, text: 'FTP CRITICAL - connect to address 192.0.2.5 and port 2121: Connection refused' })), { kind: 'service-refused', service: 'ftp', runbook: 'ftp-down' });
    assert.deepEqual(brief(classify({ probeType: 'http', state: 2, text: 'HTTP CRITICAL - check timed out after 10 seconds' })), { kind: 'service-timeout', service: 'http', runbook: 'http-slow' });
  });

  test('a tcp check is told by its port; a ping check failing in any way is the host', () => {
    assert.deepEqual(brief(classify({ probeType: 'tcp', state: 2, text: 'TCP CRITICAL - connect to address 192.0.2.5 and port 3306: Connection refused' })), { kind: 'service-refused', service: 'mysql', runbook: 'mysql-down' });
    assert.deepEqual(brief(classify({ probeType: 'ping', state: 1, text: 'PING WARNING - Packet loss = 40%, RTA = 0.31 ms' })), { kind: 'host-unreachable', service: null, runbook: 'host-unreachable' });
    assert.deepEqual(brief(classify({ probeType: 'ping', state: 3, text: 'PING UNKNOWN - probe failed: EPERM' })), { kind: 'host-unreachable', service: null, runbook: 'host-unreachable' });
  });

  test('an agent that cannot be read is the agent, whatever the probe reads through it', () => {
    const t = classify({ probeType: 'disk-snmp', state: 3, text: 'DISK UNKNOWN - Timeout: No Response from 192.0.2.5:161 after 3 seconds (1 retry): the SNMP agent is not answering' });
    assert.deepEqual(brief(t), { kind: 'snmp-agent-error', service: 'snmp', runbook: 'snmp-agent-error' });
  });

  test('the state OK wins over the words; a probe type no table knows is read by its text', () => {
    assert.equal(classify({ probeType: 'http', state: 0, text: 'HTTP OK: HTTP/1.1 200 OK - 5 bytes in 9.100 second response time' }).kind, 'ok');
    assert.deepEqual(brief(classify({ probeType: 'some-future-probe', state: 2, text: 'IMAP CRITICAL - Socket timeout after 5 seconds' })), { kind: 'service-timeout', service: 'imap', runbook: 'service-down' });
  });
});

describe('alert text', () => {
  test('"OK" in a status line is not the state: a slow 200 is slow', () => {
    const t = classify({ text: 'HTTP WARNING: HTTP/1.1 200 OK - 10975 bytes in 5.004 second response time |time=5.004s;1;10' });
    assert.deepEqual(brief(t), { kind: 'service-slow', service: 'http', runbook: 'http-slow' });
  });

  test('an error status or wrong content is not a slow server: no runbook, a person looks', () => {
    for (const text of ['HTTP WARNING: HTTP/1.1 404 Not Found - 449 bytes in 0.001 second response time', 'HTTP CRITICAL: HTTP/1.1 200 OK - pattern not found - 10975 bytes in 0.002 second response time']) {
      assert.deepEqual(brief(classify({ text })), { kind: 'unknown', service: 'http', runbook: null }, text);
    }
  });

  test('the state given beside the text decides OK, DOWN and UP', () => {
    assert.equal(classify({ text: 'CRITICAL - Socket timeout after 10 seconds', state: 'OK' }).kind, 'ok');
    assert.equal(classify({ text: 'CRITICAL - Socket timeout after 10 seconds', state: 'DOWN' }).kind, 'host-unreachable');
    assert.equal(classify({ text: 'PING OK - Packet loss = 0%, RTA = 0.10 ms', state: 'UP' }).kind, 'ok');
    // A plugin's exit code as a number works the same.
    assert.equal(classify({ text: 'Uptime: 6  Threads: 1  Questions: 9', state: 0 }).kind, 'ok');
  });

  test('the hint names the service where the text does not, and a host check makes any failure the host', () => {
    assert.deepEqual(brief(classify({ text: 'CRITICAL - Socket timeout after 10 seconds', service: 'check_ftp' })), { kind: 'service-timeout', service: 'ftp', runbook: 'ftp-down' });
    assert.deepEqual(brief(classify({ text: 'CRITICAL - Plugin timed out after 10 seconds', service: 'check-host-alive' })), { kind: 'host-unreachable', service: null, runbook: 'host-unreachable' });
    // The plugin's own name beats the operator's description of the check.
    assert.equal(classify({ text: 'POP CRITICAL - Socket timeout after 10 seconds', service: 'Web' }).service, 'pop3');
  });

  test('a full device in any text is a full disk; nothing known is unknown, never a throw', () => {
    assert.deepEqual(brief(classify({ text: 'CRITICAL - cannot write /var/spool/x: No space left on device' })), { kind: 'disk-full', service: 'disk', runbook: 'disk-full' });
    for (const text of ['', '\u0000\u0001garbage\uFFFD', 'LOAD WARNING - load average: 9.1, 8.2, 7.3'.repeat(1000)]) {
      const t = classify({ text });
      assert.equal(t.kind, 'unknown');
      assert.equal(t.runbook, null);
      assert.deepEqual(t.steps, []);
    }
  });
});

describe('notifications', () => {
  test("Nagios' service mail: host, service, state and the plugin output apart", () => {
    const u = unwrapNotification(
      '** PROBLEM Service Alert: web1/HTTP is CRITICAL **\n***** Nagios *****\n\nNotification Type: PROBLEM\n\nService: HTTP\nHost: web1\nAddress: 192.0.2.10\nState: CRITICAL\n\nDate/Time: Tue Jan 19 20:38:08 JST 2027\n\nAdditional Info:\n\nconnect to address 192.0.2.10 and port 80: Connection refused\nHTTP CRITICAL - Unable to open TCP socket\n',
    );
    assert.deepEqual(u, {
      output: 'connect to address 192.0.2.10 and port 80: Connection refused\nHTTP CRITICAL - Unable to open TCP socket',
      notificationType: 'PROBLEM',
      host: 'web1',
      service: 'HTTP',
      state: 'CRITICAL',
      hostAlert: false,
    });
  });

  test('the short form (SERVICE:, HOST:, STATE:) and Icinga 2 subjects are read too', () => {
    const short = unwrapNotification('** PROBLEM Service Alert: web1/HTTP is CRITICAL **\nSERVICE: HTTP\nHOST: web1\nSTATE: CRITICAL\nCRITICAL - Socket timeout after 10 seconds');
    assert.equal(short.output, 'CRITICAL - Socket timeout after 10 seconds');
    assert.equal(short.service, 'HTTP');
    const icinga = unwrapNotification('[RECOVERY] POP3 on mx1 is OK!\nInfo:    POP OK - 0.031 second response time on 192.0.2.25 port 110');
    assert.deepEqual([icinga.notificationType, icinga.service, icinga.host, icinga.state, icinga.output], ['RECOVERY', 'POP3', 'mx1', 'OK', 'POP OK - 0.031 second response time on 192.0.2.25 port 110']);
  });

  test('a host notification is about the host, whatever its check printed', () => {
    const t = classify({ text: '** PROBLEM Host Alert: web1 is DOWN **\nCRITICAL - Plugin timed out after 10 seconds' });
    assert.deepEqual(brief(t), { kind: 'host-unreachable', service: null, runbook: 'host-unreachable' });
    const icinga = classify({ text: '[PROBLEM] Host web1 is UNREACHABLE!\nInfo: CRITICAL - Host Unreachable (192.0.2.10)' });
    assert.equal(icinga.kind, 'host-unreachable');
  });

  test('plugin prose that looks like a header is left as output', () => {
    const u = unwrapNotification('CRITICAL - eth0 is DOWN\neth1 is DOWN');
    assert.equal(u.hostAlert, false);
    assert.equal(u.output, 'CRITICAL - eth0 is DOWN\neth1 is DOWN');
  });
});
