/**
 * The nagios-plugin probe with real plugins (check_dummy, check_tcp) and small fixture scripts
 * that misbehave the ways plugins do: hang, print garbage, die by a signal, never stop talking.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPerfdata } from '../../src/core/perfdata.ts';
import { formatPluginOutput } from '../../src/core/result.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import plugin from '../../src/probes/nagios-plugin.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { needs, PLUGINS } from '../helpers/prereq.ts';

const FIX = join(import.meta.dirname, '../fixtures/plugins');
const DUMMY = `${PLUGINS}/check_dummy`;
const TCP = `${PLUGINS}/check_tcp`;

function run(command: string[], extra: Record<string, unknown> = {}, timeoutMs = 5000, target = targetFromAddress('127.0.0.1')) {
  return runCheck(plugin, target, plugin.schema.parse({ command, ...extra }), { timeoutMs });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('nagios-plugin probe with real plugins', () => {
  test('check_dummy: each exit code gives its state and the text it printed', async (t) => {
    if (needs(t, { commands: [DUMMY] })) return;
    const cases = [
      ['0', NagiosState.OK, 'OK: all good'],
      ['1', NagiosState.WARNING, 'WARNING: all good'],
      ['2', NagiosState.CRITICAL, 'CRITICAL: all good'],
      ['3', NagiosState.UNKNOWN, 'UNKNOWN: all good'],
    ] as const;
    for (const [code, state, text] of cases) {
      const r = await run([DUMMY, code, 'all good']);
      assert.equal(r.state, state, r.text);
      assert.equal(r.text, text);
    }
  });

  test('check_tcp against a listening port: OK with its perfdata; against a closed one: CRITICAL', async (t) => {
    if (needs(t, { commands: [TCP] })) return;
    const server = net.createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = await run([TCP, '-H', '$ADDRESS', '-p', String(port)]);
      assert.equal(r.state, NagiosState.OK, r.text);
      assert.match(r.text, new RegExp(`^TCP OK - [\\d.]+ second response time on 127\\.0\\.0\\.1 port ${port}$`));
      assert.equal(r.perfdata[0]?.label, 'time');
      assert.equal(r.perfdata[0]?.unit, 's');
    } finally {
      await new Promise((r) => server.close(r));
    }
    const closed = await run([TCP, '-H', '$ADDRESS', '-p', String(port)]);
    assert.equal(closed.state, NagiosState.CRITICAL, closed.text);
    assert.match(closed.text, /Connection refused/);
  });
});

describe('nagios-plugin probe with misbehaving plugins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-plugin-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('$ADDRESS and $NAME are replaced inside arguments, env is passed, no shell is involved', async () => {
    const target = { name: 'web-1', address: '127.0.0.1', parents: [], tags: [] };
    const r = await run([`${FIX}/env-args.sh`, 'addr=$ADDRESS', 'name=$NAME', '$(id)', ';echo'], { env: { GREETING: 'hello' } }, 5000, target);
    assert.equal(r.state, NagiosState.OK);
    assert.equal(r.text, 'ARGS OK - addr=127.0.0.1 name=web-1 $(id) ;echo greeting=hello');
  });

  test('a hanging plugin is killed at the timeout, CRITICAL in Nagios words, and the slot is free at once', async () => {
    const pidFile = join(dir, 'hang.pid');
    const r = await run([`${FIX}/hang.sh`], { env: { PIDFILE: pidFile } }, 1000);
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, 'CRITICAL - Plugin timed out after 1 seconds');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    // The whole group (the shell and its sleep) goes; SIGKILL follows a short grace if needed.
    for (let i = 0; i < 40 && alive(pid); i++) await sleep(50);
    assert.equal(alive(pid), false, 'the plugin is still running');
  });

  test('binary garbage: escape sequences removed, control characters "?", bad bytes replaced, state by exit code', async () => {
    const r = await run([`${FIX}/garbage.sh`]);
    assert.equal(r.state, NagiosState.WARNING);
    assert.equal(r.text, 'GARBAGE red ??? \uFFFD\uFFFD bytes');
    assert.equal(r.longOutput, '\uFFFD\uFFFD more');
  });

  test('multi-line output: first line is the text, later lines long output, perfdata gathered from all', async () => {
    const r = await run([`${FIX}/long-output.sh`]);
    assert.equal(r.state, NagiosState.WARNING);
    assert.equal(r.text, 'DISK WARNING - free space: / 3326 MB (56%);');
    assert.deepEqual(
      r.perfdata.map((p) => p.label),
      ['/', '/boot', '/home', '/var/log'],
    );
    assert.equal(formatPerfdata(r.perfdata.slice(1, 2)), '/boot=68MB;88;93;0;98');
    const lines = r.longOutput!.split('\n');
    assert.deepEqual(lines.slice(0, 4), ['/ 15272 MB (77%);', '/boot 68 MB (69%);', '/home 69357 MB (27%);', '/var/log 819 MB (84%);']);
    assert.match(lines[4]!, /bad perfdata dropped: invalid perfdata "bad=;;x"/);
  });

  test('killed by SIGKILL (137): UNKNOWN with the reason, keeping what it printed', async () => {
    const r = await run([`${FIX}/killed.sh`]);
    assert.equal(r.state, NagiosState.UNKNOWN);
    assert.equal(r.text, 'UNKNOWN - plugin killed by SIGKILL: KILLED OK - said something first');
  });

  test('an exit code outside 0..3 is UNKNOWN with the code', async () => {
    const r = await run(['/bin/sh', '-c', 'echo "FINE OK"; exit 137']);
    assert.equal(r.state, NagiosState.UNKNOWN);
    assert.equal(r.text, 'UNKNOWN - plugin exited with code 137: FINE OK');
  });

  test('10 MB of output: kept to max_output, the rest noted, state from the exit code', async () => {
    const r = await run([`${FIX}/huge.sh`], { max_output: 4096 }, 20_000);
    assert.equal(r.state, NagiosState.OK, r.text);
    assert.equal(r.text, 'HUGE OK - lots to say');
    assert.match(r.longOutput!, /\(output cut to max_output, 4096 bytes, of 10000022 printed\)$/);
    assert.ok(Buffer.byteLength(formatPluginOutput(r)) <= 4096, `${Buffer.byteLength(formatPluginOutput(r))} bytes printed`);
  });

  test('a plugin that never stops printing is killed once it has said far too much', async () => {
    const r = await run([`${FIX}/endless.sh`], { max_output: 1024 }, 20_000);
    assert.equal(r.state, NagiosState.UNKNOWN);
    assert.match(r.text, /^UNKNOWN - plugin printed more than \d+ bytes and was killed: ENDLESS OK - and on and on$/);
  });

  test('no output on stdout: a clean text, stderr when it says why, state from the exit code', async () => {
    const r = await run([`${FIX}/silent.sh`]);
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, 'CRITICAL - (No output on stdout) stderr: config file missing');
    const quiet = await run(['/bin/true']);
    assert.equal(quiet.state, NagiosState.OK);
    assert.equal(quiet.text, 'OK - (No output returned from plugin)');
  });

  test('a command that does not exist, or is not executable: UNKNOWN with the reason', async () => {
    const missing = await run(['/nonexistent/check_x']);
    assert.equal(missing.state, NagiosState.UNKNOWN);
    assert.equal(missing.text, 'UNKNOWN - cannot run "/nonexistent/check_x": ENOENT');
    assert.ok(existsSync(`${FIX}/not-executable.sh`));
    const noexec = await run([`${FIX}/not-executable.sh`]);
    assert.equal(noexec.state, NagiosState.UNKNOWN);
    assert.equal(noexec.text, `UNKNOWN - cannot run "${FIX}/not-executable.sh": EACCES`);
  });
});
