/**
 * The tarball `npm pack` makes installs into a clean directory and runs from there as a user would
 * run it: `npx mamoru --help`, `npx mamoru check tcp` against a port this test listens on,
 * `npx mamoru config validate` on a small config (and on a broken one). What runs is the
 * installed copy (node_modules/.bin/mamoru), not this checkout.
 *
 * Offline and fast:
 * - `npm pack --ignore-scripts`: a real `npm pack` runs `prepare` (the build) first; here dist/
 *   is built only when missing, as in pack.test.ts, so the test does not rewrite dist/ under
 *   other runs.
 * - The machine's npm cache holds every dependency's tarball but not every package's registry
 *   metadata, which `npm install <tarball>` alone would ask for (ENOTCACHED offline). So the
 *   clean directory gets a lockfile made from this checkout's (dev packages left out): npm then
 *   installs each dependency from the cache by its integrity, exactly the versions this
 *   checkout is tested with. With the registry reachable (CI) the same command works online.
 * - `--ignore-scripts`: compiling better-sqlite3 from source takes well over the half minute
 *   this test may take; only commands that never open the store are run (help, check, config
 *   validate), and those need no native addon.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** A command in `cwd`, offline, without the test runner's variables (bin/mamoru.js hides its note under a test). */
function run(cmd: string, args: string[], cwd: string, timeoutMs = 60_000): Promise<Ran> {
  const env: NodeJS.ProcessEnv = { ...process.env, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
  delete env.NODE_TEST_CONTEXT;
  delete env.MAMORU_FROM;
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** This checkout's lockfile, re-rooted at a directory whose one dependency is the tarball. */
function lockFor(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, Record<string, unknown>> };
  const self = lock.packages['']!;
  const packages: Record<string, unknown> = {
    '': { name: 'clean-dir', dependencies: { mamoru: tarball } },
    'node_modules/mamoru': { version: self['version'], resolved: tarball, license: self['license'], dependencies: self['dependencies'], bin: self['bin'], engines: self['engines'] },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path.startsWith('node_modules/') && entry['dev'] !== true) packages[path] = entry;
  return { name: 'clean-dir', lockfileVersion: 3, requires: true, packages };
}

describe('the npm pack tarball, installed in a clean directory', () => {
  let dir: string;
  let app: string;
  let server: Server;
  let port: number;
  let installed: Ran;
  const t0 = performance.now();
  /** Where the time goes, printed at the end (timing is reported, never asserted). */
  const steps: string[] = [];

  before(async () => {
    if (!existsSync(join(ROOT, 'dist', 'build-stamp'))) {
      const b = await run('npm', ['run', 'build'], ROOT);
      assert.equal(b.code, 0, b.stderr);
    }
    dir = mkdtempSync(join(tmpdir(), 'mamoru-pack-'));
    app = join(dir, 'app');
    mkdirSync(app);
    const tPack = performance.now();
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    assert.equal(packed.code, 0, packed.stderr);
    const [info] = JSON.parse(packed.stdout) as { filename: string }[];
    const tarball = `file:../${info!.filename}`;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'clean-dir', private: true, dependencies: { mamoru: tarball } }));
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify(lockFor(tarball)));
    steps.push(`npm pack ${Math.round(performance.now() - tPack)} ms`);
    const tInstall = performance.now();
    installed = await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', join(dir, info!.filename)], app, 90_000);
    steps.push(`npm install ${Math.round(performance.now() - tInstall)} ms`);
    server = createServer((s) => s.end()).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as { port: number }).port;
  });

  after(() => {
    server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
    process.stderr.write(`# pack-install: ${Math.round(performance.now() - t0)} ms from npm pack to the last command (${steps.join(', ')})\n`);
  });

  test('npm install takes the tarball offline; node_modules/.bin/mamoru is the installed copy', () => {
    assert.equal(installed.code, 0, installed.stderr);
    const bin = realpathSync(join(app, 'node_modules', '.bin', 'mamoru'));
    assert.equal(bin, join(realpathSync(app), 'node_modules', 'mamoru', 'bin', 'mamoru.js'));
    assert.ok(existsSync(join(app, 'node_modules', 'mamoru', 'dist', 'cli', 'main.js')), 'the compiled bundle is installed');
    assert.ok(!existsSync(join(app, 'node_modules', 'mamoru', 'test')), 'no tests installed');
  });

  test('npx mamoru --help lists the commands', async () => {
    const r = await run('npx', ['--offline', 'mamoru', '--help'], app);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: mamoru \[options\] \[command\]\n/);
    for (const cmd of ['start', 'check', 'config', 'doctor', 'install-service']) assert.match(r.stdout, new RegExp(`\\n  ${cmd}\\b`), `--help lists ${cmd}`);
  });

  test('npx mamoru check tcp answers like check_tcp, exit 0, for a port that listens', async () => {
    const r = await run('npx', ['--offline', 'mamoru', 'check', 'tcp', '-H', '127.0.0.1', '-p', String(port)], app);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`^TCP OK - \\d+\\.\\d{3} second response time on 127\\.0\\.0\\.1 port ${port} \\| time=`));
  });

  test('npx mamoru config validate: OK for a good config, every problem with its line for a bad one', async () => {
    writeFileSync(join(app, 'good.yaml'), `targets:\n  - name: self\n    address: 127.0.0.1\n    checks: [{ type: tcp, port: ${port} }]\n`);
    const good = await run('npx', ['--offline', 'mamoru', 'config', 'validate', 'good.yaml'], app);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, 'good.yaml: OK (1 target, 1 check)\n');
    writeFileSync(join(app, 'bad.yaml'), 'targets:\n  - name: self\n    adress: 127.0.0.1\n');
    const bad = await run('npx', ['--offline', 'mamoru', 'config', 'validate', 'bad.yaml'], app);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /bad\.yaml:3:5: targets\[0\]\.adress: unknown key "adress"; did you mean "address"\?/);
  });

  // npm extracts the tarball in order (dist/ before src/, with the time of extraction), so src/
  // looks newer than the build; bin/mamoru.js compares the two only in a git checkout.
  test('what runs is dist/, not the sources through tsx', async () => {
    const r = await run('npx', ['--offline', 'mamoru', '--version'], app);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
    assert.doesNotMatch(r.stderr, /running the sources through tsx/, 'the installed package must run its compiled dist/');
  });
});
