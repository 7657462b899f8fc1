/**
 * The compiled CLI (what production runs): src/ built by scripts/build.mjs (the esbuild bundle of
 * `npm run build`) into a fresh directory beside src/ (same depth as dist/, so package.json and
 * node_modules resolve as they do from dist/), then run with plain node, no tsx: help, version, a
 * tcp check, config validate and a short `start` answering /healthz and running its check. Then
 * bin/mamoru.js's choice between dist/ and the sources, in a throwaway root: current dist/ runs, a
 * newer src/ falls back to tsx with a note, no dist/ runs the sources.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD = join(ROOT, 'scripts', 'build.mjs');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd: opts.cwd ?? ROOT, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 30_000 }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

let out: string; // the compiled tree, like dist/
let tmp: string;
let listener: net.Server;
let listenPort: number;
let connections = 0;

before(async () => {
  out = mkdtempSync(join(ROOT, '.compiled-test-'));
  tmp = mkdtempSync(join(tmpdir(), 'mamoru-compiled-'));
  const t0 = Date.now();
  const built = await run([BUILD, '--outdir', out], { timeoutMs: 240_000 });
  assert.equal(built.code, 0, `the build failed:\n${built.stdout}${built.stderr}`);
  console.log(`# scripts/build.mjs: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  listener = net.createServer((s) => {
    connections++;
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  listenPort = (listener.address() as AddressInfo).port;
});
after(() => {
  listener?.close();
  rmSync(out, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

const main = () => join(out, 'cli', 'main.js');

test('the build is JavaScript only, each command in a file of its own loaded on demand', () => {
  assert.match(readFileSync(main(), 'utf8'), /from ["']\.\.\/mamoru\.js["']/, 'cli/main.js re-exports the bundle');
  const text = readFileSync(join(out, 'mamoru.js'), 'utf8');
  assert.doesNotMatch(text, /from ["']\.\.?\/[^"']*\.tsx?["']/, 'an import still names a .ts file');
  const start = /import\(["']\.\/(start-[A-Z0-9]+\.js)["']\)/.exec(text);
  assert.ok(start, 'the start command is imported lazily');
  assert.ok(existsSync(join(out, start[1]!)), `${start[1]} is in the build`);
  assert.doesNotMatch(text, /class Daemon\b/, 'the daemon is not in the command line\'s own file');
});

test('--help and --version from the compiled output', async () => {
  const help = await run([main(), '--help']);
  assert.equal(help.code, 0, help.stderr);
  for (const command of ['start', 'check', 'config', 'bans']) assert.match(help.stdout, new RegExp(`^  ${command}\\b`, 'm'), `--help lists ${command}`);
  // The version is read from package.json by a path relative to the module: it must resolve from the build.
  const version = await run([main(), '--version']);
  assert.equal(version.stdout.trim(), pkg.version);
});

test('check tcp from the compiled output', async () => {
  const ok = await run([main(), 'check', 'tcp', '-H', '127.0.0.1', '-p', String(listenPort)]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout, /^TCP OK - /);
  const closed = net.createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const closedPort = (closed.address() as AddressInfo).port;
  await new Promise<void>((r) => closed.close(() => r()));
  const refused = await run([main(), 'check', 'tcp', '-H', '127.0.0.1', '-p', String(closedPort)]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stdout, /^TCP CRITICAL - .*Connection refused/);
});

function config(port: number): string {
  return `defaults: { interval: 1s, timeout: 2s }
store: { type: sqlite, path: ${join(tmp, 'data', 'mamoru.db')} }
web: { host: 127.0.0.1, port: ${port} }
targets:
  - name: local
    address: 127.0.0.1
    checks:
      - { type: tcp, name: listener, port: ${listenPort} }
`;
}

test('config validate from the compiled output', async () => {
  const good = join(tmp, 'good.yaml');
  writeFileSync(good, config(8484));
  const ok = await run([main(), 'config', 'validate', good]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, config(8484).replace('interval: 1s', 'interval: soon'));
  const refused = await run([main(), 'config', 'validate', bad]);
  assert.equal(refused.code, 2, refused.stdout + refused.stderr);
  assert.match(refused.stdout + refused.stderr, /bad\.yaml:1\b/, 'the problem is reported with file:line');
  assert.doesNotMatch(refused.stdout + refused.stderr, /\n\s+at /, 'no stack trace');
});

test('start from the compiled output: /healthz answers and the check runs', async () => {
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const cfg = join(tmp, 'start.yaml');
  writeFileSync(cfg, config(port));
  const before = connections;
  const child = spawn(process.execPath, [main(), 'start', '-c', cfg], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  try {
    const t0 = Date.now();
    let healthy = false;
    // Answering, the check run, and the daemon saying it is watching (the end of its start).
    while (!(healthy && connections > before && /watching 1 target with 1 check/.test(output))) {
      assert.equal(child.exitCode, null, `mamoru start exited early:\n${output}`);
      assert.ok(Date.now() - t0 < 60_000, `no /healthz answer and check run within 60 s:\n${output}`);
      if (!healthy) {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        healthy = r?.status === 200 && (await r.text()) === 'ok';
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
  assert.match(output, /mamoru stopped/);
});

/** A throwaway root with bin/mamoru.js and stand-ins for dist/cli/main.js and src/cli/main.ts. */
function fakeRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'mamoru-bin-'));
  mkdirSync(join(root, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'mamoru.js'), join(root, 'bin', 'mamoru.js'));
  writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'));
  mkdirSync(join(root, 'src', 'cli'), { recursive: true });
  // Type annotations: only tsx can run it, so an answer from here proves tsx ran the sources.
  writeFileSync(join(root, 'src', 'cli', 'main.ts'), "export async function main(argv: string[]): Promise<void> {\n  console.log('from src', argv.slice(2).join(' '));\n}\n");
  mkdirSync(join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(join(root, 'dist', 'cli', 'main.js'), "export async function main(argv) {\n  console.log('from dist', argv.slice(2).join(' '));\n}\n");
  return root;
}
const envWithout = (extra: NodeJS.ProcessEnv = {}) => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT; // as a user runs it: the stale note is printed
  delete env.MAMORU_FROM;
  return { ...env, ...extra };
};

