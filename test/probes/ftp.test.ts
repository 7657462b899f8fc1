/**
 * The ftp probe against real vsftpd in the lab (greeting, AUTH TLS, a PAM login of the lab's
 * system user, a slow greeting through the delaying proxy, too many connections, stopped,
 * killed, unreachable) side by side with check_ftp, and against the bad servers in
 * process on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { SecretError } from '../../src/core/secrets.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import ftp from '../../src/probes/ftp.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { leadingWords, runPlugin, scripted, serve, startBadPeers, type BadPeers, type Peer } from '../fixtures/lab/greeting-peers.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';
import { makeSelfSignedCert } from '../lab/process.ts';
import { startVsftpd, type LabVsftpd } from '../lab/daemons/vsftpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { startSlowProxy, type SlowProxy } from '../lab/slow-proxy.ts';

const CHECK_FTP = `${PLUGINS}/check_ftp`;
const secrets: Record<string, string> = {};
const secret = (name: string) => {
  const v = secrets[name];
  if (v === undefined) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
  return v;
};

function runFtp(address: string, options: Record<string, unknown>, timeoutMs = 3000) {
  return runCheck(ftp, targetFromAddress(address), ftp.schema.parse(options), { timeoutMs, secret });
}

describe('ftp probe: bad servers and options', () => {
  let bad: BadPeers;
  let good: Peer;
  let endlessReply: Peer;
  before(async () => {
    bad = await startBadPeers('220');
    good = await scripted(
      '220-Welcome to the test server.\r\n220-Be nice.\r\n220 Ready.\r\n',
      [
        [/^USER anon$/, '230 No password needed.\r\n'],
        [/^USER /, '331 Please specify the password.\r\n'],
        [/^PASS right$/, '230-Welcome back.\r\n230 Login successful.\r\n'],
        [/^PASS /, '530 Login incorrect.\r\n'],
        [/^AUTH TLS$/, '530 Please login with USER and PASS.\r\n'],
        [/^QUIT$/, '221 Goodbye.\r\n'],
      ],
      '500 Unknown command.\r\n',
    );
    // A multi-line reply that never ends: bounded by line count, not by memory.
    endlessReply = await scripted('220 Ready.\r\n', [[/^USER /, '331-more\r\n'.repeat(200)]], '500 ?\r\n');
  });
  after(async () => {
    await bad.closeAll();
    await good.close();
    await endlessReply.close();
  });

  test('an endless greeting is WARNING at 8 KiB, not a growing buffer or a timeout', async () => {
    const r = await runFtp('127.0.0.1', { port: bad.endless.port }, 5000);
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^FTP WARNING - Unexpected response from host\/socket \(a line longer than 8192 bytes\): 220 z{76}\.\.\.$/);
  });

  test('a 10 MB banner is WARNING with a short excerpt', async () => {
    const r = await runFtp('127.0.0.1', { port: bad.huge.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.ok(r.text.length < 200, r.text);
  });

  test('binary garbage is WARNING with printable text only, like check_ftp', async (t) => {
    const r = await runFtp('127.0.0.1', { port: bad.garbage.port });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^FTP WARNING - Unexpected response from host\/socket: [ -~]+$/);
    if (needs(t, { commands: [CHECK_FTP] })) return;
    const theirs = await runPlugin(CHECK_FTP, ['-H', '127.0.0.1', '-p', String(bad.garbage.port)]);
    assert.equal(r.state, theirs.state, `${r.text} / ${theirs.text}`);
  });

  test('a close in the middle of a line: CRITICAL when the greeting was right, WARNING when wrong', async () => {
    const right = await runFtp('127.0.0.1', { port: bad.midLine.port });
    assert.equal(right.text, 'FTP CRITICAL - Connection closed in the middle of the greeting: 220 server rea');
    const wrong = await runFtp('127.0.0.1', { port: bad.wrongMidLine.port });
    assert.equal(wrong.text, 'FTP WARNING - Unexpected response from host/socket: HTTP/1.1 400 Bad Re');
    const cut = await serve((s) => s.end('220-Welcome\r\n'));
    try {
      const r = await runFtp('127.0.0.1', { port: cut.port });
      assert.equal(r.text, 'FTP CRITICAL - Connection closed in the middle of the greeting: 220-Welcome');
    } finally {
      await cut.close();
    }
    const none = await runFtp('127.0.0.1', { port: bad.silentClose.port });
    assert.equal(none.text, 'FTP CRITICAL - No data received from host');
  });

  test('a multi-line greeting and replies; login accepted, refused, needing no password; AUTH TLS refused', async () => {
    secrets['ftp-right'] = 'right';
    secrets['ftp-wrong'] = 'wrong';
    const ok = await runFtp('127.0.0.1', { port: good.port, username: 'u', password_secret: 'ftp-right' });
    assert.equal(ok.state, NagiosState.OK, ok.text);
    assert.match(ok.text, /\[220-Welcome to the test server\.\], logged in as u$/);
    const anon = await runFtp('127.0.0.1', { port: good.port, username: 'anon', password_secret: 'ftp-wrong' });
    assert.equal(anon.state, NagiosState.OK, anon.text);
    const no = await runFtp('127.0.0.1', { port: good.port, username: 'u', password_secret: 'ftp-wrong' });
    assert.equal(no.text, 'FTP CRITICAL - Login failed for user "u": 530 Login incorrect.');
    const tls = await runFtp('127.0.0.1', { port: good.port, tls: 'starttls' });
    assert.equal(tls.text, 'FTP CRITICAL - AUTH TLS refused by the server: 530 Please login with USER and PASS.');
  });

  test('a reply that never ends is CRITICAL, cut off by its line count', async () => {
    const r = await runFtp('127.0.0.1', { port: endlessReply.port, username: 'u', password_secret: 'ftp-right' });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.match(r.text, /^FTP CRITICAL - Reply longer than 8192 bytes during login: 331-more/);
  });

  test('implicit TLS: the greeting read through TLS; TLS to a plain server is a handshake failure', async (t) => {
    if (needs(t, { commands: ['openssl'] })) return;
    const dir = mkdtempSync(join(tmpdir(), 'mamoru-ftps-'));
    const { cert, key } = makeSelfSignedCert(dir, 'ftps', 'ftps.test');
    const server = tls.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (s) => {
      s.on('error', () => {});
      s.resume();
      s.end('220 secure and ready\r\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = await runFtp('127.0.0.1', { tls: 'implicit', port: (server.address() as net.AddressInfo).port });
      assert.equal(r.state, NagiosState.OK, r.text);
      assert.match(r.text, /\[220 secure and ready\]$/);
      const plain = await runFtp('127.0.0.1', { tls: 'implicit', port: good.port });
      assert.equal(plain.state, NagiosState.CRITICAL, plain.text);
      assert.match(plain.text, /^FTP CRITICAL - TLS handshake with 127\.0\.0\.1 port \d+ failed: /);
    } finally {
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('options: defaults', () => {
    assert.deepEqual(ftp.schema.parse({}), { tls: 'none', expect: '220' });
    assert.equal(ftp.schema.safeParse({ port: 0 }).success, false);
  });
});

describe('ftp probe: vsftpd in the lab, side by side with check_ftp', () => {
  const prereq = { root: true, commands: ['ip', 'nft', 'vsftpd', 'useradd', 'openssl', CHECK_FTP] };
  let lab: Lab | undefined;
  let vsftpd: LabVsftpd;
  let slow: SlowProxy;
  let host: string;
  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    vsftpd = await startVsftpd(lab);
    slow = await startSlowProxy(lab, { listenPort: 2121, targetPort: vsftpd.port, delayMs: 600 });
    host = lab.server.ip;
    secrets['lab-ftp'] = vsftpd.user.password;
    secrets['lab-ftp-wrong'] = `${vsftpd.user.password}-not`;
  });
  after(async () => {
    await lab?.destroy();
    // The system user vsftpd needed goes with the lab.
    if (lab) assert.doesNotMatch(readFileSync('/etc/passwd', 'utf8'), new RegExp(`^${vsftpd.user.name}:`, 'm'));
  });

  const both = async (options: Record<string, unknown>, args: string[], timeoutMs = 3000) =>
    Promise.all([runFtp(host, options, timeoutMs), runPlugin(CHECK_FTP, ['-H', host, '-t', String(timeoutMs / 1000), ...args])]);

  test('up: OK with the greeting, the same text as check_ftp', async (t) => {
    if (needs(t, prereq)) return;
    const [ours, theirs] = await both({ warning: 2, critical: 4 }, ['-w', '2', '-c', '4']);
    assert.equal(ours.state, NagiosState.OK, ours.text);
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    assert.match(ours.text, /^FTP OK - \d+\.\d{3} second response time on \S+ port 21 \[220 \(vsFTPd 3\.[\d.]+\)\]$/);
    assert.equal(ours.text.replace(/\d+\.\d{3} second/, 'T second'), theirs.text.replace(/\d+\.\d{3} second/, 'T second'));
    assert.match(formatPerfdata(ours.perfdata), /^time=[\d.]+s;2;4;0;3$/);
  });

  test('the lab user logs in through PAM over plain text and AUTH TLS', async (t) => {
    if (needs(t, prereq)) return;
    for (const tls of ['none', 'starttls']) {
      const r = await runFtp(host, { tls, username: vsftpd.user.name, password_secret: 'lab-ftp' });
      assert.equal(r.state, NagiosState.OK, `${tls}: ${r.text}`);
      assert.match(r.text, new RegExp(`${tls === 'starttls' ? ', TLS via AUTH TLS' : ''}, logged in as ${vsftpd.user.name}$`));
    }
  });

  test('auth failure: CRITICAL Login failed (check_ftp, which cannot log in, is OK) and vsftpd logs it', async (t) => {
    if (needs(t, prereq)) return;
    // PAM's own delay after a wrong password is two seconds.
    const [ours, theirs] = await both({ username: vsftpd.user.name, password_secret: 'lab-ftp-wrong' }, [], 6000);
    assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
    assert.equal(ours.text, `FTP CRITICAL - Login failed for user "${vsftpd.user.name}": 530 Login incorrect.`);
    assert.equal(theirs.state, NagiosState.OK, theirs.text);
    const failed = new RegExp(`\\[${vsftpd.user.name}\\] FAIL LOGIN: Client "${lab!.monitorIp.replace(/\./g, '\\.')}"`);
    await waitFor('the failed login in the log', () => failed.test(readFileSync(vsftpd.logFile, 'utf8')), 5000);
  });

  test('slow greeting (delaying proxy): WARNING over -w, CRITICAL over -c, like check_ftp', async (t) => {
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

  test('bad response (421 too many connections from one address): WARNING from both', async (t) => {
    if (needs(t, prereq)) return;
    await vsftpd.setLimits({ maxPerIp: 1 });
    // Hold the one session allowed. Sessions of the start-up check may still be ending: until
    // they are, this connection is the one turned away, so try again until it is welcomed.
    let holder: net.Socket | undefined;
    const hold = () =>
      new Promise<boolean>((resolve) => {
        const s = net.connect(vsftpd.port, host);
        s.on('error', () => resolve(false));
        s.once('data', (d: Buffer) => {
          if (d.toString().startsWith('220')) {
            holder = s;
            resolve(true);
          } else {
            s.destroy();
            resolve(false);
          }
        });
      });
    try {
      await waitFor('a welcomed FTP session to hold', hold, 5000, 100);
      const [ours, theirs] = await both({}, []);
      assert.equal(ours.state, NagiosState.WARNING, ours.text);
      assert.equal(theirs.state, NagiosState.WARNING, theirs.text);
      assert.equal(ours.text, 'FTP WARNING - Unexpected response from host/socket: 421 There are too many connections from your internet address.');
      assert.equal(leadingWords(ours.text), leadingWords(theirs.text));
    } finally {
      holder?.destroy();
      await vsftpd.setLimits({});
    }
  });

  test('refused: vsftpd stopped, then killed: CRITICAL Connection refused from both', async (t) => {
    if (needs(t, prereq)) return;
    try {
      for (const fault of ['stop', 'kill'] as const) {
        await vsftpd[fault]();
        assert.equal(vsftpd.isRunning(), false);
        const [ours, theirs] = await both({}, []);
        assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
        assert.equal(theirs.state, NagiosState.CRITICAL, theirs.text);
        assert.equal(ours.text, `FTP CRITICAL - connect to address ${host} and port 21: Connection refused`);
        assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
        await vsftpd.start();
      }
    } finally {
      await vsftpd.start();
    }
    const back = await runFtp(host, {});
    assert.equal(back.state, NagiosState.OK, back.text);
  });

  test('timeout: the server drops every packet: CRITICAL Socket timeout from both', async (t) => {
    if (needs(t, prereq)) return;
    lab!.server.dropAll();
    try {
      const [ours, theirs] = await both({}, [], 1000);
      assert.equal(ours.state, NagiosState.CRITICAL, ours.text);
      assert.equal(theirs.state, NagiosState.CRITICAL, theirs.text);
      assert.equal(ours.text, 'FTP CRITICAL - Socket timeout after 1 seconds');
      assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
    } finally {
      lab!.server.restore();
    }
  });

  test('the lab user is a system user while the lab runs', async (t) => {
    if (needs(t, prereq)) return;
    assert.match(readFileSync('/etc/passwd', 'utf8'), new RegExp(`^${vsftpd.user.name}:`, 'm'));
  });
});
