/**
 * The tcp probe against real peers: in-process servers on 127.0.0.1 (banner, request/reply,
 * garbage, silence, an endless stream, TLS), a refused port, a name that cannot resolve, a
 * network-namespace test host that drops every packet, and side by side with check_tcp.
 */
import { execFile, execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, test } from 'node:test';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { NagiosState } from '../../src/core/nagios.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import tcp from '../../src/probes/tcp.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { createLab, type Lab, type LabHost } from '../lab/network.ts';
import { freePort } from '../helpers/nginx.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_TCP = `${PLUGINS}/check_tcp`;
// A label longer than 63 bytes fails inside the resolver library: no query leaves the machine.
const UNRESOLVABLE = `${'a'.repeat(70)}.invalid`;

function runTcp(address: string, options: Record<string, unknown>, timeoutMs = 1000) {
  return runCheck(tcp, targetFromAddress(address), tcp.schema.parse(options), { timeoutMs });
}

/** check_tcp's state and first line for the same condition. */
function checkTcp(args: string[]): Promise<{ state: number; text: string }> {
  return new Promise((resolve) => {
    execFile(CHECK_TCP, args, { encoding: 'utf8' }, (err, stdout) => {
      const code = err ? Number((err as { code?: number }).code) : 0;
      resolve({ state: code, text: stdout.split('\n')[0]!.split('|')[0]!.trim() });
    });
  });
}

