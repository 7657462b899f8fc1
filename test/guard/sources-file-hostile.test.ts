/**
 * The file source against what someone who can write a watched log directory may plant there (a
 * site's logs dir, /var/log/apache2 for the adm group): FIFOs with no writer, which must neither
 * hang the source nor hold libuv's four threads (every fs call of the daemon would stop), and
 * symlinks to files they cannot read themselves. Kept apart from sources-file.test.ts, which
 * covers following and rotation.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { expandPatterns } from '../../src/guard/sources/file-glob.ts';
import { FollowedFile } from '../../src/guard/sources/file-reader.ts';
import file from '../../src/guard/sources/file.ts';
import type { Source } from '../../src/guard/sources/types.ts';

const POLL = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A scratch stand-in for /etc/shadow: what must never reach the filters. */
const SECRET = 'root:$6$not-for-your-eyes:19000:0:99999:7:::';

interface Warning {
  file: string;
  why: string;
}

async function hostileDir(): Promise<{ dir: string; logs: string; fifo(name: string): string; done(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-hostile-src-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(dir, 'shadow'), SECRET + '\n', { mode: 0o600 });
  return {
    dir,
    logs,
    fifo(name) {
      const p = join(logs, name);
      execFileSync('mkfifo', [p]);
      return p;
    },
    done: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Starts a file source on `paths`, collecting its lines and its warnings. */
async function follow(dir: string, paths: string[]): Promise<{ src: Source; lines: string[]; warnings: Warning[] }> {
  const lines: string[] = [];
  const warnings: Warning[] = [];
  const log = pino({ level: 'warn' }, { write: (s: string) => void warnings.push(JSON.parse(s) as Warning) });
  const src = file.create(file.schema.parse({ paths, from: 'start', poll_interval: `${POLL}ms` }), { name: 'hostile', stateDir: join(dir, 'state'), log });
  await src.start((b) => lines.push(...b.lines));
  return { src, lines, warnings };
}

/** A plain file read through libuv's threads: fails the test if they are all held. */
async function fsStillAnswers(path: string): Promise<void> {
  const t0 = performance.now();
  await readFile(path);
  assert.ok(performance.now() - t0 < 1000, `a plain readFile took ${performance.now() - t0} ms`);
}

test('glob: FIFOs and a symlink to a secret are skipped with one warning each; the real lines arrive; fs calls never wait', async () => {
  const h = await hostileDir();
  let src: Source | undefined;
  try {
    const app = join(h.logs, 'app.log');
    writeFileSync(app, 'Jan 19 20:38:08 s68 sshd[1]: first\n');
    // More FIFOs than libuv has threads: a blocking open of each would stop every fs call.
    const fifos = Array.from({ length: 8 }, (_, i) => h.fifo(`fifo-${i}.log`));
    symlinkSync(join(h.dir, 'shadow'), join(h.logs, 'leak.log'));
    const t0 = performance.now();
    const f = await follow(h.dir, [join(h.logs, '*.log')]);
    src = f.src;
    assert.ok(performance.now() - t0 < 2000, `start took ${performance.now() - t0} ms`);
    await fsStillAnswers(app);
    appendFileSync(app, 'Jan 19 20:38:09 s68 sshd[1]: second\n');
    // Planted while running: picked up by the rescan, and skipped the same way.
    h.fifo('late.log');
    symlinkSync(join(h.dir, 'shadow'), join(h.logs, 'late-link.log'));
    await sleep(POLL * 6);
    await fsStillAnswers(app);
    assert.deepEqual(f.lines, ['Jan 19 20:38:08 s68 sshd[1]: first', 'Jan 19 20:38:09 s68 sshd[1]: second']);
    assert.ok(!f.lines.some((l) => l.includes('not-for-your-eyes')), 'the secret behind the symlink was read');
    const byFile = new Map<string, string[]>();
    for (const w of f.warnings) byFile.set(w.file, [...(byFile.get(w.file) ?? []), w.why]);
    for (const p of [...fifos, join(h.logs, 'late.log')]) assert.deepEqual(byFile.get(p), ['not a regular file (a FIFO)'], p);
    for (const p of [join(h.logs, 'leak.log'), join(h.logs, 'late-link.log')]) assert.deepEqual(byFile.get(p), ['a symbolic link (links found by a glob are not followed)'], p);
    assert.equal(byFile.size, 11, 'warned of nothing else, each once over several polls');
  } finally {
    await src?.stop();
    h.done();
  }
});

test('a path written out in full is followed through its symlink (the operator named it); one that is a FIFO is skipped, not waited on', async () => {
  const h = await hostileDir();
  let src: Source | undefined;
  try {
    const real = join(h.dir, 'real.log');
    writeFileSync(real, 'one\n');
    const named = join(h.logs, 'syslog');
    symlinkSync(real, named);
    const fifo = h.fifo('named-fifo.log');
    const f = await follow(h.dir, [named, fifo]);
    src = f.src;
    appendFileSync(real, 'two\n');
    await sleep(POLL * 4);
    await fsStillAnswers(real);
    assert.deepEqual(f.lines, ['one', 'two']);
    assert.deepEqual(
      f.warnings.map((w) => [w.file, w.why]),
      [[fifo, 'not a regular file (a FIFO)']],
    );
  } finally {
    await src?.stop();
    h.done();
  }
});

test('the race: a FIFO or symlink opened by name (swapped in after listing) is refused at open, without blocking', async () => {
  const h = await hostileDir();
  try {
    const fifos = Array.from({ length: 8 }, (_, i) => h.fifo(`swapped-${i}.log`));
    const t0 = performance.now();
    // Even where links are followed, a FIFO's open must not wait for a writer.
    const opened = await Promise.all(fifos.map((p) => FollowedFile.open(p, { follow: true })));
    assert.ok(performance.now() - t0 < 1000, `the opens took ${performance.now() - t0} ms`);
    for (const r of opened) assert.deepEqual(r, { why: 'not a regular file (a FIFO)', warn: true });
    const link = join(h.logs, 'swapped-link.log');
    symlinkSync(join(h.dir, 'shadow'), link);
    assert.deepEqual(await FollowedFile.open(link, { follow: false }), { why: 'a symbolic link (links found by a glob are not followed)', warn: true });
    const followed = await FollowedFile.open(link, { follow: true });
    assert.ok(followed instanceof FollowedFile);
    await followed.close();
    // What the expansion reports: the follow flag per match, and the skipped matches with why.
    writeFileSync(join(h.logs, 'ok.log'), 'x\n');
    const exp = await expandPatterns([join(h.logs, '*.log'), join(h.logs, 'swapped-link.log')]);
    assert.deepEqual(
      exp.files.map((x) => [x.path, x.follow]),
      [
        [join(h.logs, 'ok.log'), false],
        [link, true],
      ],
    );
    assert.deepEqual(exp.skipped.map((x) => x.path).sort(), [...fifos].sort());
  } finally {
    h.done();
  }
});
