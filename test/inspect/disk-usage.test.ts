/**
 * Disk usage against a tmpfs this test mounts: directories of known sizes, a directory with many
 * entries, and a file deleted while a child process (a shell and its sleep, two descriptors)
 * still holds it open; read from /proc and from lsof, locally and over SSH into the lab.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Executor } from '../../src/executors/types.ts';
import { inspectDeletedOpenFiles, inspectDiskUsage, inspectInodeHogs } from '../../src/inspect/disk-usage.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { localExecutor, printed, serverExecutor } from './helpers.ts';

const MiB = 1024 * 1024;

describe('disk usage on a tmpfs', () => {
  const prereq = { root: true, commands: ['mount', 'umount', 'du', 'find', 'stat', 'lsof', 'ip', '/usr/sbin/sshd'] };
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-disk-'));
  const mnt = join(dir, "mnt with space's");
  let mounted = false;
  let holder: ChildProcess | undefined;
  let lab: Lab;
  const via: Record<string, Executor> = {};

  before(async () => {
    if (missing(prereq)) return;
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'mamoru-test', mnt]);
    mounted = true;
    const put = (p: string, bytes: number) => {
      mkdirSync(join(mnt, p, '..'), { recursive: true });
      writeFileSync(join(mnt, p), Buffer.alloc(bytes, 1));
    };
    put('big/data.bin', 3 * MiB);
    put('big/more/part.bin', 1 * MiB);
    put('mid/file.bin', 2 * MiB);
    put('small/a.txt', 64 * 1024);
    for (let i = 0; i < 500; i++) put(`many/sess_${i}`, 0);
    for (let i = 0; i < 3; i++) put(`small/few_${i}`, 0);
    // A 5 MiB log deleted while a shell and its sleep both hold it open.
    put('logs/old.log', 5 * MiB);
    holder = spawn('sh', ['-c', 'exec 3<"$1"; rm "$1"; sleep 3600 & echo held; wait', 'sh', join(mnt, 'logs/old.log')], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    await printed(holder, 'held');
    lab = await createLab();
    via.local = localExecutor();
    via.ssh = (await serverExecutor(lab)).exec;
  });
  after(async () => {
    if (holder?.pid) try { process.kill(-holder.pid, 'SIGKILL'); } catch { /* gone */ }
    await via.local?.close();
    await lab?.destroy();
    if (mounted) {
      // The holders must be gone before the mount can go.
      for (let i = 0; i < 50 && spawnUmount(mnt) !== 0; i++) await new Promise((r) => setTimeout(r, 100));
    }
    if (!existsSync(join(mnt, 'big'))) rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ['local', 'ssh']) {
    test(`${name}: the largest directories, as du counts them on this filesystem`, async (t) => {
      if (needs(t, prereq)) return;
      const ev = await inspectDiskUsage(via[name]!, { path: mnt, top: 3 });
      assert.deepEqual(ev.largest, [
        { path: join(mnt, 'big'), bytes: 4 * MiB },
        { path: join(mnt, 'mid'), bytes: 2 * MiB },
        { path: join(mnt, 'small'), bytes: 64 * 1024 },
      ]);
      assert.equal(ev.totalBytes, (4 + 2) * MiB + 64 * 1024);
      assert.equal(ev.summary, `${mnt} holds 6.1 MiB; largest: ${mnt}/big 4.0 MiB, ${mnt}/mid 2.0 MiB, ${mnt}/small 64 KiB (the first is 66%)`);
    });

    test(`${name}: the deleted log still held open, counted once for its two holders`, async (t) => {
      if (needs(t, prereq)) return;
      for (const source of ['proc', 'lsof'] as const) {
        const ev = await inspectDeletedOpenFiles(via[name]!, { under: mnt, source });
        assert.equal(ev.source, source);
        assert.equal(ev.totalBytes, 5 * MiB, source);
        assert.deepEqual(
          ev.files.map((f) => [f.path, f.bytes, f.fd, f.process]).sort(),
          [
            [join(mnt, 'logs/old.log'), 5 * MiB, 3, 'sh'],
            [join(mnt, 'logs/old.log'), 5 * MiB, 3, 'sleep'],
          ],
          source,
        );
        assert.ok(ev.files.some((f) => f.pid === holder!.pid));
        assert.match(ev.summary, new RegExp(`^1 deleted file under .* still open, holding 5\\.0 MiB; largest .*old\\.log \\(5\\.0 MiB\\) held by (sh|sleep) \\d+$`));
      }
    });
  }

  test('local: the directories with the most entries', async (t) => {
    if (needs(t, prereq)) return;
    const ev = await inspectInodeHogs(via.local!, { path: mnt, top: 3 });
    // The top directory holds five: big, mid, small, many, logs.
    assert.deepEqual(ev.hogs, [
      { path: join(mnt, 'many'), entries: 500 },
      { path: mnt, entries: 5 },
      { path: join(mnt, 'small'), entries: 4 },
    ]);
    assert.equal(ev.summary, `most entries under ${mnt}: ${mnt}/many 500, ${mnt} 5, ${mnt}/small 4`);
  });
});

function spawnUmount(path: string): number {
  try {
    execFileSync('umount', [path], { stdio: 'ignore' });
    return 0;
  } catch {
    return 1;
  }
}
