/**
 * The disk probe on a small tmpfs the test mounts and fills, by size and separately by inodes,
 * side by side with check_disk for the same live condition (check_disk's thresholds are free
 * space: -w 20% free is our warning at 80% used).
 */
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NagiosState } from '../../src/core/nagios.ts';
import { formatPerfDatum } from '../../src/core/perfdata.ts';
import { targetFromAddress } from '../../src/core/target.ts';
import disk from '../../src/probes/disk.ts';
import { runCheck } from '../../src/scheduler/run-check.ts';
import { missing, needs, PLUGINS } from '../helpers/prereq.ts';

const CHECK_DISK = `${PLUGINS}/check_disk`;

function runDisk(options: Record<string, unknown>) {
  return runCheck(disk, targetFromAddress('localhost'), disk.schema.parse(options), { timeoutMs: 5000 });
}

function checkDisk(args: string[]): { state: number; text: string; perf: string } {
  let out: string;
  let state = 0;
  try {
    out = execFileSync(CHECK_DISK, args, { encoding: 'utf8' });
  } catch (e) {
    const err = e as { status: number; stdout: string };
    out = String(err.stdout);
    state = err.status;
  }
  const [text = '', perf = ''] = out.trim().split('|');
  return { state, text: text.trim(), perf: perf.trim() };
}

const leadingWords = (text: string) => /^DISK (OK|WARNING|CRITICAL|UNKNOWN)/.exec(text)?.[1];

describe('disk probe on a test tmpfs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-disk-'));
  let mounted = false;
  before(() => {
    if (missing({ root: true })) return;
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=200', 'tmpfs', dir]);
    mounted = true;
  });
  after(() => {
    if (mounted) execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });

  const clear = () => {
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
  };
  const fill = (bytes: number) => writeFileSync(join(dir, 'data.bin'), Buffer.alloc(bytes, 1));
  const files = (n: number) => {
    mkdirSync(join(dir, 'many'), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(dir, 'many', `f${i}`), '');
  };

  /** Our state and check_disk's for the same live condition, with equivalent thresholds. */
  async function both() {
    const ours = await runDisk({ path: [dir] });
    const theirs = checkDisk(['-w', '20%', '-c', '10%', '-W', '20%', '-K', '10%', '-p', dir]);
    assert.equal(ours.state, theirs.state, `ours: ${ours.text}\ncheck_disk: ${theirs.text}`);
    assert.equal(leadingWords(ours.text), leadingWords(theirs.text));
    return ours;
  }

  test('empty: OK, the used bytes, thresholds and size in perfdata exactly as check_disk prints them', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_DISK] })) return;
    clear();
    const r = await both();
    assert.equal(r.text, `DISK OK [Disk use 0% ${dir}] [Inum use 0% ${dir}]`);
    const theirs = checkDisk(['-w', '20%', '-c', '10%', '-p', dir]);
    assert.equal(formatPerfDatum(r.perfdata[0]!), theirs.perf);
    assert.equal(r.perfdata[1]!.label, `${dir} inodes`);
    assert.equal(r.perfdata[1]!.max, 200);
  });

  test('filled by size past 80% then 90% used: WARNING then CRITICAL, as check_disk -w 20% -c 10%', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_DISK] })) return;
    clear();
    fill(3_500_000); // 855 of 1024 pages: 83%
    const warn = await both();
    assert.equal(warn.state, NagiosState.WARNING);
    assert.equal(warn.text, `DISK WARNING [Disk use 83% ${dir}] [Inum use 1% ${dir}]`);
    fill(3_900_000); // 953 pages: 93%
    const crit = await both();
    assert.equal(crit.state, NagiosState.CRITICAL);
    assert.equal(crit.text, `DISK CRITICAL [Disk use 93% ${dir}] [Inum use 1% ${dir}]`);
    clear();
  });

  test('filled by inodes (many empty files) past 80% then 90%: WARNING then CRITICAL, as check_disk -W/-K', async (t) => {
    if (needs(t, { root: true, commands: [CHECK_DISK] })) return;
    clear();
    files(170); // root + directory + 170 files = 172 of 200: 86%
    const warn = await both();
    assert.equal(warn.state, NagiosState.WARNING);
    assert.equal(warn.text, `DISK WARNING [Disk use 0% ${dir}] [Inum use 86% ${dir}]`);
    clear();
    files(185); // 187 of 200: 93%
    const crit = await both();
    assert.equal(crit.state, NagiosState.CRITICAL);
    assert.match(crit.text, new RegExp(`^DISK CRITICAL \\[Disk use 0% ${dir}\\] \\[Inum use 93% ${dir}\\]$`));
    clear();
  });

  test('a path inside a mount reports that mount, each mount once', async (t) => {
    if (needs(t, { root: true })) return;
    clear();
    mkdirSync(join(dir, 'sub'));
    const r = await runDisk({ path: [join(dir, 'sub'), dir] });
    assert.equal(r.text, `DISK OK [Disk use 0% ${dir}] [Inum use 1% ${dir}]`);
    clear();
  });

  test('default list: real local filesystems including this tmpfs, no proc or sysfs; exclude_type leaves types out', async (t) => {
    if (needs(t, { root: true })) return;
    const all = await runDisk({});
    assert.ok(all.text.includes(`[Disk use 0% ${dir}]`), all.text);
    assert.ok(all.perfdata.some((p) => p.label === '/'), all.text);
    for (const p of ['/proc', '/sys', '/dev/pts']) assert.ok(!all.perfdata.some((d) => d.label === p), `${p} listed: ${all.text}`);
    const noTmpfs = await runDisk({ exclude_type: ['tmpfs'] });
    assert.ok(!noTmpfs.text.includes(dir), noTmpfs.text);
  });
});

describe('disk probe on a path that is not there', () => {
  test('CRITICAL with check_disk\'s own words', async (t) => {
    if (needs(t, { commands: [CHECK_DISK] })) return;
    const r = await runDisk({ path: ['/nonexistent/mamoru'] });
    assert.equal(r.state, NagiosState.CRITICAL);
    assert.equal(r.text, 'DISK CRITICAL - /nonexistent/mamoru is not accessible: No such file or directory');
    const theirs = checkDisk(['-w', '20%', '-c', '10%', '-p', '/nonexistent/mamoru']);
    assert.equal(theirs.state, r.state);
    assert.equal(theirs.text, r.text);
  });
});
