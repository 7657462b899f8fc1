/**
 * The connection table against real connections: clients of a server this test opens here
 * (local executor), and in the lab (over SSH into the server namespace) a listener with real
 * ESTABLISHED clients from the client namespace and real half-open SYN_RECV from the attacker,
 * whose outgoing ACKs nftables drops in the attacker's own namespace.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executors/types.ts';
import { inspectConnections } from '../../src/inspect/connections.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';
import { holdingClients, holdingServer, localExecutor, printed, serverExecutor } from './helpers.ts';

describe('connection table on this machine (local executor)', () => {
  const exec = localExecutor();
  after(() => exec.close());

  test('clients of a local server are counted by state, source and port; their own side is outbound', async () => {
    const held: net.Socket[] = [];
    const server = net.createServer((s) => held.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const clients = await Promise.all(
      Array.from({ length: 5 }, () => new Promise<net.Socket>((resolve) => {
        const c = net.connect(port, '127.0.0.1', () => resolve(c));
      })),
    );
    try {
      await waitFor('the server to accept all five', () => held.length === 5);
      const ev = await inspectConnections(exec, { localPort: port });
      assert.equal(ev.total, 5);
      assert.deepEqual(ev.byState, { ESTABLISHED: 5 });
      assert.deepEqual(ev.topSources.map((s) => [s.address, s.total, s.localPorts[port]]), [['127.0.0.1', 5, 5]]);
      assert.equal(ev.summary, `5 inbound :${port} connections (5 ESTABLISHED) from 1 address; most from 127.0.0.1: 5 (5 ESTABLISHED) on :${port}`);
      // The clients' ends have ephemeral local ports: outbound, so only counted when asked for all.
      const clientPorts = clients.map((c) => c.localPort!);
      const inbound = await inspectConnections(exec);
      assert.ok(!inbound.byLocalPort.some((p) => clientPorts.includes(p.port)));
      const all = await inspectConnections(exec, { direction: 'all' });
      // At least once each: the table is the whole machine's, and another program's socket may
      // have the same port number on another address at the same moment (npm test runs files
      // side by side), so "exactly one" would measure the machine, not the inspection.
      const counted = new Map(all.byLocalPort.map((p) => [p.port, p.total]));
      for (const cp of clientPorts) assert.ok((counted.get(cp) ?? 0) >= 1, `client end :${cp} counted with direction all`);
    } finally {
      for (const c of [...clients, ...held]) c.destroy();
      server.close();
    }
  });
});

describe('connection table in the lab server namespace (ssh executor)', () => {
  const prereq = { root: true, commands: ['ip', 'nft', '/usr/sbin/sshd'] };
  const PORT = 8110;
  let lab: Lab;
  let exec: Executor;

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    ({ exec } = await serverExecutor(lab));
    const server = lab.server.spawn([process.execPath, '-e', holdingServer(lab.server.ip, PORT)]);
    await printed(server, 'listening');
  });
  after(async () => {
    await lab?.destroy();
  });

  test('half-open SYN_RECV from the attacker and ESTABLISHED from the client, per source and port', async (t) => {
    if (needs(t, prereq)) return;
    // The attacker's kernel answers the SYN-ACK, but the ACK never leaves its namespace.
    lab.attacker.exec(['nft', '-f', '-'], {
      input: `table inet mamoru_halfopen {\n chain output {\n  type filter hook output priority 0; policy accept;\n  ip daddr ${lab.server.ip} tcp dport ${PORT} tcp flags & (syn | ack) == ack drop\n }\n}\n`,
    });
    lab.attacker.spawn([process.execPath, '-e', holdingClients(lab.server.ip, PORT, 12)]);
    lab.client.spawn([process.execPath, '-e', holdingClients(lab.server.ip, PORT, 3)]);
    const ev = await waitFor('12 SYN_RECV and 3 ESTABLISHED on the server', async () => {
      const e = await inspectConnections(exec, { localPort: PORT });
      return e.byState.SYN_RECV === 12 && e.byState.ESTABLISHED === 3 ? e : undefined;
    });
    assert.equal(ev.total, 15);
    assert.equal(ev.distinctSources, 2);
    assert.deepEqual(
      ev.topSources.map((s) => [s.address, s.total, s.states, s.localPorts]),
      [
        [lab.attacker.ip, 12, { SYN_RECV: 12 }, { [PORT]: 12 }],
        [lab.client.ip, 3, { ESTABLISHED: 3 }, { [PORT]: 3 }],
      ],
    );
    assert.equal(ev.summary, `15 inbound :${PORT} connections (12 SYN_RECV, 3 ESTABLISHED) from 2 addresses; most from ${lab.attacker.ip}: 12 (12 SYN_RECV) on :${PORT}`);
    // Only SYN_RECV, any port: the attacker alone (the executor's own SSH session is ESTABLISHED).
    const syn = await inspectConnections(exec, { states: ['SYN_RECV'] });
    assert.deepEqual(syn.topSources.map((s) => [s.address, s.total]), [[lab.attacker.ip, 12]]);
    // Every inbound connection: the monitor's SSH session to :22 is there too.
    const all = await inspectConnections(exec);
    assert.ok(all.topSources.some((s) => s.address === lab.monitorIp && (s.localPorts[22] ?? 0) >= 1));
  });
});
