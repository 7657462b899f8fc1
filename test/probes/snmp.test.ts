/**
 * The snmp probe against the lab's real snmpd (net-snmp): the mail-queue extend over and under
 * its thresholds, v2c and v3, GET and GETBULK, string matches, and each failure an operator must
 * tell apart (agent stopped, host dropping packets, wrong community, unknown v3 user, wrong
 * password, unknown OID, text where a number is needed), side by side with check_snmp for the
 * same live condition. SNMP waits are short: 1 s, no retries.
 */
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { SecretError } from '../../src/core/secrets.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import snmp from '../../src/probes/snmp.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { startSnmpd, type Snmpd } from '../lab/daemons/snmpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_SNMP = `${PLUGINS}/check_snmp`;
const PREREQ = { root: true, commands: ['ip', 'nft', 'nsenter', 'snmpd', 'snmpget', 'snmpwalk', CHECK_SNMP] };
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const SYS_LOCATION = '1.3.6.1.2.1.1.6.0';
const NO_SUCH_OBJECT = '1.3.6.1.2.1.1.99.0';
const EXTEND_OUTPUT_COLUMN = '1.3.6.1.4.1.8072.1.3.2.3.1.1';

let lab: Lab | undefined;
let agent: Snmpd;
/** What the config's secrets would hold; the community and passwords are never in options. */
let secrets: Record<string, string> = {};

function runSnmp(options: Record<string, unknown>, timeoutMs = 1000) {
  const secret = (name: string) => {
    const v = secrets[name];
    if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
    return v;
  };
  return runCheck(snmp, targetFromAddress(agent.ip), snmp.schema.parse({ retries: 0, ...options }), { timeoutMs, secret });
}

const v2c = (extra: Record<string, unknown> = {}) => ({ community_secret: 'lab-community', ...extra });
const v3 = (extra: Record<string, unknown> = {}) => ({ version: '3', username: agent.v3.user, auth_secret: 'lab-auth', priv_secret: 'lab-priv', ...extra });

/** check_snmp's state and first line, with its 1 s timeout and no retries. */
function checkSnmp(args: string[]): Promise<{ state: number; text: string }> {
  return new Promise((resolve) => {
    execFile(CHECK_SNMP, ['-H', agent.ip, '-t', '1', '-e', '0', ...args], { encoding: 'utf8' }, (err, stdout) => {
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ state: code, text: stdout.split('\n')[0]!.split('|')[0]!.trim() });
    });
  });
}
const cV2c = (community = agent.community) => ['-P', '2c', '-C', community];
const cV3 = (over: { user?: string; auth?: string; priv?: string } = {}) => [
  '-P', '3', '-L', 'authPriv', '-U', over.user ?? agent.v3.user, '-a', 'SHA', '-A', over.auth ?? agent.v3.authPassword, '-x', 'AES', '-X', over.priv ?? agent.v3.privPassword,
];

const leading = (text: string) => /^SNMP (OK|WARNING|CRITICAL|UNKNOWN)/.exec(text)?.[0];

/** Ours and check_snmp's for the same live condition: the same state, and both results. */
async function both(options: Record<string, unknown>, args: string[]) {
  const [ours, theirs] = await Promise.all([runSnmp(options), checkSnmp(args)]);
  assert.equal(ours.state, theirs.state, `ours: ${ours.text}\ncheck_snmp: ${theirs.text}`);
  return { ours, theirs };
}

