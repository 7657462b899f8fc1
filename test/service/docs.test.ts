/**
 * docs/deployment.md stays true: its units (the daemon's, the root helper's) are what `mamoru install-service --print` prints (but
 * for where node and the package are on the machine that printed it), and its YAML examples load
 * with the real config loader.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { mamoru } from '../helpers/cli.ts';

const page = readFileSync(new URL('../../docs/deployment.md', import.meta.url), 'utf8');
const blocks = (lang: string) => [...page.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
/** The ExecStart line with the machine's node and package paths taken out. */
const portable = (unit: string) => unit.replace(/^ExecStart=\S+ \S+ /m, 'ExecStart=NODE BIN ');

test('the unit in docs/deployment.md is what install-service --print prints', async () => {
  const [unit] = blocks('ini');
  assert.ok(unit, 'docs/deployment.md shows the unit in an ```ini block');
  // The page shows the unit for a machine where the config is not written yet.
  assert.ok(!existsSync('/etc/mamoru/mamoru.yaml'), 'this test expects no /etc/mamoru/mamoru.yaml on the test machine');
  const r = await mamoru(['install-service', '--print']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(portable(unit), portable(r.stdout), 'docs/deployment.md shows an old unit: paste the output of `mamoru install-service --print`');
});

test("the helper's unit in docs/deployment.md is what install-service --print prints for the page's helper example", async () => {
  const [, unit] = blocks('ini');
  assert.ok(unit, 'docs/deployment.md shows the helper unit in a second ```ini block');
  const example = blocks('yaml').find((y) => y.includes('helper: /run/mamoru/helper.sock'));
  assert.ok(example, 'docs/deployment.md has a YAML example with the helper');
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-docs-'));
  try {
    const config = join(dir, 'mamoru.yaml');
    writeFileSync(config, example);
    const r = await mamoru(['install-service', '--print', '-c', config]);
    assert.equal(r.code, 0, r.stderr);
    const printed = r.stdout.split(/\n(?=# mamoru-helper\.service, written by)/)[1];
    assert.ok(printed, r.stdout);
    assert.equal(portable(unit), portable(printed.replaceAll(config, '/etc/mamoru/mamoru.yaml')), 'docs/deployment.md shows an old helper unit: paste what `mamoru install-service --print` prints for the example');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the YAML in docs/deployment.md loads with the config loader', () => {
  const yaml = blocks('yaml');
  assert.equal(yaml.length, 4);
  yaml.forEach((block, i) => assert.doesNotThrow(() => parseConfig(block, `docs/deployment.md (example ${i + 1})`)));
});
