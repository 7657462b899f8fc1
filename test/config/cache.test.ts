/**
 * The config cache (config/cache.ts): a start with the same file skips the YAML and gets the same
 * config; a changed file, a cache someone else could have written, a symlink, or an entry the
 * schema refuses is not believed, and the file is read as always.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { configCache } from '../../src/config/cache.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { ConfigError } from '../../src/core/errors.ts';

const root = mkdtempSync(join(tmpdir(), 'mamoru-cfgcache-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function setup(text: string): { file: string; dir: string } {
  const dir = join(root, `d${++n}`);
  mkdirSync(dir, { mode: 0o700 });
  const file = join(dir, 'mamoru.yaml');
  writeFileSync(file, text);
  return { file, dir };
}

const TEXT = `defaults: { interval: 30s }\ntargets:\n  - name: web\n    address: 127.0.0.1\n    checks:\n      - { type: tcp, port: 80 }\n      - { type: http, port: 8080, path: /health }\n`;

test('the second read of the same file comes from the cache and gives the same config', () => {
  const { file, dir } = setup(TEXT);
  const cache = configCache(dir);
  const first = loadConfigFile(file, { cache });
  assert.equal(first.cached, false);
  cache.put(first.text, first.data);
  assert.ok(existsSync(join(dir, 'config-cache.json')));
  const second = loadConfigFile(file, { cache });
  assert.equal(second.cached, true);
  assert.deepEqual(second.config, first.config);
  assert.deepEqual(second.config, loadConfigFile(file).config, 'the same as without a cache');

  // Edited: another text, read from the YAML again.
  writeFileSync(file, TEXT.replace('30s', '45s'));
  const edited = loadConfigFile(file, { cache });
  assert.equal(edited.cached, false);
  assert.equal(edited.config.defaults.interval, 45_000);
});

test('a cache file others could write, or a symlink, is not believed', () => {
  const { file, dir } = setup(TEXT);
  const cache = configCache(dir);
  const first = loadConfigFile(file, { cache });
  cache.put(first.text, first.data);
  chmodSync(join(dir, 'config-cache.json'), 0o666);
  assert.equal(loadConfigFile(file, { cache }).cached, false);

  const other = setup(TEXT);
  const elsewhere = configCache(other.dir);
  elsewhere.put(first.text, first.data);
  const link = join(root, `link${++n}`);
  mkdirSync(link, { mode: 0o700 });
  symlinkSync(join(other.dir, 'config-cache.json'), join(link, 'config-cache.json'));
  assert.equal(loadConfigFile(file, { cache: configCache(link) }).cached, false);

  const open = join(root, `open${++n}`);
  mkdirSync(open);
  chmodSync(open, 0o777);
  configCache(open).put(first.text, first.data);
  assert.equal(existsSync(join(open, 'config-cache.json')), false, 'nothing is written where anyone may write');
});

test('an entry the schema refuses is not believed: the YAML is read, and a bad file still says file:line', () => {
  const { file, dir } = setup(TEXT);
  const cache = configCache(dir);
  cache.put(TEXT, { targets: 'not a list' });
  const read = loadConfigFile(file, { cache });
  assert.equal(read.cached, false);
  assert.equal(read.config.targets[0]!.checks.length, 2);

  const bad = TEXT.replace('port: 80', 'port: 99999');
  writeFileSync(file, bad);
  cache.put(bad, { targets: 'not a list' });
  assert.throws(
    () => loadConfigFile(file, { cache }),
    (e: unknown) => e instanceof ConfigError && e.problems.length === 1 && e.problems[0]!.line === 6 && /port/.test(e.problems[0]!.message),
  );
});

test('data JSON cannot keep exactly (.inf) is not cached', () => {
  const { dir } = setup(TEXT);
  const cache = configCache(dir);
  cache.put('x: .inf\n', { x: Number.POSITIVE_INFINITY });
  assert.equal(existsSync(join(dir, 'config-cache.json')), false);
});
