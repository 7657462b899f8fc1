/**
 * The sqlite store's writer thread (result-sink.ts, result-worker.ts) on real files: results
 * written through it read back, the rollups it folds per batch equal a plain SQL fold of the raw
 * rows (late results, one bucket over many batches), close() loses nothing, retention keeps
 * problems longer than OK results, rows an older mamoru left unfolded are folded once, and a
 * SIGKILL at a random moment neither loses an acknowledged result nor counts one twice.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import BetterSqlite3 from 'better-sqlite3';
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';
import type { StoredResult } from '../../src/store/types.ts';
import { assertRollupsMatchRaw } from './fold-check.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-writer-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(root, `db-${++n}`, 'mamoru.db');
const open = (path: string, over: Record<string, unknown> = {}) => stores.sqlite.create(stores.sqlite.schema.parse({ path, ...over }), { log: silentLogger });
const T0 = Date.UTC(2026, 0, 19, 20, 0, 0);
const MIN = 60_000;
const HOUR = 3_600_000;

function result(i: number, at: number, state: 0 | 1 | 2 | 3 = 0): StoredResult {
  const c = i % 13;
  return { checkId: `t${c % 4}/c${c}`, target: `t${c % 4}`, state, text: `result ${i}`, perfdata: i % 6 === 0 ? [] : [{ label: 'time', value: (i % 97) / 100, unit: 's' }], startedAt: at, durationMs: (i % 41) * 1.5 + 0.1 };
}

const count = (path: string, where = '1 = 1') => {
  const db = new BetterSqlite3(path, { readonly: true });
  try {
    return Number(db.prepare(`select count(*) from results where ${where}`).pluck().get());
  } finally {
    db.close();
  }
};

test('results written through the writer thread read back, and its rollups equal a SQL fold of the raw rows', async () => {
  const path = fresh();
  const store = await open(path, { flush_rows: 37, retention_ok: '1d' });
  try {
    // Three hours of results, written in a shuffled order: many batches share a bucket, and
    // results arrive after later ones were written (late by up to an hour).
    const all = Array.from({ length: 3_000 }, (_, i) => result(i, T0 + Math.floor((i / 3_000) * 3 * HOUR), (i % 17 === 0 ? 2 : i % 23 === 0 ? 3 : i % 19 === 0 ? 1 : 0) as 0 | 1 | 2 | 3));
    const order = all.map((_, i) => i).sort((a, b) => ((a * 7919) % 3_001) - ((b * 7919) % 3_001));
    for (const [k, i] of order.entries()) {
      store.write(all[i]!);
      if (k % 500 === 499) await store.flush();
    }
    await store.flush();
    assert.equal(assertRollupsMatchRaw(path), 3_000);

    const latest = await store.latestResults('t1/c1', 3);
    const mine = all.filter((r) => r.checkId === 't1/c1').sort((a, b) => b.startedAt - a.startedAt);
    assert.deepEqual(latest.map((r) => r.text), mine.slice(0, 3).map((r) => r.text));
    assert.deepEqual(latest[0], mine[0], 'field for field');

    const hours = await store.rollups('t1/c1', 'hour', { from: T0, to: T0 + 3 * HOUR });
    assert.deepEqual(hours.map((h) => h.count), [0, 1, 2].map((h) => mine.filter((r) => r.startedAt >= T0 + h * HOUR && r.startedAt < T0 + (h + 1) * HOUR).length));
    const before = await store.rollups('t1/c1', 'minute', { from: T0, to: T0 + 3 * HOUR });

    // The same buckets again in later batches, and a second pass of maintain(): they add up once.
    store.write(result(13 * 100 + 1, T0 + 5_000));
    await store.flush();
    assert.equal((await store.maintain(T0 + 3 * HOUR)).rolledUp, 3_001);
    assert.equal((await store.maintain(T0 + 3 * HOUR)).rolledUp, 0);
    const afterMinute = await store.rollups('t1/c1', 'minute', { from: T0, to: T0 + 3 * HOUR });
    assert.equal(afterMinute[0]!.count, before[0]!.count + 1);
    assert.equal(assertRollupsMatchRaw(path), 3_001);
  } finally {
    await store.close();
  }
});

test('close() writes everything write() queued, batches in flight included', async () => {
  const path = fresh();
  const store = await open(path, { flush_rows: 700, flush_interval: '1h' });
  for (let i = 0; i < 5_000; i++) store.write(result(i, T0 + i * 100));
  // 7 full batches are in the thread's hands, 100 rows still queued here.
  assert.equal(store.pending, 100);
  await store.close();
  assert.equal(count(path), 5_000);
  assert.equal(assertRollupsMatchRaw(path), 5_000);
});

test('retention: OK results go after retention_ok, problems after retention_raw, in slices; rollups keep counting them', async () => {
  const path = fresh();
  const store = await open(path, { retention_ok: '1h', retention_raw: '1d' });
  try {
    const now = T0 + 2 * 86_400_000;
    // 5,000 old OK results (more than one delete slice), 50 old problems, and recent ones of each.
    const rows = [
      ...Array.from({ length: 5_000 }, (_, i) => result(i, now - 3 * HOUR + i * 10)),
      ...Array.from({ length: 50 }, (_, i) => result(i, now - 5 * HOUR + i * MIN, 2)),
      ...Array.from({ length: 50 }, (_, i) => result(i, now - 3 * 86_400_000 + i * MIN, 1)),
      ...Array.from({ length: 20 }, (_, i) => result(i, now - 30 * MIN + i * MIN)),
    ];
    await store.appendResults(rows);
    const report = await store.maintain(now);
    assert.deepEqual(report, { rolledUp: rows.length, deletedRaw: 5_050, deletedMinute: 0, deletedHour: 0 });
    assert.equal(count(path, 'state = 0'), 20, 'OK results of the last hour are kept');
    assert.equal(count(path, 'state = 2'), 50, 'problems younger than a day are kept');
    assert.equal(count(path, 'state = 1'), 0);
    const hour = await store.rollups('t0/c0', 'hour', { from: 0, to: now + HOUR });
    assert.equal(hour.reduce((s, h) => s + h.count, 0), rows.filter((r) => r.checkId === 't0/c0').length, 'the rollups still count the deleted rows');
  } finally {
    await store.close();
  }
});

test('results an older mamoru left unfolded (above the watermark) are folded once at open', async () => {
  const path = fresh();
  await (await open(path)).close();
  const raw = new BetterSqlite3(path);
  const insert = raw.prepare('insert into results (check_id, target, state, text, perfdata, perf_value, long_output, started_at, duration_ms) values (?, ?, ?, ?, null, ?, null, ?, ?)');
  raw.transaction(() => {
    for (let i = 0; i < 4_500; i++) insert.run(`t${i % 3}/c`, `t${i % 3}`, i % 7 === 0 ? 2 : 0, `old ${i}`, i % 4 === 0 ? null : i / 10, T0 + i * 1_000, i % 50);
  })();
  raw.close();
  const store = await open(path);
  try {
    store.write(result(1, T0 + 10_000));
    await store.flush();
    assert.equal(assertRollupsMatchRaw(path), 4_501);
    assert.equal((await store.maintain(T0)).rolledUp, 4_501);
  } finally {
    await store.close();
  }
  const again = await open(path);
  await again.close();
  assert.equal(assertRollupsMatchRaw(path), 4_501, 'a reopen folds nothing twice');
});

/** Runs kill-writer.ts from `seq`, kills it `waitMs` after its first batch was written; returns the last acknowledged number. */
async function killWriterAt(path: string, seq: number, waitMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./kill-writer.ts', import.meta.url)), path, String(seq)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let acked = seq - 1;
  let opened = false;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout! });
  const drained = new Promise((r) => lines.once('close', r));
  const started = new Promise<void>((resolve) =>
    lines.on('line', (line) => {
      if (line === 'open') {
        opened = true;
        resolve();
      } else acked = Math.max(acked, Number(line));
    }),
  );
  await Promise.race([started, exited]);
  assert.ok(opened, 'the writer child wrote its first batch');
  await new Promise((r) => setTimeout(r, waitMs));
  // What was acknowledged is what the child printed before it died: read the pipe to its end.
  child.kill('SIGKILL');
  await exited;
  await drained;
  return acked;
}

