/**
 * The ping probe as the service runs it: not root, but with CAP_NET_RAW as an ambient capability
 * (mamoru.service's AmbientCapabilities). `auto` opens the raw socket then, which the result's long
 * output says; the same user without the capability falls back to the ping program and says why.
 * Run as user nobody through `mamoru check ping --json`, as an operator would try it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { BIN } from '../helpers/cli.ts';
import { needs } from '../helpers/prereq.ts';

interface Checked {
  state_name: string;
  text: string;
  long_output?: string;
}

/** `mamoru check ping -H 127.0.0.1 --json` as nobody, with the setpriv options given. */
function pingAsNobody(privs: string[]): Promise<{ code: number | null; out: Checked | undefined; stderr: string }> {
  return new Promise((resolve) => {
    const argv = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...privs, process.execPath, BIN, 'check', 'ping', '-H', '127.0.0.1', '-P', '2', '--packet-interval', '50ms', '--json'];
    const child = spawn('setpriv', argv, { cwd: '/tmp', env: { PATH: process.env.PATH, HOME: '/tmp' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      let out: Checked | undefined;
      try {
        out = JSON.parse(stdout) as Checked;
      } catch {
        stderr += `\nnot JSON: ${stdout}`;
      }
      resolve({ code, out, stderr });
    });
  });
}

test('not root but CAP_NET_RAW: auto pings over the raw socket', async (t) => {
  if (needs(t, { root: true, commands: ['setpriv'] })) return;
  const r = await pingAsNobody(['--inh-caps=+net_raw', '--ambient-caps=+net_raw']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.out?.state_name, 'OK', JSON.stringify(r.out));
  assert.match(r.out!.text, /^PING OK - Packet loss = 0%, RTA = \d+\.\d\d ms$/);
  assert.equal(r.out!.long_output, 'ICMP echo over a raw socket');
});

test('not root and no capability: auto falls back to the ping program and says why', async (t) => {
  if (needs(t, { root: true, commands: ['setpriv', 'ping'] })) return;
  const r = await pingAsNobody([]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.out?.state_name, 'OK', JSON.stringify(r.out));
  assert.equal(r.out!.long_output, 'ICMP echo by the ping program: no raw socket (Operation not permitted: neither root nor CAP_NET_RAW)');
});

test('method raw without the capability is UNKNOWN with the fix, not a silent fallback', async (t) => {
  if (needs(t, { root: true, commands: ['setpriv'] })) return;
  const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, BIN, 'check', 'ping', '-H', '127.0.0.1', '-P', '1', '--method', 'raw'], { cwd: '/tmp', env: { PATH: process.env.PATH, HOME: '/tmp' }, timeout: 60_000 });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.on('close', (code) => resolve({ code, stdout }));
  });
  assert.equal(r.code, 3);
  assert.equal(r.stdout, 'PING UNKNOWN - cannot open a raw ICMP socket: Operation not permitted (run as root or with CAP_NET_RAW, or use method "binary")\n');
});
