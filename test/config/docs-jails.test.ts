/**
 * docs/guard-jails.md promises that every jail example is a config mamoru accepts: each YAML block
 * is parsed with the real config loader (unknown filters, bad durations or fields fail it), and
 * together the examples name every filter family, so a new family cannot ship without one.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.ts';
import { filters } from '../../src/guard/filters/index.ts';

const file = join(import.meta.dirname, '../../docs/guard-jails.md');
const blocks = [...readFileSync(file, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

test('every jail example in docs/guard-jails.md is a valid config', () => {
  assert.ok(blocks.length >= 7, `${blocks.length} examples`);
  for (const [i, yaml] of blocks.entries()) {
    const cfg = parseConfig(yaml, `docs/guard-jails.md block ${i + 1}`);
    assert.ok(cfg.guard!.jails.length >= 1, yaml);
  }
});

test('the examples name every filter family', () => {
  const named = new Set(blocks.flatMap((yaml) => parseConfig(yaml, 'docs/guard-jails.md').guard!.jails.flatMap((j) => j.filters)));
  assert.deepEqual(Object.keys(filters).filter((f) => !named.has(f)), []);
});
