/**
 * The imap probe against real Dovecot in the lab (greeting, STARTTLS, implicit TLS, LOGIN with
 * quoted and literal strings, a slow greeting through the delaying proxy, stopped, killed,
 * unreachable, the wrong protocol) side by side with check_imap, and against the bad
 * servers in process on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { SecretError } from '../../src/core/secrets.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import imap from '../../src/probes/imap.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { leadingWords, runPlugin, scripted, startBadPeers, type BadPeers, type Peer } from '../fixtures/lab/greeting-peers.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { startSlowProxy, type SlowProxy } from '../lab/slow-proxy.ts';

const CHECK_IMAP = `${PLUGINS}/check_imap`;
const CHECK_SIMAP = `${PLUGINS}/check_simap`;
const secrets: Record<string, string> = {};
const secret = (name: string) => {
  const v = secrets[name];
  if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
  return v;
};

function runImap(address: string, options: Record<string, unknown>, timeoutMs = 3000) {
  return runCheck(imap, targetFromAddress(address), imap.schema.parse(options), { timeoutMs, secret });
}

describe('imap probe: bad servers and options', () => {
  let bad: BadPeers;
  let good: Peer;
  before(async () => {
    bad = await startBadPeers('* OK');
    // Answers LOGIN only for the user "u" with the password "pässwört" sent as a literal.
    good = await scripted(
      '* OK [CAPABILITY IMAP4rev1] test ready\r\n',
      [
        [/^a\d LOGIN "u" \{10\}$/, '+ Ready for literal data\r\n'],
        [/^pässwört$/, 'a2 OK [CAPABILITY IMAP4rev1] Logged in\r\n'],
        [/^a2 LOGIN "u" "wr\\"o\\\\ng"$/, 'a2 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n'],
        [/^a1 STARTTLS$/, 'a1 BAD STARTTLS not supported\r\n'],
        [/^a9 LOGOUT$/, '* BYE Logging out\r\na9 OK Logout completed.\r\n'],
      ],
      '* BAD unexpected\r\n',
    );
  });
  after(async () => {
    await bad.closeAll();
    await good.close();
  });

  test('an endless greeting is WARNING at 8 KiB, not a growing buffer or a timeout', async () => {
    const r = await runImap('127.0.0.1', { port: bad.endless.port }, 5000);
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^IMAP WARNING - Unexpected response from host\/socket \(a line longer than 8192 bytes\): \* OK z{75}\.\.\.$/);
  });

  test('a 10 MB banner is WARNING with a short excerpt', async () => {
    const r = await runImap('127.0.0.1', { port: bad.huge.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.ok(r.text.length < 200, r.text);
  });

  test('binary garbage is WARNING with printable text only, like check_imap', async (t) => {
    const r = await runImap('127.0.0.1', { port: bad.garbage.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^IMAP WARNING - Unexpected response from host\/socket: [ -~]+$/);
    if (needs(t, { commands: [CHECK_IMAP] })) return;
    const theirs = await runPlugin(CHECK_IMAP, ['-H', '127.0.0.1', '-p', String(bad.garbage.port)]);
    assert.equal(r.state, theirs.state, `${r.text} / ${theirs.text}`);
  });

  test('a close in the middle of a line: CRITICAL when the greeting was right, WARNING when wrong', async () => {
    const right = await runImap('127.0.0.1', { port: bad.midLine.port });
    assert.equal(right.text, 'IMAP CRITICAL - Connection closed in the middle of the greeting: * OK server rea');
    const wrong = await runImap('127.0.0.1', { port: bad.wrongMidLine.port });
    assert.equal(wrong.text, 'IMAP WARNING - Unexpected response from host/socket: HTTP/1.1 400 Bad Re');
  });

  test('a close without a word is CRITICAL: No data received from host, like check_imap', async (t) => {
    const r = await runImap('127.0.0.1', { port: bad.silentClose.port });
    assert.equal(r.text, 'IMAP CRITICAL - No data received from host');
    if (needs(t, { commands: [CHECK_IMAP] })) return;
    const theirs = await runPlugin(CHECK_IMAP, ['-H', '127.0.0.1', '-p', String(bad.silentClose.port)]);
    assert.equal(r.state, theirs.state);
    assert.ok(r.text.endsWith(theirs.text), `${r.text} / ${theirs.text}`);
  });

  test('LOGIN sends a non-ASCII password as a literal and quotes the rest; refusals are told apart', async () => {
    secrets['imap-utf8'] = 'pässwört';
    secrets['imap-quote'] = 'wr"o\\ng';
    const ok = await runImap('127.0.0.1', { port: good.port, username: 'u', password_secret: 'imap-utf8' });
    assert.equal(ok.state, NagiosState.OK, ok.text);
    assert.match(ok.text, /\[\* OK \[CAPABILITY IMAP4rev1\] test ready\], logged in as u$/);
    const no = await runImap('127.0.0.1', { port: good.port, username: 'u', password_secret: 'imap-quote' });
    assert.equal(no.text, 'IMAP CRITICAL - Login failed for user "u": NO [AUTHENTICATIONFAILED] Authentication failed.');
    const stls = await runImap('127.0.0.1', { port: good.port, tls: 'starttls' });
    assert.equal(stls.text, 'IMAP CRITICAL - STARTTLS refused by the server: BAD STARTTLS not supported');
  });

  test('options: defaults', () => {
    assert.deepEqual(imap.schema.parse({}), { tls: 'none', expect: '* OK' });
    assert.equal(imap.schema.safeParse({ password_secret: 's' }).success, false);
  });
});

describe('imap probe: Dovecot in the lab, side by side with check_imap', () => {
  const prereq = { root: true, commands: ['ip', 'nft', 'dovecot', 'openssl', CHECK_IMAP] };
  let lab: Lab | undefined;
  let dovecot: LabDovecot;
  let slow: SlowProxy;
  let host: string;
  const user = { name: 'alice', password: 'alice-pw' };
  // Passwords that need IMAP's escaping and literals, for real.
  const quoted = { name: 'quoted', password: 'a"b\\c' };
  const utf8 = { name: 'utf8', password: 'pässwört' };
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    dovecot = await startDovecot(lab, { users: [user, quoted, utf8] });
    slow = await startSlowProxy(lab, { listenPort: 1143, targetPort: dovecot.ports.imap, delayMs: 600 });
    host = lab.server.ip;
    for (const u of [user, quoted, utf8]) secrets[`lab-${u.name}`] = u.password;
    secrets['lab-wrong'] = 'not-the-password';
  });
  after(() => lab?.destroy());

  const both = async (options: Record<string, unknown>, args: string[], plugin = CHECK_IMAP, timeoutMs = 3000) =>
    Promise.all([runImap(host, options, timeoutMs), runPlugin(plugin, ['-H', host, '-t', String(timeoutMs / 1000), ...args])]);

  test('up: OK with the greeting, the same text as check_imap', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ warning: 2, critical: 4 }, ['-w', '2', '-c', '4']);
    assert.equal(ours.state, NagiosState.OK, ours.text);
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    assert.match(ours.text, /^IMAP OK - \d+\.\d{3} second response time on \S+ port 143 \[\* OK \[CAPABILITY IMAP4rev1 .*\] Dovecot ready\.\]$/);
    assert.equal(ours.text.replace(/\d+\.\d{3} second/, 'T second'), theirs.text.replace(/\d+\.\d{3} second/, 'T second'));
    assert.match(formatPerfdata(ours.perfdata), /^time=[\d.]+s;2;4;0;3$/);
  });

  test('implicit TLS on 993 and STARTTLS on 143 are OK; check_simap agrees on 993', async (t) => {
    if (needs(t, { ...prereq, commands: [...prereq.commands, CHECK_SIMAP] })) return;
    const [ours, theirs] = await both({ tls: 'implicit' }, [], CHECK_SIMAP);
    assert.equal(ours.state, NagiosState.OK, ours.text);
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    assert.match(ours.text, / port 993 \[\* OK /);
    const stls = await runImap(host, { tls: 'starttls' });
    assert.equal(stls.state, NagiosState.OK, stls.text);
    assert.match(stls.text, / port 143 \[.*Dovecot ready\.\], TLS via STARTTLS$/);
  });

  test('LOGIN is OK over every TLS mode, and with passwords that need quoting and literals', async (t) => {
    if (needs(t, prereq)) return;
    for (const tls of ['none', 'starttls', 'implicit']) {
      const r = await runImap(host, { tls, username: user.name, password_secret: `lab-${user.name}` });
      assert.equal(r.state, NagiosState.OK, `${tls}: ${r.text}`);
      assert.match(r.text, /, logged in as alice$/);
    }
    for (const u of [quoted, utf8]) {
      const r = await runImap(host, { username: u.name, password_secret: `lab-${u.name}` });
      assert.equal(r.state, NagiosState.OK, `${u.name}: ${r.text}`);
    }
  });

  test('auth failure: CRITICAL Login failed (check_imap, which cannot log in, is OK) and Dovecot logs it', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ username: user.name, password_secret: 'lab-wrong' }, []);
    assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
    assert.equal(ours.text, 'IMAP CRITICAL - Login failed for user "alice": NO [AUTHENTICATIONFAILED] Authentication failed.');
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    const ip = lab!.monitorIp.replace(/\./g, '\\.');
    const failed = new RegExp(`imap-login: .*auth failed.*user=<alice>.*rip=${ip},`);
    await waitFor('the failed login in the log', () => failed.test(readFileSync(dovecot.logFile, 'utf8')), 5000);
    assert.match(readFileSync(dovecot.logFile, 'utf8'), new RegExp(`passwd-file\\(alice,${ip},.*Password mismatch`));
  });

  test('slow greeting (delaying proxy): WARNING over -w, CRITICAL over -c, like check_imap', async (t) => {
    if (needs(t, prereq)) return;
    const [warnOurs, warnTheirs] = await both({ port: slow.port, warning: 0.3, critical: 5 }, ['-p', String(slow.port), '-w', '0.3', '-c', '5']);
    assert.equal(warnOurs.state, NagiosState.WARNING, warnOurs.text);
    assert.equal(warnTheirs.state, NagiosState.WARNING, warnTheirs.text);
    assert.equal(leadingWords(warnOurs.text), leadingWords(warnTheirs.text));
    const [critOurs, critTheirs] = await both({ port: slow.port, warning: 0.1, critical: 0.3 }, ['-p', String(slow.port), '-w', '0.1', '-c', '0.3']);
    assert.equal(critOurs.state, NagiosState.CRITICAL, critOurs.text);
    assert.equal(critTheirs.state, NagiosState.CRITICAL, critTheirs.text);
    assert.equal(leadingWords(critOurs.text), leadingWords(critTheirs.text));
  });

  test('bad response (POP3 answers on the IMAP port): WARNING Unexpected response, like check_imap', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ port: dovecot.ports.pop3 }, ['-p', String(dovecot.ports.pop3)]);
    assert.equal(ours.state, NagiosState.WARNING, ours.text);
    assert.equal(theirs.state, NagiosState.WARNING, theirs.text);
    assert.equal(ours.text, 'IMAP WARNING - Unexpected response from host/socket: +OK Dovecot ready.');
    assert.equal(leadingWords(ours.text), leadingWords(theirs.text));
  });

  test('refused: Dovecot stopped, then killed: CRITICAL Connection refused from both', async (t) => {
    if (needs(t, prereq)) return;
    try {
      for (const fault of ['stop', 'kill'] as const) {
        await dovecot[fault]();
        assert.equal(dovecot.isRunning(), false);
        const [ours, theirs] = await both({}, []);
        assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
        assert.equal(theirs.state, NagiosState.CRITICAL, theirs.text);
        assert.equal(ours.text, `IMAP CRITICAL - connect to address ${host} and port 143: Connection refused`);
        assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
        await dovecot.start();
      }
    } finally {
      await dovecot.start();
    }
    const back = await runImap(host, {});
    assert.equal(back.state, NagiosState.OK, back.text);
  });

  test('timeout: the server drops every packet: CRITICAL Socket timeout from both', async (t) => {
    if (needs(t, prereq)) return;
    lab!.server.dropAll();
    try {
      const [ours, theirs] = await both({}, [], CHECK_IMAP, 1000);
      assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
      assert.equal(theirs.state, NagiosState.CRITICAL, theirs.text);
      assert.equal(ours.text, 'IMAP CRITICAL - Socket timeout after 1 seconds');
      assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
    } finally {
      lab!.server.restore();
    }
  });
});
