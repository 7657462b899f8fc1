/**
 * Loading mamoru.yaml: YAML parsed with positions kept, validated against the assembled schema,
 * and every problem reported at once with its file, line and path. Nothing starts on a bad file.
 */
import { readFileSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import { configSchema, type Config } from './schema.ts';
import { explainIssue, formatPath } from './problems.ts';

export interface LoadedConfig {
  file: string;
  text: string;
  config: Config;
}

/** Walks the zod schema along a path to list the keys the object there accepts. */
function knownKeysAt(schema: z.ZodType, data: unknown, path: PropertyKey[]): string[] | undefined {
  let s: any = schema;
  let d: any = data;
  const unwrap = () => {
    for (;;) {
      const def = s?._zod?.def;
      if (!def) return;
      if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)) s = def.innerType;
      else if (def.type === 'pipe') s = def.in;
      else if (def.type === 'union' && def.discriminator && d && typeof d === 'object') {
        const opt = def.options.find((o: any) => o._zod.def.shape?.[def.discriminator]?._zod.def.values?.includes(d[def.discriminator]));
        if (!opt) return;
        s = opt;
      } else return;
    }
  };
  unwrap();
  for (const key of path) {
    const def = s?._zod?.def;
    if (def?.type === 'object') s = def.shape[key as string];
    else if (def?.type === 'array') s = def.element;
    else return undefined;
    d = d?.[key as any];
    unwrap();
  }
  const def = s?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : undefined;
}

/** The node at a path, or the nearest ancestor that exists (a missing key points at its parent). */
function nodeAt(doc: Document, path: PropertyKey[]): { node: Node | undefined; keyNode?: Node } {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) return { node: node as Node };
      keyNode = pair.key as Node;
      if (pair.value === null || pair.value === undefined) return { node: keyNode, keyNode };
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key];
      keyNode = undefined;
    } else return { node: node as Node };
  }
  return { node: node as Node, ...(keyNode ? { keyNode } : {}) };
}

/**
 * Parses and validates config text. Throws ConfigError listing every problem.
 * @param file shown in messages (the path, or `<stdin>`)
 */
export function parseConfig(text: string, file: string): Config {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const place = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems: ConfigProblem[] = doc.errors.map((e) => ({
    file,
    ...place(e.pos[0]),
    path: '',
    message: `YAML: ${e.message.split('\n')[0]}`,
  }));
  if (problems.length) throw new ConfigError(problems);
  const data = doc.toJS() ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError([{ file, line: 1, path: '', message: 'expected a mapping at the top (keys like "targets:" and "defaults:")' }]);
  const parsed = configSchema.safeParse(data, { reportInput: true });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    for (const m of explainIssue(issue, (p) => knownKeysAt(configSchema, data, p))) {
      const { node, keyNode } = nodeAt(doc, m.path);
      const isUnknownKey = issue.code === 'unrecognized_keys';
      const at = (isUnknownKey ? keyNode : undefined) ?? node;
      problems.push({ file, ...place(at?.range?.[0]), path: formatPath(m.path), message: m.message });
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new ConfigError(problems);
}

/** Reads and validates a config file. Throws ConfigError (also for a file that cannot be read). */
export function loadConfigFile(file: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file; create it, or run "mamoru start" without a config to have one written for this machine' : (e as Error).message;
    throw new ConfigError([{ file, path: '', message: `cannot read the config: ${why}` }]);
  }
  return { file, text, config: parseConfig(text, file) };
}
