/**
 * The brain watches its agents (issue 21): a nats-server of the test's own (per-agent users), a
 * real `mamoru agent` process, and the brain (`Daemon`, in this process, with `bus: { type: nats }`
 * and a target whose `agent:` names it). The agent appears in GET /api/v1/agents and in `mamoru
 * agents` read from the running brain, and the target's `agent` check turns OK; the agent killed
 * (SIGKILL), its check is CRITICAL "not heard for" within its TTL and a poll, and an incident
 * opens; the agent back, the check is OK again and the incident resolves.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { mamoru, mamoruProcess } from '../helpers/cli.ts';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';
import { startNats, type TestNats } from './nats-server.ts';

const PREFIX = `ba${process.pid}`;
const TTL_S = 2;
let nats: TestNats;
let brain: Daemon | undefined;
let peer: net.Server;
let cfg: string;
let agentCfg: string;
let token: string;
const agents: ReturnType<typeof mamoruProcess>[] = [];

function startAgent() {
  const p = mamoruProcess(['agent', '-c', agentCfg], { env: { MAMORU_LOG_FORMAT: 'json' } });
  agents.push(p);
  return p;
}

async function api<T>(path: string, as = token): Promise<T> {
  const r = await fetch(`${brain!.webUrl}${path}`, { headers: { authorization: `Bearer ${as}` }, signal: AbortSignal.timeout(10_000) });
  assert.equal(r.status, 200, `${path}: ${r.status}`);
  return (await r.json()) as T;
}

const agentCheck = () => brain!.status().checks.find((c) => c.id === 'web1-host/agent');
type Incident = { id: number; target: string; status: string; members: { key: string; state: string; text: string }[] };
const incidents = async () => (await api<{ items: Incident[] }>('/api/v1/incidents?limit=10')).items;

before(async () => {
  nats = await startNats(PREFIX, ['web1']);
  peer = net.createServer((s) => s.end());
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const brainPw = join(nats.dir, 'brain.password');
  writeFileSync(brainPw, `${nats.brain.pass}\n`, { mode: 0o600 });
  agentCfg = join(nats.dir, 'agent.yaml');
  writeFileSync(
    agentCfg,
    `nats: { url: "${nats.url}", prefix: ${PREFIX}, user: web1, password_file: ${nats.agents.web1!.passwordFile} }
name: web1
heartbeat: 300ms
allow_actions: [reload-service]
services:
  - { name: marker, manager: command, reload: [/bin/true] }
`,
  );
  cfg = join(nats.dir, 'mamoru.yaml');
  writeFileSync(
    cfg,
    `secrets:
  nats: { file: ${brainPw} }
store: { type: sqlite, path: ${join(nats.dir, 'data', 'mamoru.db')} }
web: { port: ${await freePort()} }
log: { level: warn }
bus: { type: nats, url: "${nats.url}", prefix: ${PREFIX}, user: brain, password_secret: nats, member_ttl: ${TTL_S}s }
defaults: { interval: 60s, timeout: 2s }
targets:
  - name: web1-host
    address: 127.0.0.1
    agent: web1
    checks: [{ type: tcp, name: up, port: ${(peer.address() as net.AddressInfo).port} }]
  - { name: plain, address: 127.0.0.1, checks: [{ type: tcp, name: up, port: ${(peer.address() as net.AddressInfo).port} }] }
`,
  );
  brain = await Daemon.start({ configFile: cfg, log: silentLogger });
  token = readFileSync(join(nats.dir, 'data', 'cli.token'), 'utf8').trim();
});

after(async () => {
  for (const p of agents) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(agents.map((p) => p.exited));
  await brain?.stop();
  peer?.close();
  await nats?.stop();
});

test('the agent is listed by the brain and its target gets an agent check that is OK; a target without agent: has none', async () => {
  const a = startAgent();
  await a.waitFor(/agent web1: listening on/);
  // Until a first result, a check is pending (OK with no text and no last check).
  const check = await until('the agent check to turn OK', () => (agentCheck()?.state_name === 'OK' && agentCheck()?.last_check ? agentCheck() : undefined), 15_000);
  assert.match(check!.text, /^AGENT OK - agent web1 0\.\d+\.\d+, heard \d+ s ago$/);
  assert.equal(brain!.status().checks.some((c) => c.id === 'plain/agent'), false, 'a target without agent: has an agent check');

  const listed = await api<{ name: string; version: string; alive: boolean; last_seen: string; allow_actions: string[]; services: string[]; targets: string[] }[]>('/api/v1/agents');
  assert.equal(listed.length, 1, JSON.stringify(listed));
  const web1 = listed[0]!;
  assert.deepEqual({ name: web1.name, alive: web1.alive, allow_actions: web1.allow_actions, services: web1.services, targets: web1.targets }, { name: 'web1', alive: true, allow_actions: ['reload-service'], services: ['marker'], targets: ['web1-host'] });
  assert.ok(Math.abs(Date.now() - Date.parse(web1.last_seen)) < TTL_S * 1000, `last seen ${web1.last_seen}`);

  // A viewer limited to another target does not see the agent of web1-host.
  const { token: limited } = await brain!.auth.createToken({ system: true }, { name: 'plain-only', role: 'viewer', scope: { targets: ['plain'], tags: [] } });
  assert.deepEqual(await api('/api/v1/agents', limited), []);

  // The command line asks the running brain (the target is only known there).
  const run = await mamoru(['agents', '-c', cfg], { timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^web1  0\.\d+\.\d+  seen (just now|\d+ s ago)  actions: reload-service  services: marker  targets: web1-host$/m);
});

test('the agent killed: its check turns CRITICAL "not heard for" and an incident opens; back, OK and the incident resolves', async () => {
  const a = agents.at(-1)!;
  a.child.kill('SIGKILL');
  await a.exited;
  const killedAt = Date.now();
  // Its TTL, a poll (at most half a second at this TTL) and room for a loaded machine.
  const lost = await until('the agent check to turn CRITICAL', () => (agentCheck()?.state_name === 'CRITICAL' ? agentCheck() : undefined), (TTL_S + 8) * 1000, 100);
  assert.match(lost!.text, /^AGENT CRITICAL - agent web1 not heard for \d+ s \(last seen \d{4}-\d\d-\d\dT[\d:.]+Z\)$/);
  const heardFor = Number(/not heard for (\d+) s/.exec(lost!.text)![1]);
  assert.ok(heardFor >= TTL_S - 1, `said "${lost!.text}", killed ${Math.round((Date.now() - killedAt) / 1000)} s ago`);
  assert.equal(lost!.state_type, 'hard', 'the TTL already waited: one poll is the problem');
  const incident = await until('an incident for web1-host', async () => (await incidents()).find((i) => i.target === 'web1-host' && i.status === 'open'), 10_000);
  const member = incident!.members.find((m) => m.text.startsWith('AGENT CRITICAL'));
  assert.ok(member, `the incident is about the agent check: ${JSON.stringify(incident!.members)}`);
  assert.match(member.key, /agent/);
  const listed = await api<{ name: string; alive: boolean; version: string | null }[]>('/api/v1/agents');
  assert.deepEqual(listed.map((x) => ({ name: x.name, alive: x.alive })), [{ name: 'web1', alive: false }], 'a lost agent stays listed as not alive');

  const said = await mamoru(['agents', '-c', cfg], { timeoutMs: 60_000 });
  assert.equal(said.code, 0, said.stderr);
  assert.match(said.stdout, /^web1  0\.\d+\.\d+  LOST, not heard for \d+ s  actions: reload-service  services: marker  targets: web1-host$/m);

  const b = startAgent();
  await b.waitFor(/agent web1: listening on/);
  await until('the agent check to turn OK again', () => agentCheck()?.state_name === 'OK', 15_000, 100);
  await until('the incident to resolve', async () => (await incidents()).find((i) => i.id === incident!.id)?.status === 'resolved', 15_000, 200);
});
