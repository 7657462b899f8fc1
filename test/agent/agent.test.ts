/**
 * The server agent against a real nats-server this test starts (its own port, users with
 * per-agent permissions): the brain's client asks, the agent answers with this machine's real
 * data, runs only what its own config allows, and refuses the rest in words; NATS keeps one
 * agent off another's subjects; a readable credentials file stops the agent; a killed agent
 * leaves `agents()` after its TTL.
 */
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { Agent } from '../../src/agent/agent.ts';
import { AgentClient, AgentRequestError } from '../../src/agent/client.ts';
import { agentConfigSchema, type AgentConfigInput } from '../../src/agent/config.ts';
import type { AgentReply } from '../../src/agent/protocol.ts';
import { silentLogger } from '../../src/core/log.ts';
import { mamoru, mamoruProcess } from '../helpers/cli.ts';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';
import { startNats, type TestNats } from './nats-server.ts';

const PREFIX = `ag${process.pid}`;
const python = realpathSync(execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim());

let nats: TestNats;
let agent: Agent | undefined;
let brain: AgentClient;
let httpPort: number;
let site: string;
let marker: string;
const children: ChildProcess[] = [];
const pids: number[] = [];

function agentConfig(name: string, extra: Partial<AgentConfigInput> = {}): AgentConfigInput {
  return {
    nats: { url: nats.url, prefix: PREFIX, user: name, password_file: nats.agents[name]!.passwordFile },
    name,
    heartbeat: '200ms',
    ...extra,
  };
}

function ok<R extends AgentReply>(reply: R): asserts reply is Exclude<R, { ok: false }> {
  assert.equal(reply.ok, true, JSON.stringify(reply));
}

before(async () => {
  nats = await startNats(PREFIX, ['web1', 'web2']);
  site = join(nats.dir, 'site');
  mkdirSync(site);
  writeFileSync(join(site, 'agent-was-here.txt'), 'hello from the agent test\n');
  marker = join(nats.dir, 'reloaded');
  httpPort = await freePort();
  const config = agentConfigSchema.parse(
    agentConfig('web1', {
      allow_actions: ['start-service'],
      services: [
        {
          name: 'test-http',
          manager: 'command',
          processes: [basename(python).slice(0, 15)],
          process_match: site,
          ports: [httpPort],
          start: [python, '-m', 'http.server', String(httpPort), '--bind', '127.0.0.1', '--directory', site],
          start_detached: true,
          start_timeout: '15s',
        },
        // Its reload and restart would leave a file behind: that it stays absent proves nothing ran.
        { name: 'marker', manager: 'command', reload: ['touch', marker], restart: ['touch', marker], start: ['touch', marker] },
      ],
    }),
  );
  brain = await AgentClient.open({ url: nats.url, prefix: PREFIX, user: nats.brain.user, pass: nats.brain.pass, agentTtlMs: 1_500 }, silentLogger);
  await brain.watch();
  agent = await Agent.start({ config, log: silentLogger, version: 'test-1' });
});

after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await agent?.close().catch(() => {});
  await brain?.close().catch(() => {});
  await nats?.stop();
});

