/**
 * Nagios / Icinga 1 object definitions read as Nagios reads them: `define TYPE { key value }`
 * blocks, `;` comments (a `\;` stays), templates by `name` inherited through `use` (several,
 * the first that has a variable wins, recursively), `register 0` for templates only, `+value`
 * appending to the inherited list, `null` unsetting. nagios.cfg's `cfg_file`/`cfg_dir` and
 * resource.cfg's `$USERn$` are followed when given.
 */
import { dirname, isAbsolute, join } from 'node:path';
import { existsSync } from 'node:fs';
import { isDir, unreadable, type InputBudget } from './common.ts';

export interface NagiosObject {
  type: string;
  vars: Map<string, string>;
  file: string;
  line: number;
}

/** Longest `use` chain followed (Nagios has no limit; a loop is an error there too). */
const MAX_TEMPLATE_DEPTH = 32;
/** Variables whose `+value` adds to the inherited list. */
const ADDITIVE = new Set(['hostgroups', 'contact_groups', 'contacts', 'parents', 'servicegroups', 'host_name', 'hostgroup_name', 'members']);

export class NagiosObjects {
  readonly objects: NagiosObject[] = [];
  readonly files: string[] = [];
  /** `$USER1$`... from resource files. */
  readonly user = new Map<string, string>();
  /** Files named by nagios.cfg that could not be read (resource files: secrets, often unreadable). */
  readonly skipped: { file: string; why: string }[] = [];
  /** Seconds in one interval unit (nagios.cfg interval_length). */
  intervalLength = 60;

  constructor(private readonly budget: InputBudget) {}

  /** Reads an object file, a folder of *.cfg, or a main nagios.cfg (following its files). */
  add(path: string): void {
    if (isDir(path)) {
      for (const f of this.budget.list(path, (n) => n.endsWith('.cfg'))) this.addFile(f);
      return;
    }
    this.addFile(path);
  }

  private addFile(file: string): void {
    if (this.files.includes(file)) return;
    const text = this.budget.read(file);
    this.files.push(file);
    if (!/^\s*define\s/m.test(text) && /^\s*(cfg_file|cfg_dir|resource_file)\s*=/m.test(text)) return this.addMain(file, text);
    if (!/^\s*define\s/m.test(text) && /^\s*\$USER\d+\$\s*=/m.test(text)) return this.addResource(text);
    this.parse(file, text);
  }

  private addMain(file: string, text: string): void {
    for (const raw of text.split('\n')) {
      const m = /^\s*(cfg_file|cfg_dir|resource_file|interval_length)\s*=\s*(.*?)\s*$/.exec(raw);
      if (!m) continue;
      const value = isAbsolute(m[2]!) || m[1] === 'interval_length' ? m[2]! : join(dirname(file), m[2]!);
      if (m[1] === 'interval_length') this.intervalLength = Number(value) > 0 ? Number(value) : 60;
      else if (m[1] === 'resource_file') {
        try {
          this.addResource(this.budget.read(value));
        } catch (e) {
          // Often root:nagios 0640; without it $USER1$ falls back to Debian's plugin folder.
          this.skipped.push({ file: value, why: (e as Error).message.split('\n').at(-1)!.trim() });
        }
      } else if (existsSync(value)) this.add(value);
    }
  }

  private addResource(text: string): void {
    for (const raw of text.split('\n')) {
      const m = /^\s*\$(USER\d+)\$\s*=\s*(.*?)\s*$/.exec(raw);
      if (m) this.user.set(m[1]!, m[2]!);
    }
  }

