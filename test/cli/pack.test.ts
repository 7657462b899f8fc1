/**
 * What `npm pack` would put in the tarball (`npm pack --dry-run --json`, offline): the entry point,
 * the compiled bundle, the sources bin/mamoru.js falls back to (and src/web/static the console
 * serves from), package.json, README.md and LICENSE; no tests, benchmarks, CI scripts, screenshots,
 * node_modules, data or test artifacts. And package.json's `bin` and `engines` as an installer
 * reads them. `--ignore-scripts`: a real `npm pack` runs `prepare` (`npm run build`) first; here
 * dist/ is built only when missing, so the test neither rewrites dist/ under other runs nor needs
 * the network.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  engines: Record<string, string>;
  files: string[];
};

function npm(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', args, { cwd: ROOT, timeout: 50_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_offline: 'true' } }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: unknown }).code ?? 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

test('npm pack ships the program, its sources and its docs, and nothing of development', async () => {
  if (!existsSync(join(ROOT, 'dist', 'build-stamp'))) {
    const b = await npm(['run', 'build']);
    assert.equal(b.code, 0, b.stderr);
  }
  const r = await npm(['pack', '--dry-run', '--json', '--ignore-scripts']);
  assert.equal(r.code, 0, r.stderr);
  const [info] = JSON.parse(r.stdout) as { name: string; files: { path: string }[] }[];
  assert.equal(info!.name, 'mamoru');
  const files = info!.files.map((f) => f.path);
  const has = (p: string) => files.includes(p);
  const under = (dir: string) => files.filter((f) => f.startsWith(dir));

  for (const p of ['bin/mamoru.js', 'package.json', 'README.md', 'LICENSE', 'dist/cli/main.js', 'dist/mamoru.js', 'dist/build-stamp', 'src/cli/main.ts']) {
    assert.ok(has(p), `the tarball lacks ${p}`);
  }
  // Every file the console serves from src/web/static is in the tarball.
  const staticDir = join(ROOT, 'src', 'web', 'static');
  if (existsSync(staticDir)) assert.ok(under('src/web/static/').length > 0, 'the tarball lacks src/web/static/');
  // Every chunk of the bundle: the command line loads them on demand.
  assert.ok(under('dist/').filter((f) => f.endsWith('.js')).length > 5, 'dist/ is there but not the bundle');

  const forbidden = ['test/', 'bench/', 'docs/screenshots/', '.ci/', 'node_modules/', 'data/', 'test-artifacts/', 'scripts/', '.git/'];
  for (const dir of forbidden) assert.deepEqual(under(dir), [], `the tarball ships ${dir}`);
  assert.deepEqual(files.filter((f) => f.endsWith('.test.ts')), [], 'the tarball ships test files');
  assert.deepEqual(files.filter((f) => /(^|\/)\.env|\.db$|\.token$/.test(f)), [], 'the tarball ships local state or secrets');
  // Every entry of `files` exists, or npm would silently ship less than it says.
  for (const entry of pkg.files) assert.ok(existsSync(join(ROOT, entry)), `package.json files lists ${entry}, which does not exist`);
});

test('package.json: bin points at an executable entry point, engines at the Node the code needs', () => {
  assert.deepEqual(Object.keys(pkg.bin), ['mamoru']);
  const bin = join(ROOT, pkg.bin.mamoru!);
  assert.ok(existsSync(bin), `bin ${pkg.bin.mamoru} does not exist`);
  assert.match(readFileSync(bin, 'utf8').split('\n')[0]!, /^#!\/usr\/bin\/env node$/);
  // Node 20.18 or newer (the code uses its APIs); the range names no upper bound.
  assert.match(pkg.engines.node ?? '', /^>=\s*20\.\d+/);
  const [major, minor] = process.versions.node.split('.').map(Number);
  const [, wantMinor] = /^>=\s*20\.(\d+)/.exec(pkg.engines.node!)!.map(Number);
  assert.ok(major! > 20 || (major === 20 && minor! >= wantMinor!), `this Node ${process.versions.node} is older than engines ${pkg.engines.node}`);
});
