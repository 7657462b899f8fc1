/**
 * NATS restarts under a running installation (issue 20): a nats-server of the test's own (the
 * machine's is never touched), a poller process and the brain. While NATS is down the poller keeps
 * running its checks and queues their results; when NATS is back (same port, same JetStream
 * directory) the queued results reach the brain's store, none lost, and the brain keeps its lead
 * (the outage is shorter than its lease_ttl).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { silentLogger } from '../../src/core/log.ts';
import { Daemon } from '../../src/daemon.ts';
import { mamoruProcess } from '../helpers/cli.ts';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-nats-restart-'));
const cfg = join(dir, 'mamoru.yaml');
const db = join(dir, 'mamoru.db');
let port: number;
let nats: ChildProcess | undefined;
let listener: net.Server;
let brain: Daemon | undefined;
let poller: ReturnType<typeof mamoruProcess> | undefined;

async function startNats(): Promise<void> {
  nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dir, 'js')], { stdio: 'ignore' });
  const child = nats;
  await until(`nats-server on port ${port}`, () => {
    if (child.exitCode !== null) throw new Error(`nats-server exited (${child.exitCode})`);
    return new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  }, 10_000, 100);
}

async function stopNats(): Promise<void> {
  const child = nats;
  if (!child || child.exitCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await gone;
  clearTimeout(t);
}

/** Start times of the zoned check's results in the brain's store. */
function stored(): number[] {
  const d = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare("SELECT started_at FROM results WHERE check_id = 'zoned/up' ORDER BY started_at").all() as { started_at: number }[]).map((r) => r.started_at);
  } finally {
    d.close();
  }
}

before(async () => {
  port = await freePort();
  listener = net.createServer((s) => s.end());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${db}, flush_interval: 200ms }
web: { enabled: false }
bus: { type: nats, url: "nats://127.0.0.1:${port}", prefix: restart, member_ttl: 2s, lease_ttl: 60s }
defaults: { interval: 1s, retry_interval: 1s, timeout: 2s }
targets:
  - { name: zoned, address: 127.0.0.1, zones: [z1], checks: [{ type: tcp, name: up, port: ${(listener.address() as net.AddressInfo).port} }] }
`,
  );
  await startNats();
  brain = await Daemon.start({ configFile: cfg, log: silentLogger, onLeadLost: (why) => assert.fail(`the brain stepped down: ${why}`) });
  poller = mamoruProcess(['poller', '--zone', 'z1', '--name', 'p1', '-c', cfg], { env: { MAMORU_LOG_FORMAT: 'json' } });
  await poller.waitFor(/poller p1 in zone z1/);
});

after(async () => {
  if (poller && poller.child.exitCode === null) {
    poller.child.kill('SIGKILL');
    await poller.exited;
  }
  await brain?.stop();
  await stopNats();
  listener?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('NATS down for a few seconds: the poller queues, and every run of the outage is stored once NATS is back', async (t) => {
  await until('results in the store', () => stored().length >= 3, 20_000);
  const down = Date.now();
  await stopNats();
  await poller!.waitFor(/could not publish results; they wait|heartbeat failed/, 15_000);
  await new Promise((r) => setTimeout(r, 4_000));
  const up = Date.now();
  await startNats();
  const during = await until(
    "the outage's results in the store",
    () => {
      const rows = stored().filter((s) => s > down + 500 && s < up - 500);
      return rows.length >= Math.floor((up - down) / 1000) - 2 ? rows : undefined;
    },
    30_000,
  );
  t.diagnostic(`NATS down ${((up - down) / 1000).toFixed(1)} s: ${during.length} results of runs in that time stored after it came back`);
  // And results keep coming after the restart, without duplicates of the queued ones.
  await until('a result after the restart', () => stored().some((s) => s > up + 1000), 20_000);
  const all = stored();
  assert.equal(new Set(all).size, all.length, 'a result was stored twice');
  assert.equal(poller!.child.exitCode, null, 'the poller exited');
});