describe('snmp probe against the lab snmpd', () => {
  before(async () => {
    if (missing(PREREQ)) return;
    lab = await createLab();
    agent = await startSnmpd(lab);
    secrets = { 'lab-community': agent.community, 'lab-auth': agent.v3.authPassword, 'lab-priv': agent.v3.privPassword, 'not-the-community': 'guess-public', 'wrong-password': 'not-the-password' };
  });
  after(async () => {
    await lab?.destroy();
  });

  test('mail queue over the critical threshold: SNMP CRITICAL - *2345*, exactly as check_snmp prints it', async (t) => {
    if (needs(t, PREREQ)) return;
    agent.setMailQueue(2345);
    const { ours, theirs } = await both(v2c({ oid: [agent.mailQueueOid], warning: 100, critical: 1000 }), [...cV2c(), '-o', agent.mailQueueOid, '-w', '100', '-c', '1000']);
    assert.equal(ours.state, NagiosState.CRITICAL);
    assert.equal(ours.text, 'SNMP CRITICAL - *2345*');
    assert.equal(theirs.text, ours.text);
    assert.equal(formatPerfdata(ours.perfdata), `${agent.mailQueueOid}=2345;100;1000`);
  });

  test('mail queue below, between and over the thresholds: OK, WARNING, CRITICAL like check_snmp', async (t) => {
    if (needs(t, PREREQ)) return;
    const cases: [number, NagiosState, string][] = [
      [12, NagiosState.OK, 'SNMP OK - 12'],
      [150, NagiosState.WARNING, 'SNMP WARNING - *150*'],
      [1001, NagiosState.CRITICAL, 'SNMP CRITICAL - *1001*'],
    ];
    for (const [queue, state, text] of cases) {
      agent.setMailQueue(queue);
      const { ours, theirs } = await both(v2c({ oid: [agent.mailQueueOid], warning: 100, critical: 1000 }), [...cV2c(), '-o', agent.mailQueueOid, '-w', '100', '-c', '1000']);
      assert.equal(ours.state, state, ours.text);
      assert.equal(ours.text, text);
      assert.equal(theirs.text, text);
    }
  });

  test('a Nagios range with @ and open ends decides like check_snmp', async (t) => {
    if (needs(t, PREREQ)) return;
    agent.setMailQueue(7);
    const inside = await both(v2c({ oid: [agent.mailQueueOid], critical: '@5:10' }), [...cV2c(), '-o', agent.mailQueueOid, '-c', '@5:10']);
    assert.equal(inside.ours.state, NagiosState.CRITICAL);
    const below = await both(v2c({ oid: [agent.mailQueueOid], warning: '10:' }), [...cV2c(), '-o', agent.mailQueueOid, '-w', '10:']);
    assert.equal(below.ours.state, NagiosState.WARNING);
    assert.equal(leading(below.ours.text), leading(below.theirs.text));
  });

  test('v2c and v3 (authPriv, SHA/AES) both read the agent: OK like check_snmp', async (t) => {
    if (needs(t, PREREQ)) return;
    agent.setMailQueue(3);
    const two = await both(v2c({ oid: [agent.mailQueueOid], critical: 1000 }), [...cV2c(), '-o', agent.mailQueueOid, '-c', '1000']);
    assert.equal(two.ours.text, 'SNMP OK - 3');
    const three = await both(v3({ oid: [agent.mailQueueOid], critical: 1000 }), [...cV3(), '-o', agent.mailQueueOid, '-c', '1000']);
    assert.equal(three.ours.state, NagiosState.OK);
    assert.equal(three.ours.text, 'SNMP OK - 3');
    assert.equal(three.theirs.text, 'SNMP OK - 3');
    const several = await runSnmp(v3({ oid: [SYS_UPTIME, SYS_LOCATION] }));
    assert.equal(several.state, NagiosState.OK, several.text);
    assert.match(several.text, /^SNMP OK - \d+ "mamoru lab"$/);
    assert.equal(several.perfdata[0]!.label, SYS_UPTIME);
  });

  test('GETBULK reads a subtree in one request and judges every value in it', async (t) => {
    if (needs(t, PREREQ)) return;
    agent.setMailQueue(2345);
    const r = await runSnmp(v2c({ oid: [EXTEND_OUTPUT_COLUMN], method: 'bulk', critical: 1000, label: ['extend'] }));
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'SNMP CRITICAL - *2345*');
    assert.equal(r.perfdata[0]!.label, `extend${agent.mailQueueOid.slice(EXTEND_OUTPUT_COLUMN.length)}`);
    const empty = await runSnmp(v2c({ oid: ['1.3.6.1.2.1.1.99'], method: 'bulk' }));
    assert.equal(empty.state, NagiosState.UNKNOWN, empty.text);
    assert.equal(empty.text, 'SNMP UNKNOWN - nothing under 1.3.6.1.2.1.1.99 on this agent (GETBULK returned no value inside the subtree)');
    const v3bulk = await runSnmp(v3({ oid: ['1.3.6.1.2.1.25.2.3.1.3'], method: 'bulk', max_repetitions: 50, regex: '.' }));
    assert.equal(v3bulk.state, NagiosState.OK, v3bulk.text);
    assert.match(v3bulk.text, /"\/"/);
  });

  test('string match: exact (expect) and regex, CRITICAL with the value starred when it does not match', async (t) => {
    if (needs(t, PREREQ)) return;
    // check_snmp 2.3 compares -s with snmpget's quoted output, so its -s carries the quotes;
    // mamoru compares the value itself.
    const exact = await both(v2c({ oid: [SYS_LOCATION], expect: 'mamoru lab' }), [...cV2c(), '-o', SYS_LOCATION, '-s', '"mamoru lab"']);
    assert.equal(exact.ours.text, 'SNMP OK - "mamoru lab"');
    assert.equal(exact.theirs.text, exact.ours.text);
    const wrong = await both(v2c({ oid: [SYS_LOCATION], expect: 'data centre 2' }), [...cV2c(), '-o', SYS_LOCATION, '-s', '"data centre 2"']);
    assert.equal(wrong.ours.state, NagiosState.CRITICAL);
    assert.equal(wrong.ours.text, 'SNMP CRITICAL - *"mamoru lab"*');
    assert.equal(wrong.theirs.text, wrong.ours.text);
    const re = await both(v2c({ oid: [SYS_LOCATION], regex: 'lab$' }), [...cV2c(), '-o', SYS_LOCATION, '-r', 'lab']);
    assert.equal(re.ours.state, NagiosState.OK);
    const noMatch = await runSnmp(v2c({ oid: [SYS_LOCATION], regex: '^office' }));
    assert.equal(noMatch.state, NagiosState.CRITICAL, noMatch.text);
  });

  test('wrong community: UNKNOWN, a timeout that says the community may be wrong; check_snmp also UNKNOWN', async (t) => {
    if (needs(t, PREREQ)) return;
    const { ours, theirs } = await both(v2c({ oid: [SYS_UPTIME], community_secret: 'not-the-community' }), [...cV2c('guess-public'), '-o', SYS_UPTIME]);
    assert.equal(ours.state, NagiosState.UNKNOWN);
    assert.equal(
      ours.text,
      `SNMP UNKNOWN - Timeout: No Response from ${agent.ip}:161 after 1 seconds (0 retries): the SNMP agent is not answering (stopped, host down or filtered), or the community is wrong (SNMPv2c agents drop requests with a wrong community silently)`,
    );
    assert.match(theirs.text, new RegExp(`Timeout: No Response from ${agent.ip.replace(/\./g, '\\.')}:161`));
  });

  test('the agent\'s community changed under the monitor: the old one times out, the new one reads', async (t) => {
    if (needs(t, PREREQ)) return;
    const old = agent.community;
    try {
      await agent.setCommunity(`rotated-${Date.now()}`);
      const stale = await runSnmp(v2c({ oid: [SYS_UPTIME] }));
      assert.equal(stale.state, NagiosState.UNKNOWN, stale.text);
      assert.match(stale.text, /or the community is wrong/);
      secrets['rotated'] = agent.community;
      const fresh = await runSnmp(v2c({ oid: [SYS_UPTIME], community_secret: 'rotated' }));
      assert.equal(fresh.state, NagiosState.OK, fresh.text);
    } finally {
      await agent.setCommunity(old);
    }
  });

  test('unknown v3 user and wrong v3 passwords: distinct UNKNOWN results, like check_snmp\'s', async (t) => {
    if (needs(t, PREREQ)) return;
    const user = await both(v3({ oid: [SYS_UPTIME], username: 'intruder' }), [...cV3({ user: 'intruder' }), '-o', SYS_UPTIME]);
    assert.equal(user.ours.state, NagiosState.UNKNOWN);
    assert.equal(user.ours.text, `SNMP UNKNOWN - Unknown user name: the agent at ${agent.ip}:161 has no SNMPv3 user "intruder"`);
    assert.match(user.theirs.text, /Unknown user name/);
    const auth = await both(v3({ oid: [SYS_UPTIME], auth_secret: 'wrong-password' }), [...cV3({ auth: 'not-the-password' }), '-o', SYS_UPTIME]);
    assert.equal(auth.ours.state, NagiosState.UNKNOWN);
    assert.match(auth.ours.text, /^SNMP UNKNOWN - Authentication failure \(incorrect password, community or key\): the SNMPv3 authentication password of "mamoru"/);
    assert.match(auth.theirs.text, /Authentication failure \(incorrect password, community or key\)/);
    // A wrong privacy password is only seen as silence: the agent cannot decrypt the request.
    const priv = await both(v3({ oid: [SYS_UPTIME], priv_secret: 'wrong-password' }), [...cV3({ priv: 'not-the-password' }), '-o', SYS_UPTIME]);
    assert.equal(priv.ours.state, NagiosState.UNKNOWN);
    assert.match(priv.ours.text, /^SNMP UNKNOWN - Timeout: No Response from .* or the SNMPv3 privacy password is wrong$/);
  });

  test('an OID the agent does not have: UNKNOWN with net-snmp\'s words (check_snmp: UNKNOWN under a threshold)', async (t) => {
    if (needs(t, PREREQ)) return;
    // Without a threshold check_snmp 2.3 says "SNMP OK - No Such Object ..."; mamoru does not call that OK.
    const { ours, theirs } = await both(v2c({ oid: [NO_SUCH_OBJECT], critical: 10 }), [...cV2c(), '-o', NO_SUCH_OBJECT, '-c', '10']);
    assert.equal(ours.state, NagiosState.UNKNOWN);
    assert.equal(ours.text, `SNMP UNKNOWN - ${NO_SUCH_OBJECT}: No Such Object available on this agent at this OID`);
    assert.match(theirs.text, /No Such Object available on this agent at this OID/);
    const instance = await runSnmp(v2c({ oid: ['1.3.6.1.2.1.1.6.1'] }));
    assert.equal(instance.state, NagiosState.UNKNOWN, instance.text);
    assert.match(instance.text, /No Such Instance currently exists at this OID$/);
  });

  test('text where a threshold needs a number: UNKNOWN that says so, like check_snmp', async (t) => {
    if (needs(t, PREREQ)) return;
    const { ours, theirs } = await both(v2c({ oid: [SYS_LOCATION], warning: 5 }), [...cV2c(), '-o', SYS_LOCATION, '-w', '5']);
    assert.equal(ours.state, NagiosState.UNKNOWN);
    assert.equal(ours.text, `SNMP UNKNOWN - ${SYS_LOCATION} is a STRING, not a number: "mamoru lab" (warning/critical need a number)`);
    assert.match(theirs.text, /No valid data returned \("mamoru lab"\)/);
    assert.deepEqual(ours.perfdata, []);
  });

  test('agent stopped: UNKNOWN with the timeout text (the runbook\'s "snmpbulkget: Error"), like check_snmp; killed: the same', async (t) => {
    if (needs(t, PREREQ)) return;
    try {
      await agent.stop();
      assert.equal(agent.isRunning(), false);
      const { ours, theirs } = await both(v2c({ oid: [SYS_UPTIME] }), [...cV2c(), '-o', SYS_UPTIME]);
      assert.equal(ours.state, NagiosState.UNKNOWN);
      assert.match(ours.text, new RegExp(`^SNMP UNKNOWN - Timeout: No Response from ${agent.ip.replace(/\./g, '\\.')}:161 after 1 seconds \\(0 retries\\): the SNMP agent is not answering`));
      assert.match(theirs.text, /Timeout: No Response from/);
      await agent.start();
      await agent.kill();
      const killed = await runSnmp(v3({ oid: [SYS_UPTIME] }));
      assert.equal(killed.state, NagiosState.UNKNOWN, killed.text);
      assert.match(killed.text, /^SNMP UNKNOWN - Timeout: No Response from .* or the SNMPv3 privacy password is wrong$/);
    } finally {
      await agent.start();
    }
    const back = await runSnmp(v2c({ oid: [SYS_UPTIME] }));
    assert.equal(back.state, NagiosState.OK, back.text);
  });

  test('host dropping every packet: the same timeout text, also with a retry; check_snmp UNKNOWN too', async (t) => {
    if (needs(t, PREREQ)) return;
    try {
      lab!.server.dropAll();
      const { ours, theirs } = await both(v2c({ oid: [agent.mailQueueOid], critical: 1000 }), [...cV2c(), '-o', agent.mailQueueOid, '-c', '1000']);
      assert.equal(ours.state, NagiosState.UNKNOWN);
      assert.match(ours.text, /^SNMP UNKNOWN - Timeout: No Response from .* after 1 seconds \(0 retries\): the SNMP agent is not answering \(stopped, host down or filtered\), or the community is wrong/);
      assert.match(theirs.text, /Timeout: No Response from/);
      const retried = await runSnmp(v2c({ oid: [SYS_UPTIME], retries: 1 }), 1000);
      assert.match(retried.text, /after 1 seconds \(1 retry\)/);
    } finally {
      lab!.server.restore();
    }
  });

  test('a secret that is not defined: UNKNOWN naming the secret, nothing sent', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await runSnmp({ oid: [SYS_UPTIME], community_secret: 'nowhere' });
    assert.equal(r.state, NagiosState.UNKNOWN, r.text);
    assert.match(r.text, /secret "nowhere": not defined/);
  });
});

