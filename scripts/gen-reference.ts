/**
 * Writes docs/reference/: one page per registry member (probes, runbooks, actions, filters,
 * firewall backends, notifiers, executors, stores) and the README that indexes them, all derived
 * from the registries, their zod schemas and the members' own files (scripts/reference/). The
 * output depends only on the checkout, so test/docs/reference.test.ts regenerates it in memory
 * and fails on any page that differs, is missing or is left over.
 *
 *   node --import tsx scripts/gen-reference.ts     (npm run docs:reference)
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { commonCheckKeys, defaultsSchema } from '../src/config/schema.ts';
import { jsonSchemaOf, optionRows, optionsTable } from './reference/options.ts';
import { allPages, FAMILIES, GENERATED, type Family, type Page } from './reference/pages.ts';
import { ROOT } from './reference/source.ts';

export const REFERENCE_DIR = join(ROOT, 'docs', 'reference');

function readme(pages: Page[]): string {
  const common = optionRows(jsonSchemaOf(z.strictObject(commonCheckKeys)));
  const defaults = new Map(optionRows(jsonSchemaOf(defaultsSchema)).map((r) => [r.key, r.default]));
  for (const r of common) if (defaults.has(r.key)) r.default = defaults.get(r.key);
  const out = [
    '# Reference',
    GENERATED,
    "One page per member of each plugin family, generated from the registries (`src/*/index.ts`) and each member's zod schema: the options a config file accepts with their types, defaults and bounds, and an example that the config loader accepts (`test/docs/reference.test.ts` loads every one). `mamoru config schema` prints the same options as JSON Schema for editors. What mamoru may do to a server, and what it never bans: [the security model](../security.md).",
  ];
  for (const family of Object.keys(FAMILIES) as Family[]) {
    const members = pages.filter((p) => p.family === family);
    out.push(`## ${family}`, ['| member | what it does |', '|---|---|', ...members.map((p) => `| [${p.member}](${family}/${p.member}.md) | ${p.summary.replace(/\|/g, '\\|')} |`)].join('\n'));
  }
  out.push(
    '## Keys every check has',
    "Each check under a target's `checks:` takes these besides its probe's own options; unset ones fall back to the config's `defaults:` section, whose values are shown as defaults here.",
    optionsTable(common),
  );
  return `${out.join('\n\n')}\n`;
}

/** Every file of docs/reference, by path relative to it, with its text. */
export async function generateReference(): Promise<Map<string, string>> {
  const pages = await allPages();
  const files = new Map<string, string>();
  for (const p of pages) files.set(`${p.family}/${p.member}.md`, p.text);
  files.set('README.md', readme(pages));
  return files;
}

/** Markdown files now under docs/reference, relative to it. */
export function existingReference(dir = REFERENCE_DIR): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch {
    return [];
  }
  return names.filter((n) => n.endsWith('.md')).map((n) => n.split('\\').join('/')).sort();
}

async function main(): Promise<void> {
  const files = await generateReference();
  for (const old of existingReference()) if (!files.has(old)) rmSync(join(REFERENCE_DIR, old));
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(REFERENCE_DIR, rel)), { recursive: true });
    writeFileSync(join(REFERENCE_DIR, rel), text);
  }
  process.stdout.write(`docs/reference: ${files.size} files written\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
