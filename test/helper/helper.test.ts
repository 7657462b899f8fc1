/**
 * `mamoru helper` for real: the CLI started as root on a socket in a temporary directory, with a
 * config whose local target has a toy service (a node one-liner on a free loopback port, started
 * detached by its own command). As user nobody (group nogroup, the socket's group, no other
 * groups): the real start-service action, through a local executor whose `helper` names the
 * socket, starts the toy and verifies it answers; raw requests for a service not in the config,
 * an unknown verb, an over-long line and a request carrying argv are refused with the reason and
 * run nothing; stop stops the toy. A user outside the socket's group cannot even connect. Every
 * request is in the helper's audit log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { mamoru, mamoruProcess } from '../helpers/cli.ts';
import { needs } from '../helpers/prereq.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Whether the toy answers on its port, saying it runs as root (uid 0): the helper started it, not nobody. */
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.on('data', (d) => (s.destroy(), resolve(String(d) === 'hello from uid 0\n')));
    s.on('error', () => resolve(false));
  });
}

/** Runs node as another user (setpriv), with no groups but the one given; stdout, stderr and exit code. */
function runAs(user: string, group: string, args: string[], cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('setpriv', [`--reuid=${user}`, `--regid=${group}`, '--clear-groups', process.execPath, ...args], { cwd, env: { PATH: process.env.PATH, HOME: '/tmp' }, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A raw client: sends the line given (or N bytes of "x" for `--long N`) and prints the first answer line. */
const CLIENT = `
const net = require('node:net');
const [sock, mode, arg] = process.argv.slice(2);
const line = mode === '--long' ? 'x'.repeat(Number(arg)) + '\\n' : arg + '\\n';
const s = net.connect(sock);
let buf = '';
s.on('connect', () => s.write(line));
s.on('data', (d) => { buf += d; const nl = buf.indexOf('\\n'); if (nl >= 0) { process.stdout.write(buf.slice(0, nl)); s.destroy(); } });
s.on('error', (e) => { process.stdout.write(JSON.stringify({ connect_error: e.code })); });
`;

describe('mamoru helper', () => {
  let dir: string;
  let sock: string;
  let port: number;
  let helper: ReturnType<typeof mamoruProcess> | undefined;
  let pwned: string;
  let listening = false;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mamoru-helper-'));
    chmodSync(dir, 0o755); // nobody must reach the socket and the scripts
    mkdirSync(join(dir, 'run'), { mode: 0o755 });
    sock = join(dir, 'run', 'helper.sock');
    pwned = join(dir, 'pwned');
    port = await freePort();
    const mark = `toy-${process.pid}-${port}`;
    const pidFile = join(dir, 'toy.pid');
    // The toy ends by itself: nothing is left behind whatever the test does.
    const toy = `require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello from uid ' + process.getuid() + '\\n'); }).listen(${port}, '127.0.0.1'); setTimeout(() => process.exit(0), 30000);`;
    const stop = `process.kill(Number(require('node:fs').readFileSync(${JSON.stringify(pidFile)}, 'utf8')))`;
    const service = { name: 'toy', manager: 'command', processes: ['node'], process_match: mark, ports: [port], start: [process.execPath, '-e', toy, mark], stop: [process.execPath, '-e', stop], start_detached: true, page_timeout: '2s', start_timeout: '10s', command_timeout: '10s' };
    writeFileSync(
      join(dir, 'mamoru.yaml'),
      ['targets:', '  - name: local', '    address: 127.0.0.1', `    executor: { type: local, helper: ${sock} }`, `    services: [${JSON.stringify(service)}]`, '  - name: far', '    address: 192.0.2.1', '    executor: { type: ssh, host: 192.0.2.1, agent: true }', '    services: [{ name: remote-only }]', ''].join('\n'),
    );
    writeFileSync(join(dir, 'client.cjs'), CLIENT);
    // The action run as nobody: the real start-service through a local executor that has the helper.
    writeFileSync(
      join(dir, 'start.mts'),
      [
        `import { actions } from ${JSON.stringify(join(ROOT, 'src/actions/index.ts'))};`,
        `import { createLocalExecutor } from ${JSON.stringify(join(ROOT, 'src/executors/local.ts'))};`,
        `import { serviceSchema } from ${JSON.stringify(join(ROOT, 'src/actions/service-config.ts'))};`,
        `import { systemClock } from ${JSON.stringify(join(ROOT, 'src/core/clock.ts'))};`,
        `const executor = createLocalExecutor({ helper: ${JSON.stringify(sock)} });`,
        `const service = serviceSchema.parse(${JSON.stringify(service)});`,
        `const out = await actions['start-service'].run({ executor, address: '127.0.0.1', target: 'local', service, clock: systemClock }, {});`,
        `console.log(JSON.stringify({ uid: process.getuid(), status: out.status, text: out.text, steps: out.records.map((s) => s.text) }));`,
        `await executor.close();`,
      ].join('\n'),
    );
  });

  after(async () => {
    helper?.child.kill('SIGTERM');
    if (helper) await helper.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  test('as nobody: start toy through the helper answers; what the config does not give is refused and nothing runs', async (t) => {
    if (needs(t, { root: true, commands: ['setpriv', 'getent'] })) return;
    helper = mamoruProcess(['helper', '-c', join(dir, 'mamoru.yaml'), '--socket', sock, '--group', 'nogroup'], { env: { MAMORU_LOG_FORMAT: 'json' } });
    await helper.waitFor(/mamoru helper listening on/);
    listening = true;
    const st = statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660, 'the socket is root and its group only');
    assert.equal(st.uid, 0);

    const ask = async (mode: string, arg: string) => {
      const r = await runAs('nobody', 'nogroup', [join(dir, 'client.cjs'), sock, mode, arg]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as { ok: boolean; error?: string; code?: number; argv?: string[] };
    };
    // Refused, with the reason, before anything runs.
    const notConfigured = await ask('--line', JSON.stringify({ verb: 'start', service: 'sshd' }));
    assert.deepEqual(notConfigured, { ok: false, error: `service "sshd" is not a service of a local target in ${join(dir, 'mamoru.yaml')}: refused, nothing run` });
    const remote = await ask('--line', JSON.stringify({ verb: 'start', service: 'remote-only' }));
    assert.match(remote.error ?? '', /^service "remote-only" is not a service of a local target/, 'a service of an SSH target is not the helper\'s');
    const badVerb = await ask('--line', JSON.stringify({ verb: 'exec', service: 'toy' }));
    assert.deepEqual(badVerb, { ok: false, error: 'unknown verb "exec": expected one of start, stop, restart, reload, status, config-test' });
    const withArgv = await ask('--line', JSON.stringify({ verb: 'start', service: 'toy', argv: ['touch', pwned] }));
    assert.deepEqual(withArgv, { ok: false, error: 'unknown field "argv": a request names only a verb and a service; the helper runs the command the config gives for them, never one sent to it' });
    const long = await ask('--long', '5000');
    assert.deepEqual(long, { ok: false, error: 'request line longer than 1024 bytes: refused, nothing run' });
    const noTest = await ask('--line', JSON.stringify({ verb: 'config-test', service: 'toy' }));
    assert.deepEqual(noTest, { ok: false, error: 'the config gives no config-test command for toy; nothing run' });
    assert.equal(existsSync(pwned), false, 'the argv sent was not run');
    assert.equal(await answers(port), false, 'no refused request started the toy');

    // The real action, as nobody, through the local executor's helper.
    const started = await runAs('nobody', 'nogroup', ['--import', 'tsx', join(dir, 'start.mts')]);
    assert.equal(started.code, 0, started.stderr);
    const out = JSON.parse(started.stdout.trim().split('\n').pop()!) as { uid: number; status: string; text: string; steps: string[] };
    assert.equal(out.uid, 65534);
    assert.equal(out.status, 'done', JSON.stringify(out));
    assert.ok(out.steps.some((s) => /^ran mamoru-helper start toy: exit 0/.test(s)), out.steps.join('\n'));
    assert.equal(await answers(port), true, 'the toy answers on its port');

    const stopped = await ask('--line', JSON.stringify({ verb: 'stop', service: 'toy' }));
    assert.equal(stopped.ok, true, JSON.stringify(stopped));
    assert.equal(stopped.code, 0);
    assert.equal(stopped.argv?.[0], process.execPath, 'the stop command is the config\'s');
    for (let i = 0; i < 50 && (await answers(port)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await answers(port), false, 'stop toy stopped it');

    // The audit log: every request with its verb, service and result.
    const audit = helper
      .output()
      .split('\n')
      .filter((l) => l.includes('"audit":"helper"'))
      .map((l) => JSON.parse(l) as { verb?: string; service?: string; result: string; reason?: string });
    assert.ok(audit.some((a) => a.verb === 'start' && a.service === 'sshd' && a.result === 'refused'), helper.output());
    assert.ok(audit.some((a) => a.result === 'refused' && /unknown field "argv"/.test(a.reason ?? '')));
    assert.ok(audit.some((a) => a.result === 'refused' && /unknown verb "exec"/.test(a.reason ?? '')));
    assert.ok(audit.some((a) => a.verb === 'start' && a.service === 'toy' && a.result === 'ok'));
    assert.ok(audit.some((a) => a.verb === 'stop' && a.service === 'toy' && a.result === 'ok'));
  });

  test('a user outside the socket\'s group cannot connect', async (t) => {
    if (needs(t, { root: true, commands: ['setpriv'] })) return;
    if (!listening) return t.skip('the helper did not start in the test before');
    const r = await runAs('daemon', 'daemon', [join(dir, 'client.cjs'), sock, '--line', JSON.stringify({ verb: 'status', service: 'toy' })]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { connect_error: 'EACCES' });
    assert.doesNotMatch(helper!.output(), /"verb":"status"/, 'the helper never heard the request');
  });

  test('mamoru doctor: the helper answers for a user of its group; another user is told to join the group', async (t) => {
    if (needs(t, { root: true, commands: ['setpriv', 'getent'] })) return;
    if (!listening) return t.skip('the helper did not start in the test before');
    const helperLines = (out: string) => out.split('\n').filter((l) => /helper/.test(l) && /^ {2}[✓✗!]|^ {6}fix:/.test(l));
    const good = await mamoru(['doctor', '-c', join(dir, 'mamoru.yaml'), '--user', 'nobody']);
    assert.ok(helperLines(good.stdout).some((l) => l.startsWith(`  ✓ the root helper at ${sock} answers (the config gives no status command for toy`)), good.stdout);
    const bad = await mamoru(['doctor', '-c', join(dir, 'mamoru.yaml'), '--user', 'daemon']);
    assert.equal(bad.code, 1);
    const lines = helperLines(bad.stdout);
    assert.ok(lines.includes(`  ✗ user daemon may not open ${sock}`), bad.stdout);
    assert.ok(lines.some((l) => /^ {6}fix: usermod -aG nogroup daemon/.test(l)), bad.stdout);
  });
});
