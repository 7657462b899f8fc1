/**
 * The hostile-server suite, writes: config edits as root through the real local executor in a
 * scratch tree where a user (uid 65534) has planted what an attacker would: a symlink at the old
 * fixed temporary name, a config file or directory of their own, a link to their file, a backup
 * directory of theirs, a pid file that is a link or not a pid. Asserted on the files themselves:
 * what was written where, what stayed untouched, and the reason a person is given.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lchownSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { backUp, ConfigFileError, editableFile, restore, writeConfig } from '../../src/actions/config-file.ts';
import { clearStalePidFile } from '../../src/actions/service-commands.ts';
import type { Executor } from '../../src/executors/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { localExecutor } from '../inspect/helpers.ts';

const prereq = { root: true };
const NOBODY = 65534;
const CONF = '<IfModule mpm_prefork_module>\n\tMaxRequestWorkers\t5\n</IfModule>\n';

describe('config edits as root on a server with other users', () => {
  let dir: string;
  let exec: Executor;
  let n = 0;
  /** A fresh Debian-like tree per test: apache2/{mods-available,mods-enabled}, a backup dir, a victim file. */
  const tree = () => {
    const root = join(dir, `t${++n}`);
    mkdirSync(join(root, 'apache2', 'mods-available'), { recursive: true });
    mkdirSync(join(root, 'apache2', 'mods-enabled'));
    writeFileSync(join(root, 'apache2', 'mods-available', 'mpm_prefork.conf'), CONF);
    symlinkSync('../mods-available/mpm_prefork.conf', join(root, 'apache2', 'mods-enabled', 'mpm_prefork.conf'));
    writeFileSync(join(root, 'victim'), 'root-only content\n');
    return { root, conf: join(root, 'apache2', 'mods-available', 'mpm_prefork.conf'), link: join(root, 'apache2', 'mods-enabled', 'mpm_prefork.conf'), backups: join(root, 'backups'), victim: join(root, 'victim') };
  };
  /** The whole edit as raise-worker-limit does it: check, back up, write from the backup. */
  const edit = async (path: string, backups: string, change: (t: string) => string) => {
    const f = await editableFile(exec, path);
    const backup = await backUp(exec, f.real, backups, Date.now());
    await writeConfig(exec, f.real, change(readFileSync(backup, 'utf8')), backup);
    return { f, backup };
  };
  const raise = (t: string) => t.replace('\t5', '\t10');

  before(() => {
    if (missing(prereq)) return;
    dir = mkdtempSync(join(tmpdir(), 'mamoru-cfg-'));
    exec = localExecutor();
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a symlink planted at the old fixed temporary name is neither written through nor put in place', async (t) => {
    if (needs(t, prereq)) return;
    const x = tree();
    symlinkSync(x.victim, `${x.conf}.mamoru-new`);
    await edit(x.conf, x.backups, raise);
    assert.equal(readFileSync(x.victim, 'utf8'), 'root-only content\n');
    assert.equal(readFileSync(x.conf, 'utf8'), raise(CONF));
    assert.ok(lstatSync(x.conf).isFile(), 'the config is a regular file, not the planted link');
    assert.equal(readlinkSync(`${x.conf}.mamoru-new`), x.victim, 'the planted link is left as it was');
    assert.deepEqual(readdirSync(join(x.root, 'apache2', 'mods-available')).sort(), ['mpm_prefork.conf', 'mpm_prefork.conf.mamoru-new'], 'no temporary file is left behind');
  });

  test("Debian's mods-enabled link: the real file in mods-available is changed and restored, the link stays a link", async (t) => {
    if (needs(t, prereq)) return;
    const x = tree();
    chmodSync(x.conf, 0o640);
    const { f, backup } = await edit(x.link, x.backups, raise);
    assert.equal(f.real, x.conf);
    assert.equal(f.link, x.link);
    assert.equal(readlinkSync(x.link), '../mods-available/mpm_prefork.conf');
    assert.equal(readFileSync(x.link, 'utf8'), raise(CONF));
    assert.equal(lstatSync(x.conf).mode & 0o777, 0o640, 'the file keeps its mode');
    assert.equal(readFileSync(backup, 'utf8'), CONF);
    assert.equal(lstatSync(x.backups).mode & 0o777, 0o700);
    await restore(exec, backup, f.real);
    assert.equal(readlinkSync(x.link), '../mods-available/mpm_prefork.conf');
    assert.equal(readFileSync(x.conf, 'utf8'), CONF);
    assert.ok(lstatSync(x.conf).isFile());
  });

  for (const [label, plant, reason] of [
    ['the file is owned by a user', (x: ReturnType<typeof tree>) => chownSync(x.conf, NOBODY, 0), /mpm_prefork.conf is owned by uid 65534, not root/],
    ['the file is group-writable', (x: ReturnType<typeof tree>) => chmodSync(x.conf, 0o664), /is writable by others \(mode 0664\)/],
    ['its directory is writable by everyone', (x: ReturnType<typeof tree>) => chmodSync(join(x.root, 'apache2', 'mods-available'), 0o777), /the directory .*mods-available is writable by others \(mode 0777\)/],
    ['a directory above it belongs to a user', (x: ReturnType<typeof tree>) => chownSync(join(x.root, 'apache2'), NOBODY, 0), /the directory .*\/apache2 is owned by uid 65534, not root/],
    ['the link points into a user\'s directory', (x: ReturnType<typeof tree>) => {
      mkdirSync(join(x.root, 'home'));
      chownSync(join(x.root, 'home'), NOBODY, 0);
      writeFileSync(join(x.root, 'home', 'evil.conf'), CONF);
      rmSync(x.link);
      symlinkSync(join(x.root, 'home', 'evil.conf'), x.link);
    }, /is a symlink to .*home\/evil.conf, and the directory .*home is owned by uid 65534, not root/],
    ['the link is a user\'s', (x: ReturnType<typeof tree>) => {
      // The link itself, not what it names.
      lchownSync(x.link, NOBODY, 0);
    }, /is a symlink owned by uid 65534, not root/],
    ['the file has a second hard link', (x: ReturnType<typeof tree>) => linkSync(x.conf, join(x.root, 'hard')), /has 2 hard links/],
  ] as const) {
    test(`refused, nothing written, a person told why: ${label}`, async (t) => {
      if (needs(t, prereq)) return;
      const x = tree();
      plant(x);
      const before = readFileSync(x.link, 'utf8');
      await assert.rejects(edit(x.link, x.backups, raise), (e: unknown) => {
        assert.ok(e instanceof ConfigFileError && e.needsPerson, String(e));
        assert.match(e.message, /^mamoru will not change .* as root: /);
        assert.match(e.message, reason);
        assert.match(e.message, /A person should check the file and its directories$/);
        return true;
      });
      assert.equal(readFileSync(x.link, 'utf8'), before);
      assert.equal(existsSync(x.backups), false, 'no backup was even taken');
    });
  }

  test('the file changed between the backup and the write: the other change stays, nothing of ours is written', async (t) => {
    if (needs(t, prereq)) return;
    const x = tree();
    const f = await editableFile(exec, x.conf);
    const backup = await backUp(exec, f.real, x.backups, Date.now());
    writeFileSync(x.conf, CONF + '# an operator was here\n');
    await assert.rejects(writeConfig(exec, f.real, raise(CONF), backup), (e: unknown) => e instanceof ConfigFileError && e.needsPerson && /changed since it was backed up; not overwritten/.test(e.message));
    assert.equal(readFileSync(x.conf, 'utf8'), CONF + '# an operator was here\n');
    assert.deepEqual(readdirSync(join(x.root, 'apache2', 'mods-available')), ['mpm_prefork.conf'], 'the temporary file is removed');
  });

  test('a backup directory a user owns (or made world-writable) is refused', async (t) => {
    if (needs(t, prereq)) return;
    const x = tree();
    mkdirSync(x.backups);
    chownSync(x.backups, NOBODY, 0);
    await assert.rejects(backUp(exec, x.conf, x.backups, Date.now()), /mamoru will not write a backup into .*backups: the directory .*backups is owned by uid 65534, not root/);
    chownSync(x.backups, 0, 0);
    chmodSync(x.backups, 0o777);
    await assert.rejects(backUp(exec, x.conf, x.backups, Date.now()), /is writable by others \(mode 0777\)/);
    assert.deepEqual(readdirSync(x.backups), []);
  });

  test('pid files: only a small regular file holding the number of a process that is gone is removed', async (t) => {
    if (needs(t, prereq)) return;
    const x = tree();
    const pf = join(x.root, 'apache2.pid');
    // A pid that cannot be running (above the kernel's pid_max).
    writeFileSync(pf, '99999999\n');
    assert.equal((await clearStalePidFile(exec, pf, false))?.removed, true);
    assert.equal(existsSync(pf), false);
    for (const [what, make, said] of [
      ['a symlink to a file', () => symlinkSync(x.victim, pf), /it is a symlink, not a pid file/],
      ['text, not a number', () => writeFileSync(pf, 'not a pid\n'), /it does not hold a process id/],
      ['pid 1', () => writeFileSync(pf, '1\n'), /it names pid 1/],
      ['a large file', () => writeFileSync(pf, '9'.repeat(100)), /it holds 100 bytes, more than a pid/],
      ['a directory', () => mkdirSync(pf), /it is a directory, not a pid file/],
    ] as const) {
      rmSync(pf, { recursive: true, force: true });
      make();
      const r = await clearStalePidFile(exec, pf, false);
      assert.equal(r?.removed, false, what);
      assert.match(r!.text, said, what);
      assert.ok(existsSync(pf) || lstatSync(pf).isSymbolicLink(), `${what} is still there`);
    }
    assert.equal(readFileSync(x.victim, 'utf8'), 'root-only content\n');
    rmSync(pf, { recursive: true, force: true });
    writeFileSync(pf, `${process.pid}\n`);
    assert.equal(await clearStalePidFile(exec, pf, false), undefined, 'a running process keeps its pid file');
    assert.equal(existsSync(pf), true);
  });
});
