/**
 * The pop3 probe against real Dovecot in the lab (greeting, STLS, implicit TLS, login, a slow
 * greeting through the delaying proxy, stopped, killed, unreachable, the wrong protocol) side by
 * side with check_pop, and against the issue's bad servers in process on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { SecretError } from '../../src/core/secrets.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import pop3 from '../../src/probes/pop3.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { leadingWords, runPlugin, scripted, startBadPeers, type BadPeers, type Peer } from '../fixtures/lab/greeting-peers.ts';
import { freePort } from '../helpers/nginx.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { startSlowProxy, type SlowProxy } from '../lab/slow-proxy.ts';

const CHECK_POP = `${PLUGINS}/check_pop`;
const CHECK_SPOP = `${PLUGINS}/check_spop`;
const secrets: Record<string, string> = {};
const secret = (name: string) => {
  const v = secrets[name];
  if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
  return v;
};

function runPop(address: string, options: Record<string, unknown>, timeoutMs = 3000) {
  return runCheck(pop3, targetFromAddress(address), pop3.schema.parse(options), { timeoutMs, secret });
}

describe('pop3 probe: bad servers and options', () => {
  let bad: BadPeers;
  let good: Peer;
  before(async () => {
    bad = await startBadPeers('+OK');
    good = await scripted('+OK POP3 ready <1.2@test>\r\n', [[/^USER /, '+OK\r\n'], [/^PASS right$/, '+OK Logged in.\r\n'], [/^PASS /, '-ERR [AUTH] Authentication failed.\r\n'], [/^STLS$/, '-ERR TLS not configured\r\n']], '-ERR unknown\r\n');
  });
  after(async () => {
    await bad.closeAll();
    await good.close();
  });

  test('an endless greeting is WARNING at 8 KiB, not a growing buffer or a timeout', async () => {
    const r = await runPop('127.0.0.1', { port: bad.endless.port }, 5000);
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^POP WARNING - Unexpected response from host\/socket \(a line longer than 8192 bytes\): \+OK z{76}\.\.\.$/);
  });

  test('a 10 MB banner is WARNING with a short excerpt', async () => {
    const r = await runPop('127.0.0.1', { port: bad.huge.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^POP WARNING - Unexpected response from host\/socket \(a line longer than 8192 bytes\): \+OK x+\.\.\.$/);
    assert.ok(r.text.length < 200, r.text);
  });

  test('binary garbage is WARNING with printable text only, like check_pop', async (t) => {
    const r = await runPop('127.0.0.1', { port: bad.garbage.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^POP WARNING - Unexpected response from host\/socket: [ -~]+$/);
    if (needs(t, { commands: [CHECK_POP] })) return;
    const theirs = await runPlugin(CHECK_POP, ['-H', '127.0.0.1', '-p', String(bad.garbage.port)]);
    assert.equal(r.state, theirs.state, `${r.text} / ${theirs.text}`);
  });

  test('a close in the middle of a right greeting is CRITICAL and says so', async () => {
    const r = await runPop('127.0.0.1', { port: bad.midLine.port });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'POP CRITICAL - Connection closed in the middle of the greeting: +OK server rea');
  });

  test('a close in the middle of a wrong greeting is WARNING, like check_pop', async (t) => {
    const r = await runPop('127.0.0.1', { port: bad.wrongMidLine.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.equal(r.text, 'POP WARNING - Unexpected response from host/socket: HTTP/1.1 400 Bad Re');
    if (needs(t, { commands: [CHECK_POP] })) return;
    const theirs = await runPlugin(CHECK_POP, ['-H', '127.0.0.1', '-p', String(bad.wrongMidLine.port)]);
    assert.equal(r.state, theirs.state, `${r.text} / ${theirs.text}`);
    assert.equal(leadingWords(r.text), leadingWords(theirs.text));
  });

  test('a close without a word is CRITICAL: No data received from host, like check_pop', async (t) => {
    const r = await runPop('127.0.0.1', { port: bad.silentClose.port });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'POP CRITICAL - No data received from host');
    if (needs(t, { commands: [CHECK_POP] })) return;
    const theirs = await runPlugin(CHECK_POP, ['-H', '127.0.0.1', '-p', String(bad.silentClose.port)]);
    assert.equal(r.state, theirs.state, `${r.text} / ${theirs.text}`);
    assert.ok(r.text.endsWith(theirs.text), `${r.text} / ${theirs.text}`);
  });

  test('login: accepted, refused, and STLS refused are told apart', async () => {
    secrets['pop-right'] = 'right';
    secrets['pop-wrong'] = 'wrong';
    const ok = await runPop('127.0.0.1', { port: good.port, username: 'u', password_secret: 'pop-right' });
    assert.equal(ok.state, NagiosState.OK, ok.text);
    assert.match(ok.text, /^POP OK - [\d.]+ second response time on 127\.0\.0\.1 port \d+ \[\+OK POP3 ready <1\.2@test>\], logged in as u$/);
    const no = await runPop('127.0.0.1', { port: good.port, username: 'u', password_secret: 'pop-wrong' });
    assert.equal(no.state, NagiosState.CRITICAL, no.text);
    assert.equal(no.text, 'POP CRITICAL - Login failed for user "u": -ERR [AUTH] Authentication failed.');
    const stls = await runPop('127.0.0.1', { port: good.port, tls: 'starttls' });
    assert.equal(stls.state, NagiosState.CRITICAL, stls.text);
    assert.equal(stls.text, 'POP CRITICAL - STLS refused by the server: -ERR TLS not configured');
  });

  test('STLS: bytes sent after +OK and before the handshake are refused, not trusted', async () => {
    const injector = await scripted('+OK ready\r\n', [[/^STLS$/, '+OK Begin TLS negotiation\r\n+OK injected\r\n']], '-ERR\r\n');
    try {
      const r = await runPop('127.0.0.1', { port: injector.port, tls: 'starttls' });
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.equal(r.text, 'POP CRITICAL - the server sent more after agreeing to TLS, before the handshake (refused: it could be injected)');
    } finally {
      await injector.close();
    }
  });

  test('a missing secret is UNKNOWN with what to fix; a password with a line break is refused', async () => {
    const r = await runPop('127.0.0.1', { port: good.port, username: 'u', password_secret: 'nowhere' });
    assert.equal(r.state, NagiosState.UNKNOWN, r.text);
    assert.match(r.text, /secret "nowhere": not defined/);
    secrets['pop-crlf'] = 'a\r\nDELE 1';
    const crlf = await runPop('127.0.0.1', { port: good.port, username: 'u', password_secret: 'pop-crlf' });
    assert.equal(crlf.state, NagiosState.UNKNOWN, crlf.text);
    assert.equal(crlf.text, 'POP UNKNOWN - the password in secret "pop-crlf" contains a line break or NUL');
  });

  test('options: defaults, and a login needs both keys', () => {
    assert.deepEqual(pop3.schema.parse({}), { tls: 'none', expect: '+OK' });
    const half = pop3.schema.safeParse({ username: 'u' });
    assert.equal(half.success, false);
    assert.deepEqual(half.error!.issues.map((i) => [i.path.join('.'), i.message]), [['password_secret', 'username needs password_secret (the secret holding its password)']]);
    assert.equal(pop3.schema.safeParse({ username: 'u\r\nDELE 1', password_secret: 's' }).success, false);
    assert.equal(pop3.schema.safeParse({ tls: 'yes' }).success, false);
  });

  test('a refused port is CRITICAL with check_pop\'s words', async (t) => {
    const port = await freePort();
    const r = await runPop('127.0.0.1', { port });
    assert.equal(r.text, `POP CRITICAL - connect to address 127.0.0.1 and port ${port}: Connection refused`);
    if (needs(t, { commands: [CHECK_POP] })) return;
    const theirs = await runPlugin(CHECK_POP, ['-H', '127.0.0.1', '-p', String(port)]);
    assert.equal(r.state, theirs.state);
    assert.ok(r.text.endsWith(theirs.text), `${r.text} / ${theirs.text}`);
  });
});

describe('pop3 probe: Dovecot in the lab, side by side with check_pop', () => {
  const prereq = { root: true, commands: ['ip', 'nft', 'dovecot', 'openssl', CHECK_POP] };
  let lab: Lab | undefined;
  let dovecot: LabDovecot;
  let slow: SlowProxy;
  let host: string;
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    dovecot = await startDovecot(lab);
    slow = await startSlowProxy(lab, { listenPort: 1110, targetPort: dovecot.ports.pop3, delayMs: 600 });
    host = lab.server.ip;
    secrets['lab-pop'] = dovecot.user.password;
    secrets['lab-pop-wrong'] = `${dovecot.user.password}-not`;
  });
  after(() => lab?.destroy());

  const both = async (options: Record<string, unknown>, args: string[], plugin = CHECK_POP, timeoutMs = 3000) =>
    Promise.all([runPop(host, options, timeoutMs), runPlugin(plugin, ['-H', host, '-t', String(timeoutMs / 1000), ...args])]);

  test('up: OK with the greeting, the same text and perfdata shape as check_pop', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ warning: 2, critical: 4 }, ['-w', '2', '-c', '4']);
    assert.equal(ours.state, NagiosState.OK, ours.text);
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    assert.match(ours.text, /^POP OK - \d+\.\d{3} second response time on \S+ port 110 \[\+OK Dovecot ready\.\]$/);
    assert.equal(ours.text.replace(/\d+\.\d{3} second/, 'T second'), theirs.text.replace(/\d+\.\d{3} second/, 'T second'));
    assert.match(formatPerfdata(ours.perfdata), /^time=[\d.]+s;2;4;0;3$/);
    const v6 = await runPop(lab!.server.ip6, {});
    assert.equal(v6.state, NagiosState.OK, v6.text);
    assert.match(v6.text, new RegExp(`on ${lab!.server.ip6} port 110 \\[\\+OK Dovecot ready\\.\\]$`));
  });

  test('implicit TLS on 995 and STLS on 110 are OK; check_spop agrees on 995', async (t) => {
    if (needs(t, { ...prereq, commands: [...prereq.commands, CHECK_SPOP] })) return;
    const [ours, theirs] = await both({ tls: 'implicit' }, [], CHECK_SPOP);
    assert.equal(ours.state, NagiosState.OK, ours.text);
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    assert.match(ours.text, / port 995 \[\+OK Dovecot ready\.\]$/);
    const stls = await runPop(host, { tls: 'starttls' });
    assert.equal(stls.state, NagiosState.OK, stls.text);
    assert.match(stls.text, / port 110 \[\+OK Dovecot ready\.\], TLS via STLS$/);
  });

  test('login with the right password is OK over plain text, STLS and implicit TLS', async (t) => {
    if (needs(t, prereq)) return;
    for (const tls of ['none', 'starttls', 'implicit']) {
      const r = await runPop(host, { tls, username: dovecot.user.name, password_secret: 'lab-pop' });
      assert.equal(r.state, NagiosState.OK, r.text);
      assert.match(r.text, new RegExp(`logged in as ${dovecot.user.name}$`));
    }
  });

  test('auth failure: CRITICAL Login failed (the greeting alone, as check_pop sees it, is fine) and Dovecot logs it', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ username: dovecot.user.name, password_secret: 'lab-pop-wrong' }, []);
    assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
    assert.equal(ours.text, `POP CRITICAL - Login failed for user "${dovecot.user.name}": -ERR [AUTH] Authentication failed.`);
    // check_pop cannot log in: the same server is OK to it. The login is what this probe adds.
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    // Dovecot writes the login process's line when the connection ends, just after the result.
    const failed = new RegExp(`pop3-login: .*auth failed.*user=<${dovecot.user.name}>.*rip=${lab!.monitorIp.replace(/\./g, '\\.')},`);
    const log = await waitFor('the failed login in the log', () => failed.test(readFileSync(dovecot.logFile, 'utf8')) && readFileSync(dovecot.logFile, 'utf8'), 5000);
    assert.match(log, new RegExp(`passwd-file\\(${dovecot.user.name},${lab!.monitorIp.replace(/\./g, '\\.')},.*Password mismatch`));
  });

  test('slow greeting (delaying proxy): WARNING over -w, CRITICAL over -c, like check_pop', async (t) => {
    if (needs(t, prereq)) return;
    const [warnOurs, warnTheirs] = await both({ port: slow.port, warning: 0.3, critical: 5 }, ['-p', String(slow.port), '-w', '0.3', '-c', '5']);
    assert.equal(warnOurs.state, NagiosState.WARNING, warnOurs.text);
    assert.equal(warnTheirs.state, NagiosState.WARNING, warnTheirs.text);
    assert.match(warnOurs.text, /^POP WARNING - \d+\.\d{3} second response time on \S+ port 1110 \[\+OK Dovecot ready\.\]$/);
    assert.equal(leadingWords(warnOurs.text), leadingWords(warnTheirs.text));
    const [critOurs, critTheirs] = await both({ port: slow.port, warning: 0.1, critical: 0.3 }, ['-p', String(slow.port), '-w', '0.1', '-c', '0.3']);
    assert.equal(critOurs.state, NagiosState.CRITICAL, critOurs.text);
    assert.equal(critTheirs.state, NagiosState.CRITICAL, critTheirs.text);
    assert.equal(leadingWords(critOurs.text), leadingWords(critTheirs.text));
  });

  test('bad response (IMAP answers on the POP port): WARNING Unexpected response, like check_pop', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ port: dovecot.ports.imap }, ['-p', String(dovecot.ports.imap)]);
    assert.equal(ours.state, NagiosState.WARNING, ours.text);
    assert.equal(theirs.state, NagiosState.WARNING, theirs.text);
    assert.match(ours.text, /^POP WARNING - Unexpected response from host\/socket: \* OK \[CAPABILITY /);
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
        assert.equal(ours.text, `POP CRITICAL - connect to address ${host} and port 110: Connection refused`);
        assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
        await dovecot.start();
      }
    } finally {
      await dovecot.start();
    }
    const back = await runPop(host, {});
    assert.equal(back.state, NagiosState.OK, back.text);
  });

  test('timeout: the server drops every packet: CRITICAL Socket timeout from both', async (t) => {
    if (needs(t, prereq)) return;
    lab!.server.dropAll();
    try {
      const [ours, theirs] = await both({}, [], CHECK_POP, 1000);
      assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
      assert.equal(theirs.state, NagiosState.CRITICAL, theirs.text);
      assert.equal(ours.text, 'POP CRITICAL - Socket timeout after 1 seconds');
      assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
    } finally {
      lab!.server.restore();
    }
  });
});