/** Listens on 127.0.0.1:0 and keeps track of connections so `close` ends them all. */
async function listen<S extends net.Server>(server: S): Promise<S> {
  const open = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => {
    s.on('error', () => {});
    open.add(s);
    s.once('close', () => open.delete(s));
  });
  closers.set(server, () => {
    for (const s of open) s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const closers = new Map<net.Server, () => void>();
async function close(server: net.Server | undefined): Promise<void> {
  if (!server) return;
  closers.get(server)?.();
  await new Promise((resolve) => server.close(resolve));
}

/** Starts a server on 127.0.0.1:0 that runs `onSocket` for each connection. */
function serve(onSocket: (s: net.Socket) => void): Promise<net.Server> {
  return listen(net.createServer(onSocket));
}
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;

describe('tcp probe', () => {
  const servers: net.Server[] = [];
  let banner: number, pingPong: number, garbage: number, silent: number, endless: number, closer: number, slow: number;

  before(async () => {
    const add = async (fn: (s: net.Socket) => void) => {
      const srv = await serve(fn);
      servers.push(srv);
      return portOf(srv);
    };
    banner = await add((s) => s.write('220 mail.example.test ESMTP ready\r\n'));
    pingPong = await add((s) => s.on('data', (d) => d.toString().includes('PING') && s.write('+PONG\r\n')));
    garbage = await add((s) => s.end(Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x0a, 0x80, 0x81])));
    silent = await add(() => {});
    endless = await add((s) => {
      const chunk = Buffer.alloc(16 * 1024, 'z');
      const pump = () => {
        while (!s.destroyed && s.write(chunk));
        if (!s.destroyed) s.once('drain', pump);
      };
      pump();
    });
    closer = await add((s) => s.end());
    slow = await add((s) => setTimeout(() => !s.destroyed && s.write('SLOW BANNER\r\n'), 300));
  });

  after(async () => {
    await Promise.all(servers.map(close));
  });

  test('an open port is OK with check_tcp\'s text and perfdata', async () => {
    const r = await runTcp('127.0.0.1', { port: silent });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, new RegExp(`^TCP OK - \\d+\\.\\d{3} second response time on 127\\.0\\.0\\.1 port ${silent}$`));
    assert.match(formatPerfdata(r.perfdata), /^time=[\d.]+s;;;0;1$/);
  });

  test('warning and critical thresholds show in perfdata and decide the state', async () => {
    const ok = await runTcp('127.0.0.1', { port: silent, warning: 5, critical: 8 });
    assert.equal(ok.state, NagiosState.OK, ok.text);
    assert.match(formatPerfdata(ok.perfdata), /^time=[\d.]+s;5;8;0;1$/);
    // The banner comes 300 ms after the connection: the response time cannot be below 0.1 s.
    const warn = await runTcp('127.0.0.1', { port: slow, expect: 'SLOW', warning: 0.1, critical: 5 }, 3000);
    assert.equal(warn.state, NagiosState.WARNING, warn.text);
    assert.match(warn.text, /^TCP WARNING - \d+\.\d{3} second response time on 127\.0\.0\.1 port \d+ \[SLOW BANNER\]$/);
    const crit = await runTcp('127.0.0.1', { port: slow, expect: 'SLOW', warning: 0.05, critical: 0.1 }, 3000);
    assert.equal(crit.state, NagiosState.CRITICAL, crit.text);
    assert.match(crit.text, /^TCP CRITICAL - /);
  });

  test('expect finds a banner; send/expect finds the reply', async () => {
    const r = await runTcp('127.0.0.1', { port: banner, expect: 'ESMTP' });
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.match(r.text, /\[220 mail\.example\.test ESMTP ready\]$/);
    const pong = await runTcp('127.0.0.1', { port: pingPong, send: 'PING\r\n', expect: '+PONG' });
    assert.equal(pong.state, NagiosState.OK, pong.text);
    assert.match(pong.text, /^TCP OK - .* \[\+PONG\]$/);
  });

  test('send without expect is OK once connected, like check_tcp -s', async () => {
    const r = await runTcp('127.0.0.1', { port: silent, send: 'QUIT\r\n' });
    assert.equal(r.state, NagiosState.OK, r.text);
  });

  test('a reply without the expected string is WARNING with what came back', async () => {
    const r = await runTcp('127.0.0.1', { port: banner, expect: 'SSH-2.0' });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.equal(r.text, `TCP WARNING - Unexpected response from host/socket on port ${banner}: 220 mail.example.test ESMTP ready`);
  });

  test('binary garbage is WARNING with printable text only', async () => {
    const r = await runTcp('127.0.0.1', { port: garbage, expect: 'HELLO' });
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^TCP WARNING - Unexpected response from host\/socket on port \d+: [ -~]*$/);
  });

  test('an endless stream without the string ends as WARNING well before the timeout', async () => {
    const r = await runTcp('127.0.0.1', { port: endless, expect: 'NEVER-SENT' }, 5000);
    assert.equal(r.state, NagiosState.WARNING, r.text);
    assert.match(r.text, /^TCP WARNING - Unexpected response from host\/socket on port \d+: z+\.\.\.$/);
  });

  test('a server that closes without a word is CRITICAL: No data received from host', async () => {
    const r = await runTcp('127.0.0.1', { port: closer, expect: 'anything' });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'TCP CRITICAL - No data received from host');
  });

  test('a server that accepts and never answers: Socket timeout at the check timeout', async () => {
    const r = await runTcp('127.0.0.1', { port: silent, expect: 'READY' }, 1000);
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, 'TCP CRITICAL - Socket timeout after 1 seconds');
    const half = await runTcp('127.0.0.1', { port: silent, expect: 'READY' }, 500);
    assert.equal(half.text, 'TCP CRITICAL - Socket timeout after 0.5 seconds');
  });

  test('a refused port is CRITICAL with "Connection refused"', async () => {
    const port = await freePort();
    const r = await runTcp('127.0.0.1', { port });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `TCP CRITICAL - connect to address 127.0.0.1 and port ${port}: Connection refused`);
  });

  test('a name that does not resolve is CRITICAL and says which name', async () => {
    const r = await runTcp(UNRESOLVABLE, { port: 80 });
    assert.equal(r.state, NagiosState.CRITICAL, r.text);
    assert.equal(r.text, `TCP CRITICAL - cannot resolve host "${UNRESOLVABLE}": name or service not known`);
  });

  describe('over TLS', () => {
    let dir: string | undefined;
    let tlsServer: tls.Server | undefined;
    let plain: net.Server | undefined;
    before(async () => {
      if (missing({ commands: ['openssl'] })) return;
      dir = mkdtempSync(join(tmpdir(), 'mamoru-tcp-tls-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'k.pem', '-out', 'c.pem', '-days', '30', '-subj', '/CN=tls.example.test'], { cwd: dir, stdio: 'ignore' });
      tlsServer = tls.createServer({ key: readFileSync(join(dir, 'k.pem')), cert: readFileSync(join(dir, 'c.pem')) }, (s) => {
        s.on('error', () => {});
        s.end('* OK IMAP4rev1 ready\r\n');
      });
      await listen(tlsServer);
      plain = await serve((s) => s.write('not tls at all\r\n'));
    });
    after(async () => {
      await close(tlsServer);
      await close(plain);
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test('a TLS port is OK after the handshake and expect works on the decrypted reply', async (t) => {
      if (needs(t, { commands: ['openssl'] })) return;
      const port = (tlsServer!.address() as net.AddressInfo).port;
      const r = await runTcp('127.0.0.1', { port, tls: true });
      assert.equal(r.state, NagiosState.OK, r.text);
      const e = await runTcp('localhost', { port, tls: true, expect: '* OK' });
      assert.equal(e.state, NagiosState.OK, e.text);
      assert.match(e.text, /on localhost port \d+ \[\* OK IMAP4rev1 ready\]$/);
    });

    test('TLS to a plain-text port is CRITICAL with the handshake failure', async (t) => {
      if (needs(t, { commands: ['openssl'] })) return;
      const r = await runTcp('127.0.0.1', { port: portOf(plain!), tls: true });
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.match(r.text, /^TCP CRITICAL - TLS handshake with 127\.0\.0\.1 port \d+ failed: /);
    });
  });

  describe('a host that drops every packet', () => {
    let lab: Lab | undefined;
  let host: LabHost | undefined;
    before(async () => {
      if (missing({ root: true, commands: ['ip', 'nft'] })) return;
      host = (lab = await createLab()).server;
      host.dropAll();
    });
    after(() => lab?.destroy());

    test('connect times out: CRITICAL Socket timeout, not refused', async (t) => {
      if (needs(t, { root: true, commands: ['ip', 'nft'] })) return;
      const r = await runTcp(host!.ip, { port: 80 }, 1000);
      assert.equal(r.state, NagiosState.CRITICAL, r.text);
      assert.equal(r.text, 'TCP CRITICAL - Socket timeout after 1 seconds');
    });

    test('parity: check_tcp says CRITICAL Socket timeout too', async (t) => {
      if (needs(t, { root: true, commands: ['ip', 'nft', CHECK_TCP] })) return;
      const [ours, theirs] = await Promise.all([runTcp(host!.ip, { port: 22 }, 1000), checkTcp(['-H', host!.ip, '-p', '22', '-t', '1'])]);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.match(theirs.text, /Socket timeout after 1 seconds/);
      assert.match(ours.text, /Socket timeout after 1 seconds/);
    });
  });

  describe('parity with check_tcp', () => {
    const leading = (text: string) => /^TCP (OK|WARNING|CRITICAL|UNKNOWN)/.exec(text)?.[0];

    test('open port: both OK with the same leading words', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const ours = await runTcp('127.0.0.1', { port: silent });
      const theirs = await checkTcp(['-H', '127.0.0.1', '-p', String(silent)]);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.equal(leading(ours.text), leading(theirs.text));
      assert.equal(ours.text.replace(/\d+\.\d{3}/, 'T'), theirs.text.replace(/\d+\.\d{3}/, 'T'));
    });

    test('refused: both CRITICAL and both say Connection refused', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const port = await freePort();
      const ours = await runTcp('127.0.0.1', { port });
      const theirs = await checkTcp(['-H', '127.0.0.1', '-p', String(port)]);
      assert.equal(ours.state, theirs.state);
      assert.equal(theirs.state, NagiosState.CRITICAL);
      assert.match(theirs.text, /Connection refused/);
      assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
    });

    test('expect matches a banner: both OK', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const ours = await runTcp('127.0.0.1', { port: banner, expect: 'ESMTP' });
      const theirs = await checkTcp(['-H', '127.0.0.1', '-p', String(banner), '-e', 'ESMTP']);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.equal(leading(ours.text), leading(theirs.text));
    });

    test('expect mismatch on a reply that ends: both WARNING, Unexpected response', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const ours = await runTcp('127.0.0.1', { port: garbage, expect: 'HELLO' });
      const theirs = await checkTcp(['-H', '127.0.0.1', '-p', String(garbage), '-e', 'HELLO']);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.equal(ours.state, NagiosState.WARNING);
      assert.match(theirs.text, /^TCP WARNING - Unexpected response from host\/socket/);
      assert.match(ours.text, /^TCP WARNING - Unexpected response from host\/socket/);
    });

    test('expect mismatch on a server that stays open: both WARNING', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const [ours, theirs] = await Promise.all([
        runTcp('127.0.0.1', { port: banner, expect: 'SSH-2.0' }, 5000),
        checkTcp(['-H', '127.0.0.1', '-p', String(banner), '-e', 'SSH-2.0', '-t', '5']),
      ]);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.equal(leading(ours.text), leading(theirs.text));
    });

    test('no data before the close: both CRITICAL', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const ours = await runTcp('127.0.0.1', { port: closer, expect: 'x' });
      const theirs = await checkTcp(['-H', '127.0.0.1', '-p', String(closer), '-e', 'x']);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.ok(ours.text.endsWith(theirs.text), `${ours.text} / ${theirs.text}`);
    });

    test('response time over the warning threshold: both WARNING', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const ours = await runTcp('127.0.0.1', { port: slow, expect: 'SLOW', warning: 0.1 }, 3000);
      const theirs = await checkTcp(['-H', '127.0.0.1', '-p', String(slow), '-e', 'SLOW', '-w', '0.1', '-t', '3']);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.equal(leading(ours.text), 'TCP WARNING');
      assert.equal(leading(theirs.text), 'TCP WARNING');
    });

    test('a name that does not resolve: both CRITICAL', async (t) => {
      if (needs(t, { commands: [CHECK_TCP] })) return;
      const ours = await runTcp(UNRESOLVABLE, { port: 80 });
      const theirs = await checkTcp(['-H', UNRESOLVABLE, '-p', '80']);
      assert.equal(ours.state, theirs.state, `${ours.text} / ${theirs.text}`);
      assert.equal(leading(ours.text), leading(theirs.text));
    });
  });
});
