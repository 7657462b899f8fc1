/**
 * The file source against real files in a temp dir: appends, rotation by rename and by
 * copytruncate, replaced files, partial lines, restarts from the saved position, globs and
 * compressed files. Every test counts lines exactly: none lost, none twice.
 */
import assert from 'node:assert/strict';
import { appendFileSync, closeSync, mkdtempSync, openSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { silentLogger } from '../../src/core/log.ts';
import file from '../../src/guard/sources/file.ts';
import { sources } from '../../src/guard/sources/index.ts';
import type { LineBatch, Source } from '../../src/guard/sources/types.ts';

interface Rig {
  dir: string;
  lines: string[];
  batches: LineBatch[];
  start(opts?: Record<string, unknown>, paths?: string[]): Promise<Source>;
  /** Waits until `n` lines arrived, then two safety polls more, so extra (duplicate) lines would show. */
  settle(n: number): Promise<void>;
  done(): Promise<void>;
}

const POLL = 100;

async function rig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-src-'));
  const running: Source[] = [];
  const r: Rig = {
    dir,
    lines: [],
    batches: [],
    async start(opts = {}, paths = [join(dir, 'app.log')]) {
      const src = file.create(file.schema.parse({ paths, poll_interval: `${POLL}ms`, ...opts }), { name: 'test', stateDir: join(dir, 'state'), log: silentLogger });
      await src.start((b) => {
        r.batches.push(b);
        r.lines.push(...b.lines);
      });
      running.push(src);
      return src;
    },
    async settle(n) {
      const deadline = Date.now() + 5000;
      while (r.lines.length < n && Date.now() < deadline) await sleep(10);
      await sleep(POLL * 3);
    },
    async done() {
      for (const s of running.splice(0)) await s.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const numbered = (prefix: string, from: number, to: number) => Array.from({ length: to - from }, (_, i) => `${prefix} ${from + i}`);
const text = (lines: string[]) => lines.map((l) => l + '\n').join('');

test('registry: file and journald, each type equal to its key', () => {
  for (const [key, def] of Object.entries(sources)) assert.equal(def.type, key);
});

test('append: a first start begins at the end, then every appended line arrives once, in order', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, text(numbered('old', 0, 50)));
    await r.start();
    appendFileSync(log, text(numbered('new', 0, 3)));
    await r.settle(3);
    assert.deepEqual(r.lines, numbered('new', 0, 3));
    assert.equal(r.batches[0]!.file, log);
    assert.equal(r.batches[0]!.source, 'test');
    appendFileSync(log, text(numbered('new', 3, 1003)));
    await r.settle(1003);
    assert.deepEqual(r.lines, numbered('new', 0, 1003));
  } finally {
    await r.done();
  }
});

test('from: start reads what is already in the file', async () => {
  const r = await rig();
  try {
    writeFileSync(join(r.dir, 'app.log'), text(numbered('old', 0, 20)));
    await r.start({ from: 'start' });
    await r.settle(20);
    assert.deepEqual(r.lines, numbered('old', 0, 20));
  } finally {
    await r.done();
  }
});

test('a partial last line is held until its newline arrives, CRLF is trimmed, empty lines dropped', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    await r.start();
    appendFileSync(log, 'Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found fam');
    await sleep(POLL * 3);
    assert.deepEqual(r.lines, []);
    appendFileSync(log, 'ily@:178.216.51.67\r\n\n\nnext\n');
    await r.settle(2);
    assert.deepEqual(r.lines, ['Jan 19 20:38:08 s68 vpopmail[8101]: vchkpw-pop3: vpopmail user not found family@:178.216.51.67', 'next']);
  } finally {
    await r.done();
  }
});

test('a first start in the middle of a line being written reads that line whole', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, 'complete\nhalf wri');
    await r.start();
    appendFileSync(log, 'tten\n');
    await r.settle(1);
    assert.deepEqual(r.lines, ['half written']);
  } finally {
    await r.done();
  }
});

test('rename rotation: the old file is finished to its end (lines written to it after the rename too), then the new file from its start', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    const fd = openSync(log, 'a');
    await r.start();
    writeSync(fd, text(numbered('a', 0, 100)));
    // All in one tick, as a daemon racing logrotate would: rename, keep writing to the old
    // descriptor, then reopen the new file.
    renameSync(log, log + '.1');
    writeSync(fd, text(numbered('a', 100, 150)));
    closeSync(fd);
    writeFileSync(log, text(numbered('b', 0, 70)));
    await r.settle(220);
    assert.deepEqual(r.lines, [...numbered('a', 0, 150), ...numbered('b', 0, 70)]);
    assert.equal(r.batches.at(-1)!.file, log);
  } finally {
    await r.done();
  }
});

