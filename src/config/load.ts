/**
 * Loading mamoru.yaml: YAML parsed with positions kept, validated against the assembled schema,
 * and every problem reported at once with its file, line and path. Nothing starts on a bad file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../core/errors.ts';
import type { ConfigCache } from './cache.ts';
import { configSchema, type Config } from './schema.ts';
import { explainIssue, formatPath } from './problems.ts';

/** Largest config file read: far past any real one, short of what would exhaust memory. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/**
 * Aliases resolved while reading the document (the yaml package's own guard against alias
 * bombs, where each level doubles what the last expands to). A config uses a handful.
 */
export const MAX_ALIAS_COUNT = 100;

export interface LoadedConfig {
  file: string;
  text: string;
  config: Config;
  /** What the YAML gave, before the schema (for the config cache, config/cache.ts). */
  data: unknown;
  /** True when `data` came from the cache (the YAML was not parsed). */
  cached: boolean;
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
  return read(text, file).config;
}

/** The schema over data: the result, or undefined when it refuses (or throws) and the full read must say why. */
function fromData(data: unknown): Config | undefined {
  try {
    const parsed = configSchema.safeParse(data, { reportInput: true });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** parseConfig, with the data before the schema; `cached` (data of this very text) skips the YAML when the schema takes it. */
function read(text: string, file: string, cached?: unknown): { config: Config; data: unknown } {
  if (cached !== undefined) {
    const config = fromData(cached);
    if (config) return { config, data: cached };
  }
  if (Buffer.byteLength(text, 'utf8') > MAX_CONFIG_BYTES) throw tooLarge(file);
  const lineCounter = new LineCounter();
  const place = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  let doc: Document;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (e) {
    // The parser recurses per level of nesting: a document nested thousands deep overflows it.
    throw new ConfigError([{ file, line: 1, path: '', message: `YAML: the document cannot be read (${(e as Error).message.split('\n')[0]}); is it nested thousands of levels deep?` }]);
  }
  const problems: ConfigProblem[] = doc.errors.map((e) => ({
    file,
    ...place(e.pos[0]),
    path: '',
    message: /call stack/i.test(e.message) ? 'YAML: nested too deeply to read (thousands of levels of [ or {); a config needs a few' : `YAML: ${e.message.split('\n')[0]}`,
  }));
  if (problems.length) throw new ConfigError(problems);
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (e) {
    let first: number | undefined;
    visit(doc, {
      Alias(_, node) {
        first ??= node.range?.[0];
        return visit.BREAK;
      },
    });
    const bomb = /alias/i.test((e as Error).message);
    throw new ConfigError([
      {
        file,
        ...place(first),
        path: '',
        message: bomb
          ? `YAML: the aliases (*name) here expand past ${MAX_ALIAS_COUNT} copies, as an "alias bomb" does; write the values out, or use fewer aliases`
          : `YAML: the document cannot be read (${(e as Error).message.split('\n')[0]})`,
      },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) throw new ConfigError([{ file, line: 1, path: '', message: 'expected a mapping at the top (keys like "targets:" and "defaults:")' }]);
  let parsed: ReturnType<typeof configSchema.safeParse>;
  try {
    parsed = configSchema.safeParse(data, { reportInput: true });
  } catch (e) {
    // A schema never throws on data; if one ever does, it is still a problem with this file, said as one.
    throw new ConfigError([{ file, line: 1, path: '', message: `the config could not be checked: ${(e as Error).message.split('\n')[0]}` }]);
  }
  if (parsed.success) return { config: parsed.data, data };
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

function tooLarge(file: string): ConfigError {
  return new ConfigError([{ file, line: 1, path: '', message: `the config is larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; a real one is a few KiB: is this the right file?` }]);
}

/** The file's text, refused past MAX_CONFIG_BYTES without reading further (a device or FIFO included). */
function readBounded(file: string): string {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size > MAX_CONFIG_BYTES) throw tooLarge(file);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.alloc(Math.min(1024 * 1024, MAX_CONFIG_BYTES + 1 - total));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_CONFIG_BYTES) throw tooLarge(file);
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads and validates a config file. Throws ConfigError (also for a file that cannot be read).
 * With a cache (the daemon's start), the YAML of a text read before is not parsed again.
 */
export function loadConfigFile(file: string, opts: { cache?: ConfigCache | undefined } = {}): LoadedConfig {
  let text: string;
  try {
    text = readBounded(file);
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file; create it, or run "mamoru start" without a config to have one written for this machine' : (e as Error).message;
    throw new ConfigError([{ file, path: '', message: `cannot read the config: ${why}` }]);
  }
  const cached = opts.cache?.get(text);
  const { config, data } = read(text, file, cached);
  return { file, text, config, data, cached: cached !== undefined && data === cached };
}