describe('snmp options', () => {
  const issues = (o: Record<string, unknown>) => {
    const r = snmp.schema.safeParse(o);
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  test('OIDs must be numeric: a MIB name is refused with what to write instead', () => {
    assert.deepEqual(issues({ oid: ['sysUpTime.0'] }), ['oid.0: expected a numeric OID like 1.3.6.1.2.1.1.3.0 (mamoru loads no MIBs, so names like sysUpTime.0 do not resolve)']);
    assert.deepEqual(snmp.schema.parse({ oid: ['.1.3.6.1.2.1.1.3.0'] }).oid, ['1.3.6.1.2.1.1.3.0']);
  });

  test('v3 needs a user and the passwords its security level uses; bulk needs v2c or v3; ranges are checked', () => {
    assert.deepEqual(issues({ oid: ['1.3.6.1'], version: '3' }), [
      'username: SNMPv3 needs a username',
      'auth_secret: security_level authPriv needs auth_secret (the name of the secret holding the authentication password)',
      'priv_secret: security_level authPriv needs priv_secret (the name of the secret holding the privacy password)',
    ]);
    assert.deepEqual(issues({ oid: ['1.3.6.1'], version: '3', username: 'u', security_level: 'noAuthNoPriv' }), []);
    assert.deepEqual(issues({ oid: ['1.3.6.1'], version: '1', method: 'bulk' }), ['method: GETBULK needs SNMP v2c or v3']);
    assert.deepEqual(issues({ oid: ['1.3.6.1'], username: 'u' }), ['username: username is for SNMPv3; set version: "3" or remove it']);
    assert.match(issues({ oid: ['1.3.6.1'], warning: '10:5' })[0]!, /^warning: invalid range "10:5": start is greater than end/);
  });
});

describe('snmp probe against a broken agent on 127.0.0.1', () => {
  let garbage: dgram.Socket;
  let port = 0;
  before(async () => {
    garbage = dgram.createSocket('udp4');
    // Answers every request with bytes that are not SNMP, then with a 60 kB datagram of noise.
    garbage.on('message', (_msg, rinfo) => {
      garbage.send(Buffer.from([0x30, 0x82, 0xff, 0xff, 0x02, 0x01, 0x09, 0xde, 0xad]), rinfo.port, rinfo.address);
      garbage.send(Buffer.alloc(60_000, 0xa5), rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => garbage.bind(0, '127.0.0.1', resolve));
    port = garbage.address().port;
  });
  after(() => garbage.close());

  test('garbage instead of an SNMP response: a clean UNKNOWN saying the response is unusable', async () => {
    const r = await runCheck(snmp, targetFromAddress('127.0.0.1'), snmp.schema.parse({ oid: [SYS_UPTIME], port, retries: 0 }), { timeoutMs: 1000 });
    assert.equal(r.state, NagiosState.UNKNOWN, r.text);
    assert.match(r.text, new RegExp(`^SNMP UNKNOWN - unusable response: .* \\(127\\.0\\.0\\.1:${port}\\)$`));
  });
});
