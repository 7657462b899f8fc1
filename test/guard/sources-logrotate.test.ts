/**
 * The file source against the real logrotate (Debian package `logrotate`), with a daemon-like
 * writer that keeps writing through the rotation: rename (create + compress), copytruncate, and
 * both with a glob that also matches the rotated file. Every line written is read exactly once.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { silentLogger } from '../../src/core/log.ts';
import file from '../../src/guard/sources/file.ts';
import type { Source } from '../../src/guard/sources/types.ts';
import { needs } from '../helpers/prereq.ts';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const POLL = 100;

async function setup(paths: (dir: string) => string[], rotateConf: string) {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-logrotate-'));
  const log = join(dir, 'app.log');
  writeFileSync(log, '');
  writeFileSync(join(dir, 'logrotate.conf'), `${log} {\n${rotateConf}\n}\n`, { mode: 0o644 });
  const lines: string[] = [];
  const src: Source = file.create(file.schema.parse({ paths: paths(dir), poll_interval: `${POLL}ms`, from: 'start' }), {
    name: 'mail',
    stateDir: join(dir, 'state'),
    log: silentLogger,
  });
  await src.start((b) => lines.push(...b.lines));
  return {
    dir,
    log,
    lines,
    rotate: () => run('logrotate', ['--state', join(dir, 'logrotate.state'), '--force', join(dir, 'logrotate.conf')]),
    async settle(n: number) {
      const deadline = Date.now() + 5000;
      while (lines.length < n && Date.now() < deadline) await sleep(10);
      await sleep(POLL * 3);
    },
    async done() {
      await src.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A daemon that writes a numbered line every millisecond through an O_APPEND descriptor it reopens on demand (its HUP). */
function writer(log: string) {
  let fd = openSync(log, 'a');
  let n = 0;
  const timer = setInterval(() => {
    for (let i = 0; i < 3; i++) writeSync(fd, `Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found u${n++}@:178.216.51.67\n`);
  }, 1);
  return {
    reopen() {
      closeSync(fd);
      fd = openSync(log, 'a');
    },
    stop() {
      clearInterval(timer);
      closeSync(fd);
      return n;
    },
  };
}

/** Each number 0..n-1 exactly once. */
function assertEachOnce(lines: string[], n: number) {
  const seen = lines.map((l) => Number(/ u(\d+)@/.exec(l)?.[1] ?? -1)).sort((a, b) => a - b);
  assert.equal(seen.length, n, `expected ${n} lines, got ${seen.length}`);
  assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
}

test('logrotate rename (create, compress): lines written during the rotation are all read, once; the .gz is not read', async (t) => {
  if (needs(t, { commands: ['logrotate'] })) return;
  const r = await setup((dir) => [join(dir, 'app.log')], '  rotate 3\n  create 0640\n  compress\n  missingok');
  try {
    const w = writer(r.log);
    await sleep(30);
    await r.rotate();
    await sleep(30); // the daemon keeps writing to the renamed (and, after compress, deleted) file
    w.reopen();
    await sleep(30);
    const n = w.stop();
    await r.settle(n);
    assert.ok(existsSync(r.log + '.1.gz'), 'logrotate compressed the rotated file');
    assert.ok(gunzipSync(readFileSync(r.log + '.1.gz')).length > 0);
    assertEachOnce(r.lines, n);
  } finally {
    await r.done();
  }
});

test('logrotate rename with the glob app.log*: the rotated app.log.1 is the same file, not read twice', async (t) => {
  if (needs(t, { commands: ['logrotate'] })) return;
  const r = await setup((dir) => [join(dir, 'app.log*')], '  rotate 3\n  create 0640\n  nocompress');
  try {
    const w = writer(r.log);
    await sleep(30);
    await r.rotate();
    await sleep(30);
    w.reopen();
    await sleep(30);
    const n = w.stop();
    await r.settle(n);
    assert.ok(existsSync(r.log + '.1'));
    assertEachOnce(r.lines, n);
  } finally {
    await r.done();
  }
});

test('logrotate copytruncate: the truncated file is read again from its start, nothing twice', async (t) => {
  if (needs(t, { commands: ['logrotate'] })) return;
  const r = await setup((dir) => [join(dir, 'app.log')], '  rotate 3\n  copytruncate\n  nocompress');
  try {
    const before = Array.from({ length: 500 }, (_, i) => `before ${i}`);
    appendFileSync(r.log, before.join('\n') + '\n');
    await r.settle(500);
    await r.rotate();
    assert.equal(readFileSync(r.log, 'utf8'), '', 'logrotate truncated the file');
    assert.equal(readFileSync(r.log + '.1', 'utf8').split('\n').length, 501);
    appendFileSync(r.log, 'after 0\nafter 1\n');
    await r.settle(502);
    assert.deepEqual(r.lines, [...before, 'after 0', 'after 1']);
  } finally {
    await r.done();
  }
});

test('logrotate copytruncate with the glob app.log*: the copy app.log.1 is not read again', async (t) => {
  if (needs(t, { commands: ['logrotate'] })) return;
  const r = await setup((dir) => [join(dir, 'app.log*')], '  rotate 3\n  copytruncate\n  nocompress');
  try {
    const before = Array.from({ length: 300 }, (_, i) => `before ${i}`);
    appendFileSync(r.log, before.join('\n') + '\n');
    await r.settle(300);
    await r.rotate();
    assert.ok(existsSync(r.log + '.1'));
    appendFileSync(r.log, 'after 0\n');
    await r.settle(301);
    assert.deepEqual(r.lines, [...before, 'after 0']);
  } finally {
    await r.done();
  }
});