  private parse(file: string, text: string): void {
    let current: NagiosObject | undefined;
    const lines = text.split('\n');
    for (let n = 0; n < lines.length; n++) {
      let line = lines[n]!.replace(/\r$/, '');
      if (/^\s*#/.test(line)) continue;
      line = stripComment(line).trim();
      if (!line) continue;
      if (!current) {
        const m = /^define\s+([a-z]+)\s*\{\s*(.*)$/.exec(line);
        if (!m) throw unreadable(file, `expected "define TYPE {", got "${line.slice(0, 80)}"`, n + 1);
        current = { type: m[1]!, vars: new Map(), file, line: n + 1 };
        if (m[2] === '}') {
          this.objects.push(current);
          current = undefined;
        }
        continue;
      }
      if (line === '}') {
        this.objects.push(current);
        current = undefined;
        continue;
      }
      const closes = line.endsWith('}') && !line.endsWith('\\}');
      const body = closes ? line.slice(0, -1).trim() : line;
      const kv = /^(\S+)(?:\s+(.*))?$/.exec(body);
      if (kv) current.vars.set(kv[1]!, (kv[2] ?? '').trim());
      if (closes) {
        this.objects.push(current);
        current = undefined;
      }
    }
    if (current) throw unreadable(file, `"define ${current.type} {" is never closed with "}"`, current.line);
  }

  /** Templates of a type by their `name`. */
  private templates(type: string): Map<string, NagiosObject> {
    const out = new Map<string, NagiosObject>();
    for (const o of this.objects) if (o.type === type && o.vars.has('name')) out.set(o.vars.get('name')!, o);
    return out;
  }

  /**
   * The registered objects of a type with their templates applied. A `use` that names no
   * template or goes round in a loop is an error at the object's line, as Nagios refuses it.
   */
  resolved(type: string): NagiosObject[] {
    const templates = this.templates(type);
    const cache = new Map<NagiosObject, Map<string, string>>();
    const resolve = (o: NagiosObject, depth: number): Map<string, string> => {
      const hit = cache.get(o);
      if (hit) return hit;
      if (depth > MAX_TEMPLATE_DEPTH) throw unreadable(o.file, `templates used by this ${type} go deeper than ${MAX_TEMPLATE_DEPTH} levels (a loop?)`, o.line);
      const vars = new Map<string, string>();
      const parents = (o.vars.get('use') ?? '').split(',').map((s) => s.trim()).filter(Boolean).map((name) => {
        const t = templates.get(name);
        if (!t) throw unreadable(o.file, `uses the ${type} template "${name}", which is not defined`, o.line);
        return resolve(t, depth + 1);
      });
      for (const [k, v] of o.vars) vars.set(k, v);
      // The first template that has a variable gives it (Nagios' order for several `use`).
      for (const p of parents)
        for (const [k, v] of p) {
          if (k === 'name' || k === 'register' || k === 'use') continue;
          const own = vars.get(k);
          if (own === undefined) vars.set(k, v);
          else if (own.startsWith('+') && ADDITIVE.has(k)) vars.set(k, v === 'null' ? own.slice(1) : `${v},${own.slice(1)}`);
        }
      for (const [k, v] of vars) {
        if (v.startsWith('+')) vars.set(k, v.slice(1));
        if (v === 'null') vars.delete(k);
      }
      cache.set(o, vars);
      return vars;
    };
    return this.objects.filter((o) => o.type === type && o.vars.get('register') !== '0').map((o) => ({ ...o, vars: resolve(o, 0) }));
  }

  /** Counts of definitions of types the importer does not read. */
  otherTypes(known: string[]): Map<string, NagiosObject[]> {
    const out = new Map<string, NagiosObject[]>();
    for (const o of this.objects) if (!known.includes(o.type)) out.set(o.type, [...(out.get(o.type) ?? []), o]);
    return out;
  }
}

/** Nagios ends a line at `;` unless written `\;`. */
function stripComment(line: string): string {
  let out = '';
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && line[i + 1] === ';') {
      out += ';';
      i++;
    } else if (line[i] === ';') break;
    else out += line[i];
  }
  return out;
}

/** A comma list (`a, b,c`). */
export function list(value: string | undefined): string[] {
  return (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}
