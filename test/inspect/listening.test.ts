/**
 * Listening sockets against real listeners: servers this test opens here (read through the local
 * executor), a listener that never accepts (its accept queue fills), and the lab's Apache and
 * sshd in the server namespace (read over SSH), held against `ss` run there directly.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executors/types.ts';
import { inspectListening, inspectPort, isListening, parseSsListening } from '../../src/inspect/listening.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startApache, type LabApache } from '../lab/daemons/apache.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { localExecutor, serverExecutor } from './helpers.ts';

const listen = (host: string) =>
  new Promise<net.Server>((resolve, reject) => {
    const s = net.createServer((c) => c.destroy());
    s.once('error', reject);
    s.listen({ host, port: 0 }, () => resolve(s));
  });
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

describe('listening sockets on this machine (local executor)', () => {
  const exec = localExecutor();
  after(() => exec.close());

  test('a port opened here is listening, from /proc and from ss alike; once closed it is not', async (t) => {
    if (needs(t, { commands: ['ss'] })) return;
    const v4 = await listen('127.0.0.1');
    const v6 = await listen('::1');
    const port4 = portOf(v4);
    try {
      for (const source of ['proc', 'ss'] as const) {
        const ev = await inspectListening(exec, { source });
        assert.equal(ev.source, source);
        assert.ok(ev.sockets.some((s) => s.family === 4 && s.address === '127.0.0.1' && s.port === portOf(v4)), `${source}: 127.0.0.1:${portOf(v4)}`);
        assert.ok(ev.sockets.some((s) => s.family === 6 && s.address === '::1' && s.port === portOf(v6)), `${source}: [::1]:${portOf(v6)}`);
        assert.ok(isListening(ev, portOf(v4)));
        assert.ok(isListening(ev, portOf(v4), '127.0.0.1'));
        assert.ok(!isListening(ev, portOf(v4), '127.0.0.2'));
      }
      const p = await inspectPort(exec, portOf(v4));
      assert.equal(p.listening, true);
      assert.equal(p.summary, `port ${portOf(v4)} is listening on 127.0.0.1`);
    } finally {
      await close(v4);
      await close(v6);
    }
    const gone = await inspectPort(exec, port4);
    assert.equal(gone.listening, false);
    assert.equal(gone.summary, `nothing listens on TCP port ${port4}`);
  });

  test('a listener that never accepts: its full accept queue is reported', async (t) => {
    if (needs(t, { commands: ['perl', 'ss'] })) return;
    // backlog 1, never accept(): the kernel queues two connections, then drops SYNs.
    const script = '$s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0, Listen => 1, Proto => "tcp") or die $!; $| = 1; print $s->sockport, "\\n"; sleep 600';
    const listener = spawn('perl', ['-MIO::Socket::INET', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const clients: net.Socket[] = [];
    try {
      const port = await new Promise<number>((resolve) => listener.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      for (let i = 0; i < 4; i++) clients.push(net.connect(port, '127.0.0.1').on('error', () => {}));
      const p = await waitFor('the accept queue to fill', async () => {
        const ev = await inspectPort(exec, port);
        return ev.queueFull ? ev : undefined;
      });
      assert.equal(p.listening, true);
      assert.equal(p.sockets[0]!.backlog, 1);
      assert.ok(p.sockets[0]!.queued > 1);
      assert.match(p.summary, /accept queue is full \(2\/1\)/);
    } finally {
      for (const c of clients) c.destroy();
      listener.kill('SIGKILL');
    }
  });

  test('ss output of old and new iproute2 parses the same', () => {
    const rows = parseSsListening(
      [
        'State      Recv-Q Send-Q Local Address:Port   Peer Address:Port',
        'LISTEN     0      511    10.0.0.10:80         *:*',
        'LISTEN     0      128    :::22                :::*',
        'LISTEN     0      4096   127.0.0.53%lo:53     0.0.0.0:*',
        'LISTEN     3      5      [::ffff:10.0.0.1]:25 [::]:*',
        'LISTEN     0      511    *:443                *:*',
        'LISTEN     0      128    [fe80::1%eth0]:8080  [::]:*',
      ].join('\n'),
    );
    assert.deepEqual(
      rows.map((r) => [r.family, r.address, r.port, r.queued, r.backlog]),
      [
        [4, '10.0.0.10', 80, 0, 511],
        [6, '::', 22, 0, 128],
        [4, '127.0.0.53', 53, 0, 4096],
        [6, '10.0.0.1', 25, 3, 5],
        [6, '::', 443, 0, 511],
        [6, 'fe80::1', 8080, 0, 128],
      ],
    );
  });
});

describe('listening sockets in the lab server namespace (ssh executor)', () => {
  const prereq = { root: true, commands: ['ip', 'ss', '/usr/sbin/sshd', 'apache2'] };
  let lab: Lab;
  let exec: Executor;
  let apache: LabApache;
  const extra: ChildProcess[] = [];

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    [apache, { exec }] = await Promise.all([startApache(lab), serverExecutor(lab)]);
  });
  after(async () => {
    for (const c of extra) c.kill('SIGKILL');
    await lab?.destroy();
  });

  test("the server's listeners are Apache on 80 and sshd on 22, exactly as ss run there lists them", async (t) => {
    if (needs(t, prereq)) return;
    const truth = parseSsListening(lab.server.exec(['ss', '-ltnH']))
      .map((s) => `${s.address}:${s.port}`)
      .sort();
    for (const source of ['proc', 'ss'] as const) {
      const ev = await inspectListening(exec, { source });
      assert.deepEqual(
        ev.sockets.map((s) => `${s.address}:${s.port}`).sort(),
        truth,
        source,
      );
      assert.deepEqual(ev.ports, [22, 80]);
      assert.equal(ev.summary, 'listening on TCP ports 22, 80 (2 sockets)');
    }
    const web = await inspectPort(exec, 80);
    assert.equal(web.listening, true);
    assert.equal(web.summary, `port 80 is listening on ${lab.server.ip}`);
    assert.equal((await inspectPort(exec, 80, { address: lab.server.ip })).listening, true);
    assert.equal((await inspectPort(exec, 8080)).listening, false);
  });

  test('Apache stopped: port 80 no longer listens, seen over SSH', async (t) => {
    if (needs(t, prereq)) return;
    await apache.kill();
    const ev = await inspectPort(exec, 80);
    assert.equal(ev.listening, false);
    assert.equal(ev.summary, 'nothing listens on TCP port 80');
    await apache.start();
    assert.equal((await inspectPort(exec, 80)).listening, true);
  });
});
