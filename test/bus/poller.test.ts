/**
 * Pollers in a zone and the brain, on the machine's NATS JetStream (127.0.0.1:4222), as real
 * processes: two `mamoru poller --zone z1` share the zone's checks, the brain (`Daemon`, in this
 * process) takes their results from the bus and shows the checks' states; a poller killed has its
 * checks taken over by the other within a few heartbeats, and takes its share back when it returns.
 * Each run has its own prefix (stream and buckets), deleted after.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deleteBusPrefix } from './nats-prefix.ts';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { buses } from '../../src/bus/index.ts';
import { ownerOf } from '../../src/daemon/share.ts';
import { mamoru, mamoruProcess } from '../helpers/cli.ts';
import { until } from '../helpers/wait.ts';
import { apiAs, getJsonAs } from '../helpers/api.ts';

const URL = 'nats://127.0.0.1:4222';
const prefix = `poll${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'mamoru-poller-'));
const cfg = join(dir, 'mamoru.yaml');
const CHECKS = 12;
/** The zone's checks: the twelve, and one that runs every 10 minutes unless asked (slow/tcp). */
const ZONE_CHECKS = CHECKS + 1;
let server: net.Server;
let brain: Daemon;
const pollers: ReturnType<typeof mamoruProcess>[] = [];

function startPoller(name: string) {
  const p = mamoruProcess(['poller', '--zone', 'z1', '--name', name, '-c', cfg], { env: { MAMORU_LOG_FORMAT: 'json' } });
  pollers.push(p);
  return p;
}

/** The last "N of M checks run here" a poller logged. */
function share(p: ReturnType<typeof mamoruProcess>): number | undefined {
  const all = [...p.output().matchAll(/(\d+) of (\d+) checks run here/g)];
  return all.length ? Number(all.at(-1)![1]) : undefined;
}

/** The poller whose result the brain took last, per zoned check. */
const lastPoller = () => new Map(Array.from({ length: CHECKS }, (_, i) => [`zoned/c${i}`, brain.brainBus!.votes.of(`zoned/c${i}`)[0]?.poller]));

