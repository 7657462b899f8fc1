/**
 * Approvals kept across a restart (issue 16, point 10), on a real SQLite store: a question to a
 * person is written when asked and when answered; a new process (new Approvals on the same store,
 * and the real daemon stopped and started again on its store, local executor, no root)
 * lists the open ones again, lets a person answer them, expires them when they would have
 * expired, and gives the runbook that asks the same action again the same question (its id and
 * deadline) or the answer given meanwhile.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import BetterSqlite3 from 'better-sqlite3';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Approvals } from '../../src/actions/policy.ts';
import { FakeClock } from '../../src/core/clock.ts';
import { silentLogger } from '../../src/core/log.ts';
import { stores } from '../../src/store/index.ts';
import { Daemon } from '../../src/daemon.ts';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'mamoru-approvals-kept-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const openStore = (name: string) => stores.sqlite.create(stores.sqlite.schema.parse({ path: join(dir, name) }), { log: silentLogger });
const ask = (service = 'apache2') => ({ action: 'raise-worker-limit', target: 'web1', service, text: 'raise MaxRequestWorkers on web1 from 150 to 300' });
const MIN15 = 15 * 60_000;

test('a question asked before a restart is listed after it, answered, and the runbook asking again gets that answer under the same id', async () => {
  const clock = new FakeClock();
  let store = await openStore('a.db');
  const before = new Approvals(clock, store);
  const { approval, decision } = before.request(ask(), MIN15);
  const other = before.request(ask('php-fpm'), MIN15);
  assert.equal(before.deny(other.approval.id, 'taro'), true);
  assert.equal(await other.decision, 'denied');
  await before.saved();
  void decision;
  await store.close(); // the process dies with the question open

  await clock.advance(60_000);
  store = await openStore('a.db');
  try {
    const after = new Approvals(clock, store);
    const loaded = await after.load();
    assert.deepEqual(loaded.map((a) => a.id), [approval.id], 'only the open question comes back');
    assert.deepEqual(after.pending(), [{ ...approval }], 'listed as it was: same id, text, deadline');
    assert.equal(after.approve(approval.id, 'hanako'), true, 'answerable after the restart');
    await after.saved();
    assert.deepEqual((await store.approvals()).find((a) => a.id === approval.id), { ...approval, status: 'approved', by: 'hanako', decidedAt: clock.now() });
    // The runbook of the still-open incident runs again and asks the same thing.
    const again = after.request({ ...ask(), text: 'raise MaxRequestWorkers on web1 from 150 to 300 (asked again)' }, MIN15);
    assert.equal(again.approval.id, approval.id);
    assert.equal(await again.decision, 'approved');
    // A further question is a new one.
    const next = after.request(ask(), MIN15);
    assert.notEqual(next.approval.id, approval.id);
  } finally {
    await store.close();
  }
});

test('asked again before anyone answered: the same question waits for the answer; one whose deadline passed while down is expired', async () => {
  const clock = new FakeClock();
  let store = await openStore('b.db');
  const before = new Approvals(clock, store);
  const first = before.request(ask(), MIN15).approval;
  const second = before.request(ask('php-fpm'), 5 * 60_000).approval;
  await before.saved();
  await store.close();

  await clock.advance(6 * 60_000); // the second question lapsed while mamoru was down
  store = await openStore('b.db');
  try {
    const after = new Approvals(clock, store);
    assert.deepEqual((await after.load()).map((a) => a.id), [first.id]);
    await after.saved();
    assert.equal((await store.approvals({ status: 'expired' }))[0]?.id, second.id, 'stored as expired');
    const again = after.request(ask(), MIN15);
    assert.equal(again.approval.id, first.id);
    assert.equal(again.approval.expiresAt, first.expiresAt, 'the deadline is the one first given');
    let answer: string | undefined;
    void again.decision.then((s) => (answer = s));
    await Promise.resolve();
    assert.equal(answer, undefined, 'still waiting');
    await clock.advance(MIN15 - 6 * 60_000);
    assert.equal(await again.decision, 'expired', 'it lapses when it would have');
    assert.deepEqual(after.pending(), []);
    await after.saved();
    assert.deepEqual((await store.approvals({ status: 'pending' })), []);
  } finally {
    await store.close();
  }
});

test('through the daemon: a question pending at a restart is listed again under its id, and answering it then starts the service', { timeout: 120_000 }, async () => {
  const port = await freePort();
  // The toy service ends by itself: nothing to hunt down after the test.
  const toy = `require('node:net').createServer((s) => { s.on('error', () => {}); s.end('hello\\n'); }).listen(${port}, '127.0.0.1'); setTimeout(() => process.exit(0), 60000);`;
  const service = { name: 'toy', manager: 'command', processes: ['node'], process_match: `toy-${process.pid}-${port}`, ports: [port], start: [process.execPath, '-e', toy, `toy-${process.pid}-${port}`], start_detached: true, checks: ['toy'], page_timeout: '2s', start_timeout: '10s' };
  const file = join(dir, 'daemon.yaml');
  writeFileSync(
    file,
    `defaults: { interval: 500ms, retry_interval: 250ms, max_attempts: 1, timeout: 1s }
store: { type: sqlite, path: ${join(dir, 'daemon.db')} }
web: { enabled: false }
remediation: { wait: 1s, policy: { modes: { start-service: ask } } }
targets:
  - name: local
    address: 127.0.0.1
    executor: { type: local }
    services: [${JSON.stringify(service)}]
    checks:
      - { type: tcp, name: toy, port: ${port} }
`,
  );
  let daemon = await Daemon.start({ configFile: file, log: silentLogger });
  let asked: string;
  try {
    asked = (await until('a pending approval', () => daemon.alerting.approvals.pending()[0])).id;
  } finally {
    await daemon.stop();
  }
  daemon = await Daemon.start({ configFile: file, log: silentLogger });
  try {
    assert.deepEqual(daemon.alerting.approvals.pending().map((a) => [a.id, a.action, a.target, a.service]), [[asked, 'start-service', 'local', 'toy']], 'listed again after the restart');
    // The runbook runs again for the open incident and asks the same question: still one, same id.
    await until('the runbook asking again', () => timeline().filter((e) => e.includes(`(id ${asked},`)).length >= 2);
    assert.deepEqual(daemon.alerting.approvals.pending().map((a) => a.id), [asked]);
    assert.equal(daemon.alerting.approvals.approve(asked, 'hanako'), true);
    await until('the toy service answering', () => new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    }), 30_000);
    await until('approved by hanako in the timeline', () => timeline().some((t) => /^approved by hanako: start toy/.test(t)), 30_000);
  } finally {
    await daemon.stop();
  }
});

/** Every timeline text in the daemon's store, read from its SQLite file read-only. */
function timeline(): string[] {
  const db = new BetterSqlite3(join(dir, 'daemon.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('select text from incident_events order by id').all() as Array<{ text: string }>).map((r) => r.text);
  } finally {
    db.close();
  }
}
