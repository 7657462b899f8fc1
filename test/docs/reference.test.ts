/**
 * docs/reference/ is generated (scripts/gen-reference.ts): every registry member has its page,
 * every page is what the generator writes from the code as it is now (a changed option,
 * default or summary without `npm run docs:reference` fails here), nothing is left over from a
 * member that is gone, and every YAML example on those pages is a config the real loader
 * (src/config/load.ts) accepts, and configures the member its page is about; so is the YAML of
 * docs/security.md.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { existingReference, generateReference, REFERENCE_DIR } from '../../scripts/gen-reference.ts';
import { actions } from '../../src/actions/index.ts';
import { parseConfig } from '../../src/config/load.ts';
import type { Config } from '../../src/config/schema.ts';
import { executors } from '../../src/executors/index.ts';
import { firewalls } from '../../src/firewall/index.ts';
import { filters } from '../../src/guard/filters/index.ts';
import { notifiers } from '../../src/notify/index.ts';
import { probes } from '../../src/probes/index.ts';
import { runbooks } from '../../src/runbooks/index.ts';
import { stores } from '../../src/store/index.ts';

const registries: Record<string, Record<string, unknown>> = { probes, runbooks, actions, filters, firewalls, notifiers, executors, stores };

/** Whether a loaded example config puts the member where its family lives in the config. */
const configures: Record<string, (c: Config, member: string) => boolean> = {
  probes: (c, m) => c.targets.some((t) => t.checks.some((ch) => ch.type === m)),
  runbooks: (c) => c.targets.some((t) => t.executor !== undefined && t.services.length > 0 && t.checks.length > 0),
  actions: (c, m) => (c.remediation.policy.modes as Record<string, string>)[m] !== undefined,
  filters: (c, m) => c.guard.jails.some((j) => j.filters.includes(m)),
  firewalls: (c, m) => c.guard.firewall.type === m,
  notifiers: (c, m) => c.contacts.some((ct) => ct.channels.some((ch) => ch.type === m)),
  executors: (c, m) => c.targets.some((t) => t.executor?.type === m),
  stores: (c, m) => c.store.type === m,
};

function yamlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```yaml\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

test('every registry member has its reference page', () => {
  const missing: string[] = [];
  for (const [family, reg] of Object.entries(registries))
    for (const member of Object.keys(reg)) if (!existsSync(join(REFERENCE_DIR, family, `${member}.md`))) missing.push(`${family}/${member}.md`);
  assert.deepEqual(missing, [], 'run `npm run docs:reference`');
  const index = readFileSync(join(REFERENCE_DIR, 'README.md'), 'utf8');
  for (const [family, reg] of Object.entries(registries)) for (const member of Object.keys(reg)) assert.ok(index.includes(`(${family}/${member}.md)`), `README.md links ${family}/${member}.md`);
});

test('no reference page is stale, and none is left over', async () => {
  const files = await generateReference();
  const stale = [...files].filter(([rel, text]) => !existsSync(join(REFERENCE_DIR, rel)) || readFileSync(join(REFERENCE_DIR, rel), 'utf8') !== text).map(([rel]) => rel);
  assert.deepEqual(stale, [], 'these pages differ from what the code says now: run `npm run docs:reference`');
  assert.deepEqual(existingReference().filter((rel) => !files.has(rel)), [], 'pages of members that no longer exist');
});

test('every YAML example in docs/reference loads with the config loader and configures its member', () => {
  const problems: string[] = [];
  let examples = 0;
  for (const rel of existingReference()) {
    const [family, file] = rel.split('/');
    const member = file?.replace(/\.md$/, '');
    yamlBlocks(readFileSync(join(REFERENCE_DIR, rel), 'utf8')).forEach((block, i) => {
      examples++;
      try {
        const config = parseConfig(block, `docs/reference/${rel} (example ${i + 1})`);
        const check = family && member ? configures[family] : undefined;
        if (check && !check(config, member!)) problems.push(`${rel}: the example does not configure ${member}`);
      } catch (e) {
        problems.push(`${rel}: ${(e as Error).message}`);
      }
    });
  }
  assert.deepEqual(problems, []);
  const members = Object.values(registries).reduce((n, reg) => n + Object.keys(reg).length, 0);
  assert.ok(examples >= members, `one example per member at least (${examples} examples, ${members} members)`);
});

test('the YAML in docs/security.md loads with the config loader', () => {
  const blocks = yamlBlocks(readFileSync(join(REFERENCE_DIR, '..', 'security.md'), 'utf8'));
  assert.ok(blocks.length > 0);
  blocks.forEach((block, i) => assert.doesNotThrow(() => parseConfig(block, `docs/security.md (example ${i + 1})`)));
});

test('the examples are checked for real: the loader refuses one with a required option left out', () => {
  const page = readFileSync(join(REFERENCE_DIR, 'probes', 'tcp.md'), 'utf8');
  const block = yamlBlocks(page)[0]!;
  assert.doesNotThrow(() => parseConfig(block, 'tcp.md'));
  assert.throws(() => parseConfig(block.replace(/^\s+port: \d+\n/m, ''), 'tcp.md'), /port/);
});

test("each filter's page shows log lines the scanner attributes to it, with the address a ban uses", () => {
  for (const type of Object.keys(filters)) {
    const page = readFileSync(join(REFERENCE_DIR, 'filters', `${type}.md`), 'utf8');
    const section = page.split('## Lines it matches')[1]?.split('\n## ')[0] ?? '';
    assert.match(section, /→ `[0-9a-f.:]+`\n\n\s+```text\n\s+\S/, `${type}.md lists no matched line`);
  }
});