before(async () => {
  server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const checks = Array.from({ length: CHECKS }, (_, i) => `{ type: tcp, name: c${i}, port: ${port} }`).join(', ');
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${join(dir, 'mamoru.db')} }
web: { host: 127.0.0.1, port: 0 }
bus: { type: nats, url: "${URL}", prefix: ${prefix}, member_ttl: 2s }
defaults: { interval: 1s, retry_interval: 1s, timeout: 2s }
targets:
  - { name: zoned, address: 127.0.0.1, zones: [z1], checks: [${checks}] }
  - { name: here, address: 127.0.0.1, checks: [{ type: tcp, port: ${port} }] }
  - { name: far, address: 127.0.0.1, zones: [z9], checks: [{ type: tcp, port: ${port} }] }
  - { name: slow, address: 127.0.0.1, zones: [z1], checks: [{ type: tcp, port: ${port}, interval: 10m }] }
`,
  );
  brain = await Daemon.start({ configFile: cfg, log: silentLogger, webPort: 0 });
});

after(async () => {
  for (const p of pollers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await brain?.stop();
  server?.close();
  await deleteBusPrefix(URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

test('two pollers share the zone: every zoned check is run by one of them and its state reaches the brain', async () => {
  const a = startPoller('pa');
  const b = startPoller('pb');
  await a.waitFor(/poller pa in zone z1/);
  await b.waitFor(/poller pb in zone z1/);
  // Both see each other, and the zone's checks are split between them with nothing left out.
  await until('the two pollers to split the zone', () => share(a)! + share(b)! === ZONE_CHECKS && share(a)! > 0 && share(b)! > 0);
  // Right after the split a check's latest result may still be from the poller that ran it
  // before; within an interval each is heard from its owner only.
  await until('the brain to hear each zoned check from the poller that runs it', () => [...lastPoller()].every(([id, p]) => p === ownerOf(id, ['pa', 'pb'])));
  assert.equal(new Set(lastPoller().values()).size, 2, 'one poller ran every check');
  const status = brain.status();
  const zoned = status.checks.filter((c) => c.target === 'zoned');
  assert.equal(zoned.length, CHECKS);
  for (const c of zoned) assert.equal(c.state_name, 'OK', `${c.id}: ${c.text}`);
  assert.match(zoned[0]!.text, /^TCP OK/);
  // The target without zones is still checked by the brain itself.
  const here = status.checks.find((c) => c.id === 'here/tcp')!;
  await until('the brain to run its own check', () => brain.status().checks.find((c) => c.id === 'here/tcp')!.last_check !== null);
  assert.equal(here.target, 'here');
  assert.equal(brain.brainBus!.votes.of('here/tcp').length, 0, 'a check without zones came over the bus');
});

test('GET /api/v1/cluster: the leading brain, the live pollers of each zone, and a zone with no poller as a warning', async () => {
  const operator = await apiAs(brain, 'operator');
  const view = await getJsonAs<{ bus: string; brain: { leader: string; this_brain: string; epoch: number }; zones: { zone: string; targets: number; pollers: { name: string }[]; warning: string | null }[]; warnings: string[] }>(operator, '/api/v1/cluster');
  assert.equal(view.bus, 'nats');
  assert.equal(view.brain.leader, view.brain.this_brain, 'this brain leads');
  assert.ok(view.brain.epoch > 0);
  assert.deepEqual(view.zones.map((z) => [z.zone, z.targets, z.pollers.map((p) => p.name).sort()]), [['z1', 2, ['pa', 'pb']], ['z9', 1, []]]);
  assert.equal(view.zones[0]!.warning, null);
  assert.match(view.zones[1]!.warning!, /^no live poller in zone z9: its checks are not run from there/);
  assert.deepEqual(view.warnings, [view.zones[1]!.warning]);
  // The machines of the installation are not a viewer's business.
  assert.equal((await (await apiAs(brain, 'viewer'))('/api/v1/cluster')).status, 403);
});

test('a poller killed: the other takes its checks within a few heartbeats; back, it takes its share again', async () => {
  const [a, b] = pollers as [ReturnType<typeof mamoruProcess>, ReturnType<typeof mamoruProcess>];
  const shareOfA = share(a)!;
  a.child.kill('SIGKILL');
  await a.exited;
  await until('pb to take every check', () => share(b) === ZONE_CHECKS, 15_000);
  // The brain then hears every zoned check from pb.
  const since = Date.now();
  await until('results of every check from pb', () => [...lastPoller().values()].every((p) => p === 'pb'), 15_000);
  assert.ok(Date.now() - since < 15_000);
  const a2 = startPoller('pa');
  await a2.waitFor(/poller pa in zone z1/);
  await until('pa to take its share back', () => share(a2) === shareOfA && share(b) === ZONE_CHECKS - shareOfA, 15_000);
});

test('a re-check asked of the zone (as the brain asks when another zone sees a failure) is run at once by the poller that owns the check', async () => {
  const asker = await buses.nats.create(buses.nats.schema.parse({ url: URL, prefix }), { log: silentLogger });
  try {
    const newest = () => brain.brainBus!.votes.of('slow/tcp')[0]?.result.startedAt ?? 0;
    for (let i = 0; i < 2; i++) {
      const before = newest();
      const asked = Date.now();
      await asker.requestRecheck('z1', ['slow/tcp']);
      // Its interval is 10 minutes: two results a few seconds apart come only from the requests.
      await until(`the result of re-check ${i + 1}`, () => newest() > Math.max(before, asked - 1), 10_000);
    }
  } finally {
    await asker.close();
  }
});

test('a poller refuses a config without a bus, saying what to set', async () => {
  const local = join(dir, 'local.yaml');
  writeFileSync(local, 'targets: [{ name: w, address: 127.0.0.1, checks: [{ type: ping }] }]\n');
  const r = await mamoru(['poller', '--zone', 'z1', '-c', local]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /set bus: \{ type: nats, url: nats:\/\/\.\.\. \} in the config/);
});