describe('mamoru agent over NATS', () => {
  test('an inspection is answered with the real data of this machine', async () => {
    const srv = net.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as net.AddressInfo).port;
      const listening = await brain.inspect('web1', 'listening');
      ok(listening);
      assert.equal(listening.kind, 'inspect');
      const evidence = listening.evidence as unknown as { ports: number[]; summary: string };
      assert.ok(evidence.ports.includes(port), `port ${port} of this test is in ${evidence.summary}`);
      const processes = await brain.inspect('web1', 'processes');
      ok(processes);
      const list = (processes.evidence as unknown as { processes: { pid: number; args: string }[] }).processes;
      assert.ok(list.some((p) => p.pid === process.pid), 'the test process itself is in the list');
    } finally {
      srv.close();
    }
  });

  test('an allowed action runs: start-service starts the service, verifies it, and it serves', async () => {
    const reply = await brain.act('web1', 'start-service', {}, { service: 'test-http' });
    ok(reply);
    assert.equal(reply.kind, 'action');
    const outcome = reply.outcome as { status: string; text: string; records: { text: string }[] };
    // Remember the process before asserting more, so after() stops it whatever happens.
    const seen = await brain.inspect('web1', 'service-observe', {}, { service: 'test-http' });
    ok(seen);
    const master = (seen.evidence as unknown as { up: boolean; master: { pid: number } | null }).master;
    if (master) pids.push(master.pid);
    assert.equal(outcome.status, 'done', outcome.text);
    assert.match(outcome.text, /^started test-http on web1; verified/);
    assert.equal((seen.evidence as unknown as { up: boolean }).up, true);
    const page = await fetch(`http://127.0.0.1:${httpPort}/agent-was-here.txt`);
    assert.equal(await page.text(), 'hello from the agent test\n');
    // A second start finds it running and leaves it alone.
    const again = await brain.act('web1', 'start-service', {}, { service: 'test-http' });
    ok(again);
    assert.equal((again.outcome as { status: string }).status, 'no-op');
    process.kill(master!.pid, 'SIGTERM');
    await until('the test service to stop', async () => {
      const r = await brain.inspect('web1', 'port', { port: httpPort });
      return r.ok && (r.evidence as unknown as { listening: boolean }).listening === false;
    }, 10_000, 100);
  });

  test('two starts of one service at once run one after the other: one starts it, the other finds it running', async () => {
    const both = await Promise.all([brain.act('web1', 'start-service', {}, { service: 'test-http' }), brain.act('web1', 'start-service', {}, { service: 'test-http' })]);
    const seen = await brain.inspect('web1', 'service-observe', {}, { service: 'test-http' });
    ok(seen);
    const master = (seen.evidence as unknown as { master: { pid: number } | null }).master;
    if (master) pids.push(master.pid);
    const statuses = both.map((r) => (r.ok ? r.outcome.status : r.error)).sort();
    assert.deepEqual(statuses, ['done', 'no-op']);
    process.kill(master!.pid, 'SIGTERM');
    await until('the test service to stop', async () => {
      const r = await brain.inspect('web1', 'port', { port: httpPort });
      return r.ok && (r.evidence as unknown as { listening: boolean }).listening === false;
    }, 10_000, 100);
  });

  test('an action outside allow_actions is refused by the agent, and nothing runs', async () => {
    for (const name of ['reload-service', 'restart-service']) {
      const reply = await brain.act('web1', name, {}, { service: 'marker' });
      assert.deepEqual({ ...reply, id: '' }, { id: '', ok: false, code: 'refused', error: 'refused: not in agent.allow_actions' });
    }
    // Unknown to the agent's config: refused too, even for an allowed action.
    const other = await brain.act('web1', 'start-service', {}, { service: 'sshd' });
    assert.equal(other.ok, false);
    assert.match((other as { error: string }).error, /^refused: service "sshd" is not in the agent's services$/);
    assert.equal(existsSync(marker), false, 'no command of the marker service ran');
  });

  test('an allowed action in dry-run says what it would run and runs nothing', async () => {
    const reply = await brain.act('web1', 'start-service', {}, { service: 'marker', dryRun: true });
    ok(reply);
    assert.equal(reply.outcome.status, 'dry-run');
    assert.match(reply.outcome.text, new RegExp(`^would start marker on web1 \\(touch ${marker}\\)$`));
    assert.equal(existsSync(marker), false);
  });

  test('parameters the schema refuses are refused on the agent, with the reason', async () => {
    const port = await brain.inspect('web1', 'port', { port: 70000 });
    assert.equal(port.ok, false);
    assert.equal((port as { code: string }).code, 'invalid');
    assert.match((port as { error: string }).error, /^params of port: port: expected a port number from 1 to 65535/);
    // A command smuggled into an action's parameters is an unknown key, not a command.
    const smuggled = await brain.act('web1', 'start-service', { start: ['touch', marker] }, { service: 'marker' });
    assert.equal((smuggled as { code: string }).code, 'invalid');
    assert.match((smuggled as { error: string }).error, /^params of start-service: .*"start"/);
    const path = await brain.inspect('web1', 'disk-usage', { path: '../etc' });
    assert.equal((path as { code: string }).code, 'invalid');
    const unknown = await brain.inspect('web1', 'shell', { cmd: 'id' });
    assert.match((unknown as { error: string }).error, /^unknown inspection "shell"/);
    assert.equal(existsSync(marker), false);
  });

  test('an oversized request is refused unread, and the agent goes on answering', async () => {
    const big = new TextEncoder().encode(JSON.stringify({ id: 'big', kind: 'inspect', name: 'listening', params: { pad: 'x'.repeat(100 * 1024) } }));
    const reply = await brain.send('web1', big, 10_000);
    assert.equal(reply.ok, false);
    assert.equal((reply as { code: string }).code, 'invalid');
    assert.match((reply as { error: string }).error, /^refused: the request is \d+ bytes; the agent reads at most 65536$/);
    const notJson = await brain.send('web1', new TextEncoder().encode('rm -rf /'), 10_000);
    assert.match((notJson as { error: string }).error, /^the request is not JSON$/);
    ok(await brain.inspect('web1', 'listening'));
  });

  test("NATS refuses agent web2 web1's request subject; an agent started with the wrong user refuses to start", async () => {
    const nc = await connect({ servers: nats.url, user: 'web2', pass: nats.agents.web2!.pass });
    try {
      const sub = nc.subscribe(`${PREFIX}.agent.web1.req`);
      await nc.flush();
      const closed = await Promise.race([sub.closed, new Promise<'open'>((r) => setTimeout(() => r('open'), 5_000))]);
      assert.ok(closed instanceof Error, 'the subscription was closed with an error');
      assert.match(closed.message, /permissions violation/i);
    } finally {
      await nc.close();
    }
    const wrong = agentConfigSchema.parse({ ...agentConfig('web2'), name: 'web1' });
    await assert.rejects(Agent.start({ config: wrong, log: silentLogger, version: 'test' }), /^Error: agent: NATS refused the subscription to ag\d+\.agent\.web1\.req/);
  });

  test('an agent cannot speak for another: its events under another name are dropped', async () => {
    const nc = await connect({ servers: nats.url, user: 'web2', pass: nats.agents.web2!.pass });
    try {
      const event = (name: string) => new TextEncoder().encode(JSON.stringify({ type: 'heartbeat', name, version: 'evil', at: Date.now(), allow_actions: [], allow_inspections: [], services: [] }));
      // Its own subject with another name in it: dropped by the brain. Another's subject: refused by NATS.
      nc.publish(`${PREFIX}.agent.web2.events`, event('mallory'));
      nc.publish(`${PREFIX}.agent.mallory.events`, event('mallory'));
      // Then a true one: once the brain has it, it has read (and dropped) the ones before.
      nc.publish(`${PREFIX}.agent.web2.events`, event('web2'));
      await nc.flush();
      await until('the true web2 event recorded', async () => (await brain.agents()).some((a) => a.name === 'web2' && a.version === 'evil'), 10_000, 50);
      assert.equal((await brain.agents()).some((a) => a.name === 'mallory'), false);
    } finally {
      await nc.close();
    }
  });

  test('mamoru agents --json lists the agents the brain heard', async () => {
    const secret = join(nats.dir, 'brain.password');
    writeFileSync(secret, `${nats.brain.pass}\n`, { mode: 0o600 });
    const conf = join(nats.dir, 'brain.yaml');
    writeFileSync(conf, `secrets:\n  nats: { file: ${secret} }\nbus:\n  type: nats\n  url: ${nats.url}\n  prefix: ${PREFIX}\n  user: brain\n  password_secret: nats\n  member_ttl: 2s\n`);
    const run = await mamoru(['agents', '--json', '-c', conf], { timeoutMs: 60_000 });
    assert.equal(run.code, 0, run.stderr);
    const web1 = (JSON.parse(run.stdout) as { name: string; version: string; allowActions: string[]; services: string[] }[]).find((a) => a.name === 'web1');
    assert.deepEqual(web1 && { version: web1.version, allowActions: web1.allowActions, services: web1.services }, { version: 'test-1', allowActions: ['start-service'], services: ['test-http', 'marker'] });
    const text = await mamoru(['agents', '-c', conf], { timeoutMs: 60_000 });
    assert.match(text.stdout, /^web1  test-1  seen (just now|\d+ s ago)  actions: start-service  services: test-http, marker$/m);
  });

  test('a credentials file others can read stops the agent with the file and the chmod to run', async () => {
    const file = join(nats.dir, 'loose.password');
    writeFileSync(file, 'secret\n');
    chmodSync(file, 0o644);
    const conf = join(nats.dir, 'loose.yaml');
    writeFileSync(conf, `nats:\n  url: ${nats.url}\n  prefix: ${PREFIX}\n  user: web2\n  password_file: ${file}\nname: web2\n`);
    const run = await mamoru(['agent', '-c', conf], { timeoutMs: 60_000 });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`the credentials file ${file} has mode 0644: .*; run: chmod 600 ${file}`));
    assert.doesNotMatch(run.stderr, /secret/);
  });

  test('a wrong password stops the agent with NATS\'s refusal, and the password is not in it', async () => {
    const file = join(nats.dir, 'wrong.password');
    writeFileSync(file, 'not-the-password-of-web2\n', { mode: 0o600 });
    const conf = join(nats.dir, 'wrong.yaml');
    writeFileSync(conf, `nats:\n  url: ${nats.url}\n  prefix: ${PREFIX}\n  user: web2\n  password_file: ${file}\nname: web2\n`);
    const run = await mamoru(['agent', '-c', conf], { timeoutMs: 60_000 });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, new RegExp(`^mamoru: agent web2: cannot start with NATS at ${nats.url}: .*authorization violation`, 'im'));
    assert.doesNotMatch(run.stderr + run.stdout, /not-the-password/);
  });

  test('an unknown key in the agent config is refused with its path', async () => {
    const conf = join(nats.dir, 'typo.yaml');
    writeFileSync(conf, `name: web2\nallow_action: [start-service]\n`);
    const run = await mamoru(['agent', '-c', conf], { timeoutMs: 60_000 });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /allow_action: unknown key "allow_action"; did you mean "allow_actions"\?/);
  });

  test('a running agent shows in agents() and is gone after its TTL once killed', async () => {
    const conf = join(nats.dir, 'web2.yaml');
    writeFileSync(conf, `nats:\n  url: ${nats.url}\n  prefix: ${PREFIX}\n  user: web2\n  password_file: ${nats.agents.web2!.passwordFile}\nname: web2\nheartbeat: 200ms\nallow_actions: [reload-service]\n`);
    const proc = mamoruProcess(['agent', '-c', conf], { env: { MAMORU_LOG_LEVEL: 'info' } });
    children.push(proc.child);
    const web2 = await until('web2 in agents()', async () => (await brain.agents()).find((a) => a.name === 'web2' && a.version !== 'evil'), 60_000, 100);
    assert.deepEqual(web2.allowActions, ['reload-service']);
    assert.ok(web2.allowInspections.includes('listening'));
    const names = (await brain.agents()).map((a) => a.name);
    assert.deepEqual(names, ['web1', 'web2']);
    ok(await brain.inspect('web2', 'listening'));
    proc.child.kill('SIGKILL');
    await proc.exited;
    await until('web2 gone from agents()', async () => !(await brain.agents()).some((a) => a.name === 'web2'), 10_000, 100);
    assert.deepEqual((await brain.agents()).map((a) => a.name), ['web1']);
    const lost = await brain.inspect('web2', 'listening').catch((e: unknown) => e);
    assert.ok(lost instanceof AgentRequestError && lost.kind === 'unreachable', String(lost));
  });

  test('an agent that hears but does not answer is a timeout, after the timeout given', async () => {
    const nc = await connect({ servers: nats.url, user: nats.brain.user, pass: nats.brain.pass });
    try {
      nc.subscribe(`${PREFIX}.agent.mute.req`);
      await nc.flush();
      const e = await brain.inspect('mute', 'listening', {}, { timeoutMs: 300 }).catch((err: unknown) => err);
      assert.ok(e instanceof AgentRequestError, String(e));
      assert.equal(e.kind, 'timeout');
      assert.equal(e.message, 'agent mute did not answer within 300 ms');
    } finally {
      await nc.close();
    }
  });
});