test('SIGKILL while writing: every acknowledged result is kept and no bucket counts a result twice', async (t) => {
  const path = fresh();
  await (await open(path)).close();
  let seq = 0;
  let acknowledged = 0;
  let before = 0;
  for (const waitMs of [150 + Math.floor(Math.random() * 400), 300 + Math.floor(Math.random() * 700), Math.floor(Math.random() * 1_000)]) {
    const acked = await killWriterAt(path, seq, waitMs);
    acknowledged += acked - seq + 1;
    const db = new BetterSqlite3(path, { readonly: true });
    const texts = db.prepare("select text from results where text like 'result %'").pluck().all() as string[];
    db.close();
    const seen = new Set(texts);
    assert.equal(seen.size, texts.length, 'no result stored twice');
    for (let i = 0; i <= acked; i++) assert.ok(seen.has(`result ${i}`), `acknowledged result ${i} is stored (acknowledged up to ${acked})`);
    const stored = assertRollupsMatchRaw(path);
    assert.ok(stored >= acked + 1);
    t.diagnostic(`killed after ${waitMs} ms: ${acked - seq + 1} acknowledged, ${stored - before} stored`);
    before = stored;
    // The next run carries on after what was stored, acknowledged or not.
    seq = texts.reduce((m, t) => Math.max(m, Number(t.slice(7))), seq - 1) + 1;
  }
  assert.ok(acknowledged > 0, 'the children acknowledged results before they were killed');
  // Reopened through the store: it folds nothing twice and reads what was written.
  const store = await open(path);
  try {
    assert.equal((await store.maintain(T0)).rolledUp, 0);
    assert.equal((await store.latestResults('t1/c1', 1)).length, 1);
  } finally {
    await store.close();
  }
  assertRollupsMatchRaw(path);
});