test('rename rotation: a daemon still writing to the renamed file after the switch is still read (until it goes quiet)', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    const fd = openSync(log, 'a');
    await r.start();
    writeSync(fd, text(numbered('a', 0, 10)));
    renameSync(log, log + '.1');
    writeFileSync(log, text(numbered('b', 0, 5)));
    await r.settle(15); // the source has switched to the new file
    writeSync(fd, text(numbered('a', 10, 20))); // the daemon has not reopened yet
    closeSync(fd);
    await r.settle(25);
    assert.deepEqual(r.lines.filter((l) => l.startsWith('a ')), numbered('a', 0, 20));
    assert.deepEqual(r.lines.filter((l) => l.startsWith('b ')), numbered('b', 0, 5));
    assert.equal(r.lines.length, 25);
  } finally {
    await r.done();
  }
});

test('inotify drives it: with the safety poll an hour away, appends, rotation and truncation still arrive', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    await r.start({ poll_interval: '1h' });
    appendFileSync(log, text(numbered('a', 0, 5)));
    await r.settle(5);
    renameSync(log, log + '.1');
    writeFileSync(log, text(numbered('b', 0, 5)));
    await r.settle(10);
    truncateSync(log, 0);
    appendFileSync(log, 'c 0\n');
    await r.settle(11);
    assert.deepEqual(r.lines, [...numbered('a', 0, 5), ...numbered('b', 0, 5), 'c 0']);
  } finally {
    await r.done();
  }
});

test('copytruncate: a shrunk file is read again from 0, and so is one truncated then refilled past the old offset', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    await r.start();
    appendFileSync(log, text(numbered('first', 0, 40)));
    await r.settle(40);
    truncateSync(log, 0);
    appendFileSync(log, text(numbered('second', 0, 5)));
    await r.settle(45);
    assert.deepEqual(r.lines, [...numbered('first', 0, 40), ...numbered('second', 0, 5)]);
    // Truncated and refilled with more than was read before the source looked: the size alone
    // cannot tell, the first line's hash does.
    truncateSync(log, 0);
    appendFileSync(log, text(numbered('third', 0, 200)));
    await r.settle(245);
    assert.deepEqual(r.lines, [...numbered('first', 0, 40), ...numbered('second', 0, 5), ...numbered('third', 0, 200)]);
  } finally {
    await r.done();
  }
});

test('restart: resumes at the saved position, a partial line written while stopped is read whole, nothing twice', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    const s1 = await r.start();
    appendFileSync(log, text(numbered('x', 0, 100)) + 'partial be');
    await r.settle(100);
    await s1.stop();
    appendFileSync(log, 'fore stop\n' + text(numbered('x', 100, 150)) + 'still open');
    await r.start();
    await r.settle(151);
    appendFileSync(log, ' and done\n');
    await r.settle(152);
    assert.deepEqual(r.lines, [...numbered('x', 0, 100), 'partial before stop', ...numbered('x', 100, 150), 'still open and done']);
  } finally {
    await r.done();
  }
});

test('restart: stopped and started five times while a writer keeps writing, every line arrives exactly once', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    const fd = openSync(log, 'a');
    let n = 0;
    const timer = setInterval(() => {
      // Lines are written in pieces, so a stop often falls in the middle of one.
      for (let i = 0; i < 3; i++) {
        const line = `line ${n++} ${'p'.repeat(n % 50)}\n`;
        writeSync(fd, line.slice(0, 7));
        writeSync(fd, line.slice(7));
      }
    }, 1);
    for (let i = 0; i < 5; i++) {
      const s = await r.start({ from: 'start' });
      await sleep(40);
      await s.stop();
      await sleep(15);
    }
    clearInterval(timer);
    closeSync(fd);
    await r.start({ from: 'start' });
    await r.settle(n);
    const seen = r.lines.map((l) => Number(l.split(' ')[1]));
    assert.equal(seen.length, n);
    assert.deepEqual(seen, Array.from({ length: n }, (_, i) => i));
  } finally {
    await r.done();
  }
});

test('restart: a file rotated by rename while stopped is finished from its saved offset, then the new one is read', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    const s1 = await r.start();
    appendFileSync(log, text(numbered('old', 0, 30)));
    await r.settle(30);
    await s1.stop();
    appendFileSync(log, text(numbered('old', 30, 60)));
    renameSync(log, log + '.1');
    writeFileSync(log, text(numbered('new', 0, 25)));
    await r.start();
    await r.settle(85);
    assert.deepEqual(r.lines, [...numbered('old', 0, 60), ...numbered('new', 0, 25)]);
  } finally {
    await r.done();
  }
});

test('restart: a file replaced in place (same inode, new content) is read from its start', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    const s1 = await r.start();
    appendFileSync(log, text(numbered('before', 0, 10)));
    await r.settle(10);
    await s1.stop();
    const ino = statSync(log).ino;
    writeFileSync(log, text(numbered('replaced', 0, 300))); // O_TRUNC: same inode, longer than the saved offset
    assert.equal(statSync(log).ino, ino);
    await r.start();
    await r.settle(310);
    assert.deepEqual(r.lines, [...numbered('before', 0, 10), ...numbered('replaced', 0, 300)]);
  } finally {
    await r.done();
  }
});

