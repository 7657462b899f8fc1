/**
 * The ping probe against real hosts: loopback, a network-namespace test host (up, dropping every
 * packet, dropping every other echo), with the raw socket and the ping binary, and side by side
 * with check_ping for the same live condition.
 */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import ping from '../../src/probes/ping.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { createLab, type Lab, type LabHost } from '../lab/network.ts';
import { needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_PING = `${PLUGINS}/check_ping`;

function runPing(address: string, options: Record<string, unknown> = {}, timeoutMs = 5000) {
  const opts = ping.schema.parse({ packets: 3, packet_interval: '50ms', ...options });
  return runCheck(ping, targetFromAddress(address), opts, { timeoutMs });
}

/** check_ping's output and state for the same thresholds. */
function checkPing(address: string, warn: string, crit: string, packets: number, timeoutS = 10): { state: number; text: string } {
  try {
    const out = execFileSync(CHECK_PING, ['-H', address, '-w', warn, '-c', crit, '-p', String(packets), '-t', String(timeoutS)], { encoding: 'utf8' });
    return { state: 0, text: out.split('|')[0]!.trim() };
  } catch (e) {
    const err = e as { status: number; stdout: string };
    return { state: err.status, text: String(err.stdout).split('|')[0]!.trim() };
  }
}

const leadingWords = (text: string) => /^PING (OK|WARNING|CRITICAL|UNKNOWN) - Packet loss = \d+%/.exec(text)?.[0];

describe('ping probe on loopback', () => {
  test('127.0.0.1 answers: OK, 0% loss, RTA and perfdata like check_ping', async (t) => {
    if (needs(t, { root: true })) return;
    const r = await runPing('127.0.0.1');
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, /^PING OK - Packet loss = 0%, RTA = \d+\.\d\d ms$/);
    assert.match(formatPerfdata(r.perfdata), /^rta=[\d.]+ms;100;500;0 pl=0%;20;60;0$/);
  });

  test('::1 answers over ICMPv6', async (t) => {
    if (needs(t, { root: true })) return;
    const r = await runPing('::1');
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, /^PING OK - Packet loss = 0%/);
  });

  test('an RTA threshold below any real RTA warns, and critical wins over warning, as check_ping does', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_PING] })) return;
    const warn = await runPing('127.0.0.1', { warning: '0.001,100%', critical: '500,100%' });
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    assert.match(warn.text, /^PING WARNING - Packet loss = 0%, RTA = /);
    assert.equal(checkPing('127.0.0.1', '0.001,100%', '500,100%', 1).state, NagiosState.WARNING);
    const crit = await runPing('127.0.0.1', { warning: '0.001,100%', critical: '0.002,100%' });
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    assert.equal(checkPing('127.0.0.1', '0.001,100%', '0.002,100%', 1).state, NagiosState.CRITICAL);
  });

  test('a 0% loss threshold is reached by 0% loss (>=, as check_ping compares)', async (t) => {
    if (needs(t, { root: true })) return;
    const r = await runPing('127.0.0.1', { warning: '100,0%', critical: '500,100%' });
    assert.equal(r.state, NagiosState.WARNING, r.text);
  });

  test('method binary uses the ping program and reads its summary', async (t) => {
    if (needs(t, { commands: ['ping'] })) return;
    const r = await runPing('127.0.0.1', { method: 'binary', packet_interval: '200ms', packets: 2 });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, /^PING OK - Packet loss = 0%, RTA = \d+\.\d\d ms$/);
  });

  test('a name that cannot resolve is UNKNOWN with the reason, as check_ping', async () => {
    const r = await runPing('nonexistent.invalid');
    assert.equal(r.state, NagiosState.UNKNOWN);
    assert.equal(r.text, 'PING UNKNOWN - cannot resolve host "nonexistent.invalid" (ENOTFOUND)');
  });
});

describe('ping probe against a test host', () => {
  let lab: Lab | undefined;
  let host: LabHost | undefined;
  before(async () => {
    if (process.getuid?.() === 0) host = (lab = await createLab()).server;
  });
  after(() => lab?.destroy());

  test('up: OK, the same state and words as check_ping', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_PING] })) return;
    const r = await runPing(host!.ip);
    assert.equal(r.state, NagiosState.OK, r.text);
    const cp = checkPing(host!.ip, '100,20%', '500,60%', 2);
    assert.equal(r.state, cp.state);
    assert.equal(leadingWords(r.text), leadingWords(cp.text));
  });

  test('every other echo dropped: 50% loss is WARNING at 20%, CRITICAL at 50%, like check_ping', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_PING, 'nft'] })) return;
    // A fresh counter per rule, and an even packet count, make the loss exact whatever the phase.
    host!.exec(['nft', 'add', 'table', 'inet', 'half']);
    try {
      host!.exec(['nft', 'add', 'chain', 'inet', 'half', 'input', '{ type filter hook input priority -20; }']);
      host!.exec(['nft', 'add', 'rule', 'inet', 'half', 'input', 'icmp', 'type', 'echo-request', 'numgen', 'inc', 'mod', '2', '==', '0', 'drop']);
      const r = await runPing(host!.ip, { packets: 4 }, 3000);
      assert.equal(r.state, NagiosState.WARNING, r.text);
      assert.match(r.text, /^PING WARNING - Packet loss = 50%, RTA = [\d.]+ ms$/);
      // check_ping's ping (-w) sends until it has -p replies, so it too ends at 50% given time.
      const cp = checkPing(host!.ip, '100,20%', '500,60%', 2);
      assert.equal(cp.state, r.state, cp.text);
      assert.equal(leadingWords(cp.text), leadingWords(r.text));
      const crit = await runPing(host!.ip, { packets: 4, critical: '500,50%' }, 3000);
      assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
      assert.equal(checkPing(host!.ip, '100,20%', '500,50%', 2).state, NagiosState.CRITICAL);
    } finally {
      host!.exec(['nft', 'delete', 'table', 'inet', 'half']);
    }
  });

  test('dropping everything: "PING CRITICAL - Packet loss = 100%" in our words before the timeout, like check_ping', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_PING] })) return;
    host!.dropAll();
    try {
      const r = await runPing(host!.ip, { packets: 2 }, 1500);
      assert.equal(r.state, NagiosState.CRITICAL);
      assert.equal(r.text, 'PING CRITICAL - Packet loss = 100%');
      assert.equal(formatPerfdata(r.perfdata), 'rta=U;100;500 pl=100%;20;60;0');
      // check_ping waits for its whole -t when nothing answers: keep it short.
      const cp = checkPing(host!.ip, '100,20%', '500,60%', 1, 2);
      assert.equal(cp.state, NagiosState.CRITICAL);
      assert.equal(cp.text, r.text);
      const bin = await runPing(host!.ip, { packets: 2, method: 'binary' }, 2500);
      assert.equal(bin.text, 'PING CRITICAL - Packet loss = 100%');
    } finally {
      host!.restore();
    }
  });

  test('runs at once keep their own replies: the dead host stays at 100% loss beside live ones', async (t) => {
    if (needs(t, { root: true })) return;
    host!.dropAll();
    try {
      const [dead, ...live] = await Promise.all([
        runPing(host!.ip, { packets: 4, packet_interval: '20ms' }, 1500),
        ...Array.from({ length: 4 }, () => runPing('127.0.0.1', { packets: 4, packet_interval: '20ms' }, 1500)),
      ]);
      assert.equal(dead!.text, 'PING CRITICAL - Packet loss = 100%');
      for (const r of live) assert.match(r.text, /^PING OK - Packet loss = 0%/);
    } finally {
      host!.restore();
    }
  });
});
