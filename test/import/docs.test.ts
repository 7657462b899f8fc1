/**
 * docs/migrating.md shows real output: the jail.local it shows is imported beside Debian's
 * /etc/fail2ban and the output must equal the page's blocks; the Nagios import of Debian's
 * samples must print the page's stderr block and contain its YAML excerpt. Every YAML block on
 * the page loads with mamoru's real config loader.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mamoru } from '../helpers/cli.ts';
import { parseConfig } from '../../src/config/load.ts';

const PAGE = readFileSync(new URL('../../docs/migrating.md', import.meta.url), 'utf8');

/** The fenced block after `<!-- import-doc: NAME -->`. */
function block(name: string): string {
  const m = new RegExp(`<!-- import-doc: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\`\\n`).exec(PAGE);
  assert.ok(m, `docs/migrating.md has no block "${name}"`);
  return m[1]!;
}

/** What the CLI printed on stderr, without the development notice about dist/. */
const stderrOf = (s: string) => s.split('\n').filter((l) => !l.startsWith('mamoru: src/')).join('\n');

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-import-doc-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

test('every YAML block on the page is a config mamoru loads', () => {
  const blocks = [...PAGE.matchAll(/```yaml\n([\s\S]*?)```\n/g)].map((m) => m[1]!);
  assert.ok(blocks.length >= 2);
  for (const b of blocks) assert.doesNotThrow(() => parseConfig(b, 'docs/migrating.md'));
});

test("the fail2ban example is the command's real output", async () => {
  const d = join(dir, 'fail2ban');
  cpSync('/etc/fail2ban', d, { recursive: true });
  writeFileSync(join(d, 'jail.local'), block('fail2ban jail.local'));
  const r = await mamoru(['import', 'fail2ban', d]);
  assert.equal(r.code, 0, r.stderr);
  const shown = (s: string) => s.split(d).join('/etc/fail2ban');
  assert.equal(shown(r.stdout), block('fail2ban stdout'));
  assert.equal(shown(stderrOf(r.stderr)), block('fail2ban stderr'));
});

test("the Nagios example is the command's real output on Debian's samples", async () => {
  const r = await mamoru(['import', 'nagios', '/etc/nagios4/objects', '/etc/nagios-plugins/config']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(stderrOf(r.stderr), block('nagios stderr'));
  assert.ok(r.stdout.includes(block('nagios stdout excerpt')), 'the excerpt is part of the printed config');
});