test('restart: a file deleted and created again is new and read from its start', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    const s1 = await r.start();
    appendFileSync(log, text(numbered('before', 0, 10)));
    await r.settle(10);
    await s1.stop();
    unlinkSync(log);
    writeFileSync(log, text(numbered('recreated', 0, 12)));
    await r.start();
    await r.settle(22);
    assert.deepEqual(r.lines, [...numbered('before', 0, 10), ...numbered('recreated', 0, 12)]);
  } finally {
    await r.done();
  }
});

test('glob: many files followed, files created later picked up from their start, compressed files never read', async () => {
  const r = await rig();
  try {
    const names = Array.from({ length: 25 }, (_, i) => join(r.dir, `site${i}.log`));
    for (const n of names) writeFileSync(n, 'old line\n');
    writeFileSync(join(r.dir, 'site0.log.1.gz'), gzipSync(text(numbered('gz', 0, 10))));
    writeFileSync(join(r.dir, 'site99.log'), gzipSync(text(numbered('gz-plain-name', 0, 10)))); // compressed under a plain name
    await r.start({}, [join(r.dir, 'site*.log'), join(r.dir, 'site*.log.*')]);
    for (const n of names) appendFileSync(n, text(numbered(n, 0, 4)));
    const late = join(r.dir, 'site-late.log');
    writeFileSync(late, text(numbered('late', 0, 6)));
    writeFileSync(join(r.dir, 'site5.log.2.gz'), gzipSync('rotated\n'));
    await r.settle(25 * 4 + 6);
    assert.equal(r.lines.length, 25 * 4 + 6);
    for (const n of names) assert.deepEqual(r.batches.filter((b) => b.file === n).flatMap((b) => b.lines), numbered(n, 0, 4));
    assert.deepEqual(r.batches.filter((b) => b.file === late).flatMap((b) => b.lines), numbered('late', 0, 6));
    assert.ok(!r.lines.some((l) => l.startsWith('gz') || l === 'rotated' || l === 'old line'));
  } finally {
    await r.done();
  }
});

test('glob app.log*: after rename rotation the old file is followed as app.log.1, its lines are not read twice', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    await r.start({ from: 'start' }, [log + '*']);
    appendFileSync(log, text(numbered('a', 0, 20)));
    await r.settle(20);
    renameSync(log, log + '.1');
    appendFileSync(log + '.1', text(numbered('a', 20, 25)));
    writeFileSync(log, text(numbered('b', 0, 7)));
    await r.settle(32);
    assert.deepEqual(r.lines.filter((l) => l.startsWith('a ')), numbered('a', 0, 25));
    assert.deepEqual(r.lines.filter((l) => l.startsWith('b ')), numbered('b', 0, 7));
    assert.equal(r.lines.length, 32);
  } finally {
    await r.done();
  }
});

test('glob: a new file that starts with the same header line as a followed one is still read from its start', async () => {
  const r = await rig();
  try {
    const a = join(r.dir, 'a.log');
    writeFileSync(a, '#Version: 1.0\n#Fields: date time c-ip\n');
    await r.start({ from: 'start' }, [join(r.dir, '*.log')]);
    await r.settle(2);
    writeFileSync(join(r.dir, 'b.log'), '#Version: 1.0\n#Fields: date time c-ip\nb line\n');
    await r.settle(5);
    assert.deepEqual(r.batches.filter((b) => b.file === join(r.dir, 'b.log')).flatMap((b) => b.lines), ['#Version: 1.0', '#Fields: date time c-ip', 'b line']);
  } finally {
    await r.done();
  }
});

test('a line longer than max_line_length keeps its head and tail (the address may be at either); the lines after it are intact', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, '');
    await r.start({ max_line_length: 300 });
    appendFileSync(log, 'y'.repeat(5000) + '\nafter\n' + 'z'.repeat(2000));
    appendFileSync(log, 'z'.repeat(2000) + '\nlast\n');
    await r.settle(4);
    const long = 'y'.repeat(150) + ' [...] ' + 'y'.repeat(150);
    assert.deepEqual(r.lines, [long, 'after', 'z'.repeat(150) + ' [...] ' + 'z'.repeat(150), 'last']);
  } finally {
    await r.done();
  }
});

test('the position file is JSON written atomically beside nothing else', async () => {
  const r = await rig();
  try {
    const log = join(r.dir, 'app.log');
    writeFileSync(log, 'one\n');
    const s = await r.start({ from: 'start' });
    await r.settle(1);
    await s.stop();
    const { readFileSync, readdirSync } = await import('node:fs');
    assert.deepEqual(readdirSync(join(r.dir, 'state')), ['test.file.json']);
    const state = JSON.parse(readFileSync(join(r.dir, 'state', 'test.file.json'), 'utf8'));
    const st = statSync(log, { bigint: true });
    assert.deepEqual(state.files[log], { dev: String(st.dev), ino: String(st.ino), offset: 4, head_hash: state.files[log].head_hash, head_len: 4 });
    assert.match(state.files[log].head_hash, /^[0-9a-f]{32}$/);
  } finally {
    await r.done();
  }
});
