/**
 * The smtp probe against the lab's real Postfix (greeting, STARTTLS, implicit TLS on 465, AUTH
 * with a good and a wrong password, a slow greeting through the delaying proxy, stopped, killed,
 * unreachable, a greeting without the expected words) side by side with check_smtp, and against
 * the bad servers in process on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { SecretError } from '../../src/core/secrets.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import smtp from '../../src/probes/smtp.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { leadingWords, runPlugin, scripted, startBadPeers, type BadPeers, type Peer } from '../fixtures/lab/greeting-peers.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { postfixLog, startPostfix, type LabPostfix } from '../lab/daemons/postfix.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { startSlowProxy, type SlowProxy } from '../lab/slow-proxy.ts';

const CHECK_SMTP = `${PLUGINS}/check_smtp`;
const secrets: Record<string, string> = {};
const secret = (name: string) => {
  const v = secrets[name];
  if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
  return v;
};

function runSmtp(address: string, options: Record<string, unknown>, timeoutMs = 3000) {
  return runCheck(smtp, targetFromAddress(address), smtp.schema.parse(options), { timeoutMs, secret });
}

/** check_smtp's state and first line for the same condition. */
const checkSmtp = (args: string[]) => runPlugin(CHECK_SMTP, args);

describe('smtp probe: bad servers and options', () => {
  let bad: BadPeers;
  let noTls: Peer;
  let busy: Peer;
  before(async () => {
    bad = await startBadPeers('220');
    // An ESMTP server that offers no STARTTLS, and one that greets with 554 (no service).
    noTls = await scripted('220 plain.test ESMTP\r\n', [[/^EHLO/i, '250-plain.test\r\n250 8BITMIME\r\n'], [/^HELO/i, '250 plain.test\r\n'], [/^QUIT/i, '221 bye\r\n']], '502 no\r\n');
    busy = await scripted('554 5.3.2 too busy, try later\r\n', [], '503 no\r\n');
  });
  after(async () => {
    await bad?.closeAll();
    await noTls?.close();
    await busy?.close();
  });

  const parity = async (t: Parameters<typeof needs>[0], port: number, args: string[], state: NagiosState) => {
    if (needs(t, { commands: [CHECK_SMTP] })) return;
    const plugin = await checkSmtp(['-H', '127.0.0.1', '-p', String(port), '-t', '5', ...args]);
    assert.equal(plugin.state, state, `check_smtp: ${plugin.text}`);
  };

  test('binary garbage is WARNING with printable text only, like check_smtp', async (t) => {
    const r = await runSmtp('127.0.0.1', { port: bad.garbage.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, new RegExp(`^SMTP WARNING - Invalid SMTP response received from host on port ${bad.garbage.port}: [ -~]*$`));
    await parity(t, bad.garbage.port, [], NagiosState.WARNING);
  });

  test('a 10 MB banner and an endless one end as WARNING without reading them whole', async (t) => {
    for (const peer of [bad.huge, bad.endless]) {
      const r = await runSmtp('127.0.0.1', { port: peer.port }, 5000);
      assert.equal(r.state, NagiosState.WARNING, r.text);
      assert.match(r.text, /^SMTP WARNING - Invalid SMTP response received from host on port \d+: reply too long: 220 z*x*\.\.\.$/);
      assert.ok(r.text.length < 300, 'the text stays short');
      await parity(t, peer.port, [], NagiosState.WARNING);
    }
  });

  test('a close before or in the middle of the greeting is WARNING (recv() failed), like check_smtp', async (t) => {
    const silent = await runSmtp('127.0.0.1', { port: bad.silentClose.port });
    assert.equal(silent.state, NagiosState.WARNING, silent.text);
    assert.equal(silent.text, 'SMTP WARNING - recv() failed: connection closed by server before the greeting');
    await parity(t, bad.silentClose.port, [], NagiosState.WARNING);
    const mid = await runSmtp('127.0.0.1', { port: bad.midLine.port });
    assert.equal(mid.state, NagiosState.WARNING, mid.text);
    assert.equal(mid.text, 'SMTP WARNING - recv() failed: connection closed mid-line before the greeting: 220 server rea');
    await parity(t, bad.midLine.port, [], NagiosState.WARNING);
  });

  test('a 554 greeting is WARNING with what the server said', async (t) => {
    const r = await runSmtp('127.0.0.1', { port: busy.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.equal(r.text, `SMTP WARNING - Invalid SMTP response received from host on port ${busy.port}: 554 5.3.2 too busy, try later`);
    await parity(t, busy.port, [], NagiosState.WARNING);
  });

  test('starttls against a server that does not offer it is WARNING, like check_smtp -S', async (t) => {
    const plain = await runSmtp('127.0.0.1', { port: noTls.port });
    assert.equal(plain.state, NagiosState.OK, plain.text);
    const r = await runSmtp('127.0.0.1', { port: noTls.port, tls: 'starttls' });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.equal(r.text, 'SMTP WARNING - TLS not supported by server');
    await parity(t, noTls.port, ['-S'], NagiosState.WARNING);
  });

  test('login against a server without AUTH is CRITICAL', async () => {
    secrets['no-auth'] = 'x';
    const r = await runSmtp('127.0.0.1', { port: noTls.port, username: 'u', password_secret: 'no-auth' });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, /^SMTP CRITICAL - server does not offer AUTH \(some offer it only after STARTTLS\), \d+\.\d{3} sec\. response time$/);
  });

  test('options: username and password_secret go together; port follows tls', () => {
    assert.equal(smtp.schema.safeParse({ username: 'u' }).success, false);
    assert.equal(smtp.schema.safeParse({ password_secret: 'p' }).success, false);
    assert.equal(smtp.schema.safeParse({ tls: 'sometimes' }).success, false);
    assert.deepEqual(smtp.schema.parse({}), { tls: 'none', expect: '220' });
  });
});

describe('smtp probe against Postfix in the lab', () => {
  let lab: Lab | undefined;
  let pf: LabPostfix;
  let slow: SlowProxy;

  before(async () => {
    if (missing({ root: true, commands: ['postfix', 'openssl'] })) return;
    lab = await createLab();
    pf = await startPostfix(lab);
    // In front of Postfix inside the server namespace (it listens on 127.0.0.1 there too).
    slow = await startSlowProxy(lab, { listenPort: 0, targetPort: pf.port, delayMs: 0 });
    if (pf.authUser) secrets['smtp-user'] = pf.authPassword!;
    secrets['smtp-wrong'] = 'not-the-password';
  });
  after(async () => {
    await lab?.destroy();
  });

  const lab$ = (t: Parameters<typeof needs>[0]) => needs(t, { root: true, commands: ['postfix', 'openssl', CHECK_SMTP] });

  test('up: OK with check_smtp\'s text and perfdata, and check_smtp agrees', async (t) => {
    if (lab$(t)) return;
    const ip = lab!.server.ip;
    const r = await runSmtp(ip, {});
    assert.equal(r.state, NagiosState.OK, `${r.text}\n${postfixLog(pf)}`);
    assert.match(r.text, /^SMTP OK - \d+\.\d{3} sec\. response time$/);
    assert.match(formatPerfdata(r.perfdata), /^time=[\d.]+s;;;0$/);
    const plugin = await checkSmtp(['-H', ip]);
    assert.equal(plugin.state, NagiosState.OK, plugin.text);
    assert.equal(leadingWords(plugin.text), leadingWords(r.text));
  });

  test('STARTTLS on 25 and implicit TLS on 465 are OK', async (t) => {
    if (lab$(t)) return;
    const ip = lab!.server.ip;
    const starttls = await runSmtp(ip, { tls: 'starttls' });
    assert.equal(starttls.state, NagiosState.OK, starttls.text);
    const implicit = await runSmtp(ip, { tls: 'implicit' });
    assert.equal(implicit.state, NagiosState.OK, implicit.text);
    // Without TLS the smtps port says nothing readable: the greeting never comes in plain text.
    const plainOn465 = await runSmtp(ip, { port: 465 }, 1000);
    assert.equal(plainOn465.state, NagiosState.CRITICAL, plainOn465.text);
    assert.equal(plainOn465.text, 'SMTP CRITICAL - Socket timeout after 1 seconds');
    const plugin = await checkSmtp(['-H', ip, '-S']);
    assert.equal(plugin.state, NagiosState.OK, plugin.text);
  });

  test('login: the right password is OK, a wrong one CRITICAL with the server\'s words, like check_smtp -A LOGIN', async (t) => {
    if (lab$(t)) return;
    if (!pf.authUser) {
      if (process.env.CI) throw new Error(`prerequisite missing in CI: ${pf.authMissing}`);
      return t.skip(pf.authMissing!);
    }
    const ip = lab!.server.ip;
    for (const mech of ['plain', 'login'] as const) {
      const good = await runSmtp(ip, { username: pf.authUser, password_secret: 'smtp-user', auth_mechanism: mech });
      assert.equal(good.state, NagiosState.OK, `${mech}: ${good.text}`);
      const wrong = await runSmtp(ip, { username: pf.authUser, password_secret: 'smtp-wrong', auth_mechanism: mech });
      assert.equal(wrong.state, NagiosState.CRITICAL, wrong.text);
      assert.match(wrong.text, /^SMTP CRITICAL - login as smtp-user failed: 535 5\.7\.8 Error: authentication failed: .*, \d+\.\d{3} sec\. response time$/);
    }
    const tlsLogin = await runSmtp(ip, { tls: 'starttls', username: pf.authUser, password_secret: 'smtp-user' });
    assert.equal(tlsLogin.state, NagiosState.OK, tlsLogin.text);
    const pluginGood = await checkSmtp(['-H', ip, '-A', 'LOGIN', '-U', pf.authUser, '-P', pf.authPassword!]);
    assert.equal(pluginGood.state, NagiosState.OK, pluginGood.text);
    const pluginWrong = await checkSmtp(['-H', ip, '-A', 'LOGIN', '-U', pf.authUser, '-P', 'not-the-password']);
    assert.equal(pluginWrong.state, NagiosState.CRITICAL, pluginWrong.text);
    assert.equal(leadingWords(pluginWrong.text), 'SMTP CRITICAL');
  });

  test('slow greeting: WARNING past warning, CRITICAL past critical, like check_smtp', async (t) => {
    if (lab$(t)) return;
    const ip = lab!.server.ip;
    slow.setDelay(1200);
    try {
      const warn = await runSmtp(ip, { port: slow.port, warning: 0.5, critical: 5 }, 5000);
      assert.equal(warn.state, NagiosState.WARNING, warn.text);
      assert.match(warn.text, /^SMTP WARNING - \d+\.\d{3} sec\. response time$/);
      assert.match(formatPerfdata(warn.perfdata), /^time=[\d.]+s;0\.5;5;0$/);
      const crit = await runSmtp(ip, { port: slow.port, warning: 0.2, critical: 0.5 }, 5000);
      assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
      assert.match(crit.text, /^SMTP CRITICAL - \d+\.\d{3} sec\. response time$/);
      const pw = await checkSmtp(['-H', ip, '-p', String(slow.port), '-w', '0.5', '-c', '5']);
      assert.equal(pw.state, NagiosState.WARNING, pw.text);
      assert.equal(leadingWords(pw.text), leadingWords(warn.text));
      const pc = await checkSmtp(['-H', ip, '-p', String(slow.port), '-w', '0.2', '-c', '0.5']);
      assert.equal(pc.state, NagiosState.CRITICAL, pc.text);
      assert.equal(leadingWords(pc.text), leadingWords(crit.text));
    } finally {
      slow.setDelay(0);
    }
  });

  test('a greeting without the expected words is WARNING, like check_smtp -e', async (t) => {
    if (lab$(t)) return;
    const ip = lab!.server.ip;
    const r = await runSmtp(ip, { expect: 'Exim' });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.equal(r.text, `SMTP WARNING - Invalid SMTP response received from host: 220 ${pf.hostname} ESMTP lab`);
    const plugin = await checkSmtp(['-H', ip, '-e', 'Exim']);
    assert.equal(plugin.state, NagiosState.WARNING, plugin.text);
    assert.match(plugin.text, /^Invalid SMTP response received from host: 220 /);
  });

  test('stopped and killed: CRITICAL Connection refused, like check_smtp', async (t) => {
    if (lab$(t)) return;
    const ip = lab!.server.ip;
    try {
      for (const down of [() => pf.stop(), () => pf.kill()]) {
        await down();
        assert.equal(pf.isRunning(), false);
        const r = await runSmtp(ip, {});
        assert.equal(r.state, NagiosState.CRITICAL, r.text);
        assert.equal(r.text, `SMTP CRITICAL - connect to address ${ip} and port 25: Connection refused`);
        const plugin = await checkSmtp(['-H', ip]);
        assert.equal(plugin.state, NagiosState.CRITICAL, plugin.text);
        assert.match(plugin.text, /Connection refused/);
        await pf.start();
        const back = await runSmtp(ip, {});
        assert.equal(back.state, NagiosState.OK, back.text);
      }
    } finally {
      await pf.start();
    }
  });

  test('host down (every packet dropped): CRITICAL Socket timeout, like check_smtp', async (t) => {
    if (lab$(t)) return;
    const ip = lab!.server.ip;
    lab!.server.dropAll();
    try {
      const r = await runSmtp(ip, {}, 1000);
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.equal(r.text, 'SMTP CRITICAL - Socket timeout after 1 seconds');
      const plugin = await checkSmtp(['-H', ip, '-t', '1']);
      assert.equal(plugin.state, NagiosState.CRITICAL, plugin.text);
      assert.match(plugin.text, /Socket timeout after 1 seconds/);
    } finally {
      lab!.server.restore();
    }
  });
});
