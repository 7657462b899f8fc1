#!/usr/bin/env node
/**
 * `npm test`: every test file under test/, each in its own `node --test` process through tsx,
 * in two lanes side by side. Files that use the machine (the lab's network namespaces and
 * daemons, the firewall, nginx, Chromium: whatever calls `test/helpers/prereq.ts` or lives under
 * test/lab, test/scenarios, test/firewall) run one at a time in the first lane; every other file
 * (its own temp dirs, ports chosen by the kernel) runs in the second lane at the same time. On
 * two cores that takes about the time of the longer lane instead of the sum of both.
 *
 *   npm test                       every file
 *   npm test -- test/store web/    only files whose path contains one of the words
 *   MAMORU_TEST_LANES=1 npm test   one file at a time, as before
 *
 * A file's output is printed when it ends (never interleaved). A file that fails is run once
 * more, alone, after both lanes: its first output is printed in full either way, and one that
 * passes the second time is reported as FLAKY in the summary (it still needs fixing). The exit
 * code is 1 when any file failed twice.
 *
 * A file that runs longer than MAMORU_TEST_FILE_TIMEOUT seconds (default 420) is stopped: SIGTERM
 * to its whole process group (the file, the daemons and browsers it started), SIGKILL 10 s later,
 * and it counts as a failure with what it printed so far. One hung file must never hold the whole
 * suite until CI's own limit: the lab's next file sweeps what the killed one left.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const filters = process.argv.slice(2);
const lanes = process.env.MAMORU_TEST_LANES === '1' ? 1 : 2;
const fileTimeoutMs = Number(process.env.MAMORU_TEST_FILE_TIMEOUT ?? 420) * 1000;

function testFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...testFiles(path));
    else if (entry.name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

const MACHINE_DIRS = ['test/lab/', 'test/scenarios/', 'test/firewall/'];
/** Whether a file needs the machine to itself: lab, firewall, system daemons, the browser. */
function usesMachine(file) {
  if (MACHINE_DIRS.some((d) => file.startsWith(d))) return true;
  // The browser tests drive Chromium; the package tests pack, build and install the whole tree.
  if (/\/browser-|\/pack|\/compiled/.test(file)) return true;
  const text = readFileSync(join(root, file), 'utf8');
  return /helpers\/prereq|chromium|\bnetns\b|\bnft\b/.test(text);
}

const all = testFiles(join(root, 'test')).sort();
const files = filters.length ? all.filter((f) => filters.some((w) => f.includes(w))) : all;
if (files.length === 0) {
  console.error(`no test file matches ${filters.join(' ')}`);
  process.exit(2);
}
const machine = files.filter(usesMachine);
const shared = files.filter((f) => !usesMachine(f));

/** Sends a signal to the file's process group (everything it started that did not make its own session). */
function signalGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    /* already gone */
  }
}

/** The processes of a group, with their age and state: what a hung file was waiting for. */
function processesOf(pgid) {
  const ps = spawnSync('ps', ['-eo', 'pid,ppid,pgid,etimes,stat,wchan:20,args', '--sort', 'pid'], { encoding: 'utf8', timeout: 5000 });
  const lines = (ps.stdout ?? '').split('\n');
  return [lines[0], ...lines.slice(1).filter((l) => l.trim().split(/\s+/)[2] === String(pgid))].map((l) => l.slice(0, 300)).join('\n');
}

/** Runs one file; resolves with what it printed and its counts. */
function runFile(file) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', file], { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    let timedOut = false;
    let killer;
    const limit = setTimeout(() => {
      timedOut = true;
      chunks.push(Buffer.from(`\nstill running after ${fileTimeoutMs / 1000} s; its processes:\n${processesOf(child.pid)}`));
      signalGroup(child, 'SIGTERM');
      killer = setTimeout(() => signalGroup(child, 'SIGKILL'), 10_000);
    }, fileTimeoutMs);
    // A daemon the file started with its output inherited keeps the pipes open after the file
    // itself has ended: give it 5 s, then stop the group and stop reading.
    let orphans;
    child.on('exit', () => {
      orphans = setTimeout(() => {
        signalGroup(child, 'SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
      }, 5_000);
    });
    child.on('close', (code, signal) => {
      clearTimeout(orphans);
      clearTimeout(limit);
      clearTimeout(killer);
      // Whatever it started and left behind in its group goes with it.
      signalGroup(child, 'SIGKILL');
      let text = Buffer.concat(chunks).toString('utf8');
      if (timedOut) text += `\nstopped: still running after ${fileTimeoutMs / 1000} s (MAMORU_TEST_FILE_TIMEOUT)\n`;
      const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
      resolve({ file, code: timedOut ? 1 : (code ?? 1), signal, timedOut, text, ms: Date.now() - started, tests: count('tests'), pass: count('pass'), fail: count('fail'), skipped: count('skipped'), todo: count('todo') });
    });
  });
}

const results = [];
function report(r, label = '') {
  const ok = r.code === 0;
  const line = `${ok ? 'ok  ' : r.timedOut ? 'HUNG' : 'FAIL'} ${r.file}  ${r.pass}/${r.tests} passed${r.skipped ? `, ${r.skipped} skipped` : ''}${r.todo ? `, ${r.todo} todo` : ''}  ${(r.ms / 1000).toFixed(1)} s${label}`;
  if (!ok || r.skipped || r.todo) process.stdout.write(`\n${'─'.repeat(100)}\n${r.text}\n`);
  console.log(line);
}

async function lane(list) {
  for (const file of list) {
    const r = await runFile(file);
    results.push(r);
    report(r);
  }
}

const t0 = Date.now();
console.log(`${files.length} test files: ${machine.length} one at a time (lab, firewall, browser), ${shared.length} beside them${lanes === 1 ? ' (MAMORU_TEST_LANES=1: all one at a time)' : ''}`);
if (lanes === 1) await lane(files);
else await Promise.all([lane(machine), lane(shared)]);

const failed = results.filter((r) => r.code !== 0);
const flaky = [];
const broken = [];
for (const first of failed) {
  console.log(`\nrunning ${first.file} again, alone, after its failure above`);
  const again = await runFile(first.file);
  report(again, ' (second run)');
  (again.code === 0 ? flaky : broken).push(first.file);
}

const sum = (k) => results.reduce((n, r) => n + r[k], 0);
const slowest = [...results].sort((a, b) => b.ms - a.ms).slice(0, 8);
console.log(`\n${'═'.repeat(100)}`);
console.log(`slowest files: ${slowest.map((r) => `${r.file} ${(r.ms / 1000).toFixed(0)} s`).join(', ')}`);
console.log(`${files.length} files, ${sum('tests')} tests: ${sum('pass')} passed, ${sum('fail')} failed, ${sum('skipped')} skipped, ${sum('todo')} todo (first runs); ${((Date.now() - t0) / 1000).toFixed(0)} s`);
if (flaky.length) console.log(`FLAKY (failed, then passed alone): ${flaky.join(', ')}`);
if (broken.length) console.log(`FAILED twice: ${broken.join(', ')}`);
process.exit(broken.length ? 1 : 0);