test('bin/mamoru.js runs dist/ when current, the sources with a note when src/ is newer, the sources when not built', async () => {
  const root = fakeRoot();
  // A git checkout: only there is src/ compared with the build.
  mkdirSync(join(root, '.git'));
  try {
    const bin = join(root, 'bin', 'mamoru.js');
    const stamp = join(root, 'dist', 'build-stamp');
    const source = join(root, 'src', 'cli', 'main.ts');
    const past = new Date(Date.now() - 60_000);
    const earlier = new Date(Date.now() - 120_000);

    // Not built: the sources, no note (nothing is stale).
    let r = await run([bin, 'x'], { env: envWithout() });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'from src x\n', '']);

    // Built after the last edit: dist/.
    writeFileSync(stamp, '');
    utimesSync(source, earlier, earlier);
    utimesSync(stamp, past, past);
    r = await run([bin, 'x'], { env: envWithout() });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'from dist x\n', '']);

    // A source edited after the build: the sources, and one line saying why.
    utimesSync(source, new Date(), new Date());
    r = await run([bin, 'x'], { env: envWithout() });
    assert.equal(r.stdout, 'from src x\n');
    assert.match(r.stderr, /^mamoru: src\/ is newer than dist\/ \(run `npm run build`\).*\n$/);
    // Under node --test the note is left out (tests read stderr); the sources still run.
    r = await run([bin, 'x'], { env: { ...envWithout(), NODE_TEST_CONTEXT: 'child' } });
    assert.deepEqual([r.stdout, r.stderr], ['from src x\n', '']);

    // Forced either way.
    r = await run([bin, 'x'], { env: envWithout({ MAMORU_FROM: 'dist' }) });
    assert.equal(r.stdout, 'from dist x\n');
    utimesSync(source, earlier, earlier);
    r = await run([bin, 'x'], { env: envWithout({ MAMORU_FROM: 'src' }) });
    assert.deepEqual([r.stdout, r.stderr], ['from src x\n', '']);

    // An installed package (no .git): npm gives unpacked files the time of unpacking, so src/
    // may look newer than the build; dist/ runs all the same, with no note.
    rmSync(join(root, '.git'), { recursive: true });
    utimesSync(source, new Date(), new Date());
    r = await run([bin, 'x'], { env: envWithout() });
    assert.deepEqual([r.code, r.stdout, r.stderr], [0, 'from dist x\n', '']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
