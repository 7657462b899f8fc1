/**
 * The local executor against real commands on this machine: the shared contract, plus what only
 * a local run shows (a daemon left behind by a command that exited normally is not killed), and
 * readFile against what a hostile directory may hold: FIFOs with no writer (which must neither
 * hang the read nor libuv's four threads), planted symlinks (and root's own, which are followed),
 * devices, and a read that passes its timeout.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, closeSync, constants, lchownSync, mkdirSync, mkdtempSync, openSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { open as openAsync, readFile as readFileAsync } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { secretsFromEnv } from '../../src/core/secrets.ts';
import { executors } from '../../src/executors/index.ts';
import { ExecutorError, type Executor } from '../../src/executors/types.ts';
import { isRunning, killAll } from '../lab/process.ts';
import { executorContract } from './contract.ts';

describe('local executor', () => {
  let exec: Executor;
  before(() => {
    exec = executors.local.create(executors.local.schema.parse({}), { secret: secretsFromEnv, log: silentLogger });
  });
  after(() => exec.close());

  executorContract(() => ({ exec }));

  test('a daemon a command leaves behind (as an init script does) survives the command', async () => {
    // setsid-less background child that closes its output: the command exits 0 right away.
    const r = await exec.run(['sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo $!']);
    assert.equal(r.code, 0);
    const pid = Number(r.stdout.trim());
    try {
      assert.equal(isRunning(pid), true);
    } finally {
      killAll([pid]);
    }
  });

  test('extra environment from the options reaches the command', async () => {
    const e = executors.local.create(executors.local.schema.parse({ env: { MAMORU_TEST_VAR: 'x y' } }), { secret: secretsFromEnv, log: silentLogger });
    const r = await e.run(['sh', '-c', 'printf %s "$MAMORU_TEST_VAR"']);
    assert.equal(r.stdout, 'x y');
    await e.close();
  });

  describe('readFile of what a hostile directory may hold', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'mamoru-hostile-read-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const fifo = (name: string) => {
      const p = join(dir, name);
      execFileSync('mkfifo', [p]);
      return p;
    };
    const refused = (why: RegExp) => (e: unknown) => {
      assert.ok(e instanceof ExecutorError, String(e));
      assert.equal(e.kind, 'read-file');
      assert.match(e.message, why);
      return true;
    };

    test('a FIFO with no writer is refused at once as "not a regular file"', async () => {
      const p = fifo('no-writer.log');
      const t0 = performance.now();
      await assert.rejects(exec.readFile(p, { maxBytes: 1000, timeoutMs: 60_000 }), refused(/not a regular file \(a FIFO\)/));
      await assert.rejects(exec.readFile(p, { maxBytes: 1000, tail: true }), refused(/not a regular file/));
      assert.ok(performance.now() - t0 < 1000, `took ${performance.now() - t0} ms`);
    });

    test('a device and a directory are refused without being opened', async () => {
      await assert.rejects(exec.readFile('/dev/zero', { maxBytes: 10 }), refused(/not a regular file \(a character device\)/));
      await assert.rejects(exec.readFile(dir, { maxBytes: 10 }), refused(/not a regular file \(a directory\)/));
    });

    test('a symlink someone else could have planted is refused and its target not read; root\'s own links (a2enmod\'s) are followed', async () => {
      const secret = join(dir, 'shadow');
      writeFileSync(secret, 'root:$6$secret-hash:19000:0:99999:7:::\n', { mode: 0o600 });
      const noSecret = (why: RegExp) => (e: unknown) => {
        refused(why)(e);
        assert.doesNotMatch((e as Error).message, /secret-hash/);
        return true;
      };
      // A site's logs directory its owner can write: the link is root's only by accident of who ran ln.
      const siteLogs = join(dir, 'site-logs');
      mkdirSync(siteLogs);
      chmodSync(siteLogs, 0o777);
      symlinkSync(secret, join(siteLogs, 'error.log'));
      await assert.rejects(exec.readFile(join(siteLogs, 'error.log'), { maxBytes: 1000, tail: true }), noSecret(/symbolic link .* which others can write/));
      // A link made by another user, in a directory only root writes (giving it away needs root).
      if (process.getuid?.() === 0) {
        const theirs = join(dir, 'theirs.log');
        symlinkSync(secret, theirs);
        lchownSync(theirs, 65534, 65534);
        await assert.rejects(exec.readFile(theirs, { maxBytes: 1000 }), noSecret(/symbolic link .* owned by uid 65534/));
      }
      // Debian's mods-enabled/x.conf -> ../mods-available/x.conf: root's link in root's directory.
      mkdirSync(join(dir, 'mods-available'));
      mkdirSync(join(dir, 'mods-enabled'));
      writeFileSync(join(dir, 'mods-available', 'mpm_event.conf'), 'MaxRequestWorkers 150\n');
      symlinkSync('../mods-available/mpm_event.conf', join(dir, 'mods-enabled', 'mpm_event.conf'));
      assert.equal(await exec.readFile(join(dir, 'mods-enabled', 'mpm_event.conf'), { maxBytes: 100 }), 'MaxRequestWorkers 150\n');
      // Followed, but what it leads to must still be a regular file; and a loop ends.
      symlinkSync(fifo('behind-a-link'), join(dir, 'fifo-link.log'));
      await assert.rejects(exec.readFile(join(dir, 'fifo-link.log'), { maxBytes: 1000, tail: true }), refused(/not a regular file \(a FIFO\)/));
      symlinkSync('loop-b', join(dir, 'loop-a'));
      symlinkSync('loop-a', join(dir, 'loop-b'));
      await assert.rejects(exec.readFile(join(dir, 'loop-a'), { maxBytes: 10 }), refused(/chain longer than 8 links/));
      // A link above the final component is followed as the kernel does: that is how /proc/net/tcp is reached.
      symlinkSync(siteLogs, join(dir, 'via'));
      writeFileSync(join(siteLogs, 'plain.log'), 'plain\n');
      assert.equal(await exec.readFile(join(dir, 'via', 'plain.log'), { maxBytes: 100 }), 'plain\n');
    });

    test('/proc files still read: status, meminfo, environ, net/tcp', async () => {
      assert.match(await exec.readFile(`/proc/${process.pid}/status`, { maxBytes: 16 * 1024 }), new RegExp(`^Pid:\\s+${process.pid}$`, 'm'));
      assert.match(await exec.readFile('/proc/self/status', { maxBytes: 16 * 1024 }), /^Uid:/m);
      assert.match(await exec.readFile('/proc/meminfo', { maxBytes: 64 * 1024 }), /^MemTotal:\s+\d+ kB$/m);
      const environ = await exec.readFile(`/proc/${process.pid}/environ`, { maxBytes: 256 * 1024 });
      assert.ok(environ.split('\0').some((kv) => kv.startsWith('PATH=')), 'PATH in environ');
      assert.match(await exec.readFile('/proc/net/tcp', { maxBytes: 1_000_000, tail: true }), /local_address|:[0-9A-F]{4} /);
    });

    test('eight FIFOs read at once neither hang nor stall the daemon\'s other fs calls', async () => {
      const plain = join(dir, 'plain.txt');
      writeFileSync(plain, 'x'.repeat(10_000));
      const fifos = Array.from({ length: 8 }, (_, i) => fifo(`many-${i}.log`));
      const t0 = performance.now();
      const reads = Promise.allSettled(fifos.map((p, i) => exec.readFile(p, { maxBytes: 1000, tail: i % 2 === 0, timeoutMs: 60_000 })));
      assert.equal((await readFileAsync(plain, 'utf8')).length, 10_000);
      assert.ok(performance.now() - t0 < 1000, `a plain readFile meanwhile took ${performance.now() - t0} ms`);
      const results = await reads;
      assert.ok(performance.now() - t0 < 2000, `the FIFO reads took ${performance.now() - t0} ms`);
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        refused(/not a regular file/)(r.reason);
      }
    });

    test('timeoutMs bounds the whole read (here: libuv threads all held elsewhere), and no descriptor is left open', async () => {
      // Hold every libuv thread with blocking opens of FIFOs (what the old readFile did to the
      // daemon): the read cannot even start, and must still answer at its timeout.
      const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
      const blockers = Array.from({ length: threads }, (_, i) => fifo(`blocker-${i}`));
      const held = blockers.map((p) => openAsync(p, 'r'));
      const file = join(dir, 'slow.log');
      writeFileSync(file, 'line\n');
      let writers: number[] | undefined;
      // A writer lets each blocked open return. Also after 5 s whatever happens, so a read that
      // ignores its timeout fails this test instead of hanging it.
      const release = () => (writers ??= blockers.map((p) => openSync(p, constants.O_WRONLY | constants.O_NONBLOCK)));
      const safety = setTimeout(release, 5000);
      try {
        const t0 = performance.now();
        await assert.rejects(exec.readFile(file, { maxBytes: 100, timeoutMs: 300 }), refused(/timed out after 300 ms/));
        const took = performance.now() - t0;
        assert.ok(took >= 280 && took < 1500, `answered after ${took} ms`);
      } finally {
        clearTimeout(safety);
        release();
        for (const h of await Promise.all(held)) await h.close();
        for (const w of writers ?? []) closeSync(w);
      }
      // The abandoned read ran on once the threads were free: it must not keep the file open.
      const openFds = () => readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      });
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(openFds(), []);
      assert.equal(await exec.readFile(file, { maxBytes: 100, timeoutMs: 1000 }), 'line\n');
    });
  });
});
