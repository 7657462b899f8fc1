/**
 * A brain that fails over, as real processes on the machine's NATS JetStream: two `mamoru start`
 * with the same config (bus: nats), one leads and one stands by; a poller runs the zone's check.
 * SIGKILL the leader: the other takes the lead after the lease lapses and carries on from the
 * durable consumer, so the results published while no brain ran are stored, not lost. A leader
 * stopped cleanly gives the lead up at once.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { deleteBusPrefix } from './nats-prefix.ts';
import { mamoruProcess } from '../helpers/cli.ts';
import { until } from '../helpers/wait.ts';

const URL = 'nats://127.0.0.1:4222';
const prefix = `fail${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'mamoru-failover-'));
const cfg = join(dir, 'mamoru.yaml');
const db = join(dir, 'mamoru.db');
let server: net.Server;
const procs: ReturnType<typeof mamoruProcess>[] = [];
const LEASE_TTL_MS = 3000;

function start(args: string[]) {
  const p = mamoruProcess(args, { env: { MAMORU_LOG_FORMAT: 'json' } });
  procs.push(p);
  return p;
}

/** Start times of the stored results of the zone's check. */
function stored(): number[] {
  const d = new BetterSqlite3(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare("SELECT started_at FROM results WHERE check_id = 'zoned/up' ORDER BY started_at").all() as { started_at: number }[]).map((r) => r.started_at);
  } catch (e) {
    if (/no such table/.test((e as Error).message)) return [];
    throw e;
  } finally {
    d.close();
  }
}

before(async () => {
  server = net.createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  writeFileSync(
    cfg,
    `store: { type: sqlite, path: ${db}, flush_interval: 200ms }
web: { enabled: false }
bus: { type: nats, url: "${URL}", prefix: ${prefix}, member_ttl: 2s, lease_ttl: ${LEASE_TTL_MS}ms }
defaults: { interval: 1s, retry_interval: 1s, timeout: 2s }
targets:
  - { name: zoned, address: 127.0.0.1, zones: [z1], checks: [{ type: tcp, name: up, port: ${port} }] }
`,
  );
});

after(async () => {
  for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await Promise.all(procs.map((p) => p.exited));
  server?.close();
  await deleteBusPrefix(URL, prefix);
  rmSync(dir, { recursive: true, force: true });
});

test('the leader killed: the standing-by brain takes the lead after the lease lapses and stores what was published meanwhile', async (t) => {
  const a = start(['start', '-c', cfg]);
  await a.waitFor(/brain \S+ leads/);
  const b = start(['start', '-c', cfg]);
  await b.waitFor(/standing by: brain \S+ leads/);
  const poller = start(['poller', '--zone', 'z1', '--name', 'p1', '-c', cfg]);
  await poller.waitFor(/poller p1 in zone z1/);
  await until('results stored by the leader', () => stored().length >= 3);
  assert.doesNotMatch(b.output(), /takes the lead|watching/, 'the standing-by brain started its work while the other led');

  const killedAt = Date.now();
  a.child.kill('SIGKILL');
  await a.exited;
  await b.waitFor(/takes the lead/, 20_000);
  const tookOver = Date.now();
  await b.waitFor(/watching/, 20_000);
  // Results of runs that started while no brain led reach the store through the durable consumer.
  const gap = await until('results from the leaderless time', () => {
    const rows = stored().filter((s) => s > killedAt && s < tookOver);
    return rows.length > 0 ? rows : undefined;
  });
  const expected = Math.floor((tookOver - killedAt) / 1000) - 1;
  assert.ok(gap.length >= expected, `${gap.length} results stored of the ${expected}+ runs while no brain led`);
  const all = stored();
  t.diagnostic(`takeover ${((tookOver - killedAt) / 1000).toFixed(1)} s after the SIGKILL (lease_ttl ${LEASE_TTL_MS / 1000} s); ${gap.length} results of the leaderless time stored; ${all.length - new Set(all).size} stored twice`);
  await until('results after the takeover', () => stored().some((s) => s > tookOver + 1000));
});

test('a leader stopped cleanly gives the lead up at once', async (t) => {
  const b = procs[1]!;
  const c = start(['start', '-c', cfg]);
  await c.waitFor(/standing by: brain \S+ leads/);
  const stoppedAt = Date.now();
  b.child.kill('SIGTERM');
  assert.equal(await b.exited, 0);
  await c.waitFor(/takes the lead/, 10_000);
  t.diagnostic(`lead taken ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s after SIGTERM (the lease was released; it lapses only after ${LEASE_TTL_MS / 1000} s)`);
  assert.match(b.output(), /mamoru stopped/);
});

test('a brain standing by stops at once on SIGTERM', async () => {
  const d = start(['start', '-c', cfg]);
  await d.waitFor(/standing by: brain \S+ leads/);
  d.child.kill('SIGTERM');
  assert.equal(await d.exited, 0);
});
