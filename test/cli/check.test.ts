/**
 * `mamoru check` as a Nagios plugin: the line on stdout, the state as exit code, flags named
 * like the config keys with the plugins' short forms, and UNKNOWN (3) for bad usage.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { mamoru } from '../helpers/cli.ts';

let server: net.Server;
let port: number;
let closedPort: number;

before(async () => {
  server = net.createServer((s) => {
    s.on('error', () => {}); // the probe may reset the connection once it has what it needs
    s.end('SSH-2.0-test\r\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', r));
  closedPort = (tmp.address() as AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
});
after(() => server.close());

test('an open port: the check_tcp line on stdout and exit 0', async () => {
  const r = await mamoru(['check', 'tcp', '-H', '127.0.0.1', '-p', String(port)]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^TCP OK - \\d+\\.\\d{3} second response time on 127\\.0\\.0\\.1 port ${port} \\| time=[\\d.]+s;;;0;10\\n$`));
});

test('long option names work like the short ones, and expect is checked', async () => {
  const r = await mamoru(['check', 'tcp', '--host', '127.0.0.1', '--port', String(port), '--expect', 'SSH-2.0', '--timeout', '5s']);
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /^TCP OK/);
});

test('a closed port: CRITICAL with "Connection refused", exit 2', async () => {
  const r = await mamoru(['check', 'tcp', '-H', '127.0.0.1', '-p', String(closedPort)]);
  assert.equal(r.code, 2);
  assert.match(r.stdout, /^TCP CRITICAL - .*Connection refused/);
});

test('--json prints the CheckResult', async () => {
  const r = await mamoru(['check', 'tcp', '-H', '127.0.0.1', '-p', String(port), '--json']);
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.state, 0);
  assert.equal(j.state_name, 'OK');
  assert.match(j.text, /^TCP OK/);
  assert.equal(j.perfdata[0].label, 'time');
  assert.equal(j.perfdata[0].unit, 's');
  assert.equal(typeof j.duration_ms, 'number');
  assert.ok(!Number.isNaN(Date.parse(j.started_at)));
});

test('bad usage is the plugin UNKNOWN (exit 3) with the reason', async () => {
  const bad = await mamoru(['check', 'tcp', '-H', '127.0.0.1', '-p', 'eighty']);
  assert.equal(bad.code, 3);
  assert.equal(bad.stdout, 'TCP UNKNOWN - --port: expected a number, got "eighty"\n');
  const missing = await mamoru(['check', 'tcp', '-H', '127.0.0.1']);
  assert.equal(missing.code, 3);
  assert.equal(missing.stdout, 'TCP UNKNOWN - --port: missing; expected a number\n');
  const unknownFlag = await mamoru(['check', 'tcp', '-p', '22', '--prot', '80']);
  assert.equal(unknownFlag.code, 3);
  assert.match(unknownFlag.stdout, /^TCP UNKNOWN - unknown option '--prot'/);
  const timeout = await mamoru(['check', 'tcp', '-p', '22', '-t', 'soon']);
  assert.equal(timeout.code, 3);
  assert.match(timeout.stdout, /^TCP UNKNOWN - --timeout: expected a duration/);
});

test('a plugin runs through nagios-plugin with its argv after --', async () => {
  const r = await mamoru(['check', 'nagios-plugin', '--', '/usr/lib/nagios/plugins/check_tcp', '-H', '127.0.0.1', '-p', String(closedPort)]);
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stdout, /Connection refused/);
});

test('help: every probe is listed, and each lists its options with the Nagios short forms', async () => {
  const top = await mamoru(['--help']);
  assert.equal(top.code, 0);
  for (const cmd of ['start', 'check', 'config']) assert.match(top.stdout, new RegExp(`\\n  ${cmd}\\b`));
  const check = await mamoru(['check', '--help']);
  for (const type of ['ping', 'tcp', 'http', 'disk', 'nagios-plugin']) assert.match(check.stdout, new RegExp(`\\n  ${type}\\b`));
  const tcp = await mamoru(['check', 'tcp', '--help']);
  assert.equal(tcp.code, 0);
  for (const flag of ['-H, --host', '-p, --port', '-t, --timeout', '-w, --warning', '-c, --critical', '--json']) assert.ok(tcp.stdout.includes(flag), `tcp --help lacks ${flag}:\n${tcp.stdout}`);
  const http = await mamoru(['check', 'http', '--help']);
  assert.ok(http.stdout.includes('--host-header'), http.stdout);
  const version = await mamoru(['--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
});
