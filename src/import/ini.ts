/**
 * fail2ban's INI dialect, read as fail2ban reads it (Python's configparser with fail2ban's
 * additions): `[section]`, `key = value` or `key: value` (keys case-insensitive), values going on
 * over indented lines, whole-line comments with `#` or `;`, inline comments only with ` ;`,
 * `[INCLUDES]` `before`/`after` files (each with its `.local` beside), every section inheriting
 * `[DEFAULT]`, and `%(name)s` interpolation with fail2ban's `%(__name__)s`, `%(default/x)s`,
 * `%(known/x)s` (the value before a later file replaced it) and `%(section/x)s`.
 *
 * No npm INI parser knows these rules (continuations, ` ;` comments, the interpolation forms),
 * so this is a small one, bounded: include depth, interpolation depth (Python's 10) and the
 * length a value may grow to while it is expanded.
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { unreadable, type InputBudget } from './common.ts';

/** Python's MAX_INTERPOLATION_DEPTH. */
const MAX_INTERPOLATION_DEPTH = 10;
/** A value longer than this once expanded is an expansion bomb, not a config. */
const MAX_EXPANDED = 64 * 1024;
const MAX_INCLUDE_DEPTH = 10;

export interface IniEntry {
  raw: string;
  file: string;
  line: number;
  /** What this key held before a later file set it again (`%(known/key)s`). */
  known?: IniEntry;
}

export class InterpolationError extends Error {}

export class IniConfig {
  /** Section name (as written) to its keys (lower case). `DEFAULT` holds the defaults. */
  readonly sections = new Map<string, Map<string, IniEntry>>();
  /** Sections in the order first seen. */
  readonly order: string[] = [];
  /** Files read, in order. */
  readonly files: string[] = [];

  constructor(private readonly budget: InputBudget) {}

  /** Reads `file` with its includes, over what was read before (a missing include is skipped, as fail2ban does). */
  read(file: string, depth = 0, stack: string[] = []): void {
    if (depth > MAX_INCLUDE_DEPTH || stack.includes(file)) throw unreadable(stack.at(-1) ?? file, `includes go ${depth > MAX_INCLUDE_DEPTH ? `deeper than ${MAX_INCLUDE_DEPTH} levels` : `in a circle back to ${file}`}`);
    const parsed = parseIni(this.budget.read(file), file);
    this.files.push(file);
    const includes = parsed.get('INCLUDES');
    const listed = (key: string) => (includes?.get(key)?.raw ?? '').split(/\s+/).filter(Boolean).map((f) => (isAbsolute(f) ? f : join(dirname(file), f)));
    const withLocal = (files: string[]) => files.flatMap((f) => [f, f.replace(/\.conf$/, '.local')].filter((g, i) => i === 0 || (g !== f && existsSync(g))));
    for (const f of withLocal(listed('before'))) if (existsSync(f)) this.read(f, depth + 1, [...stack, file]);
    for (const [name, keys] of parsed) {
      if (name === 'INCLUDES') continue;
      let section = this.sections.get(name);
      if (!section) {
        section = new Map();
        this.sections.set(name, section);
        this.order.push(name);
      }
      for (const [key, entry] of keys) {
        const before = section.get(key) ?? (name === 'DEFAULT' ? undefined : this.sections.get('DEFAULT')?.get(key));
        section.set(key, before ? { ...entry, known: before } : entry);
      }
    }
    for (const f of withLocal(listed('after'))) if (existsSync(f)) this.read(f, depth + 1, [...stack, file]);
  }

  /** The entry for `key` in `section`, or inherited from DEFAULT. */
  entry(section: string, key: string): IniEntry | undefined {
    return this.sections.get(section)?.get(key.toLowerCase()) ?? this.sections.get('DEFAULT')?.get(key.toLowerCase());
  }

  /** The value, interpolated; undefined when the key is not set. Throws InterpolationError. */
  get(section: string, key: string): string | undefined {
    const e = this.entry(section, key);
    return e === undefined ? undefined : this.expand(e.raw, section, 0, e);
  }

  private expand(raw: string, section: string, depth: number, self: IniEntry | undefined): string {
    if (!raw.includes('%')) return raw;
    if (depth >= MAX_INTERPOLATION_DEPTH) throw new InterpolationError(`%(...)s references go deeper than ${MAX_INTERPOLATION_DEPTH} levels (a loop?)`);
    let out = '';
    let i = 0;
    while (i < raw.length) {
      const p = raw.indexOf('%', i);
      if (p < 0) {
        out += raw.slice(i);
        break;
      }
      out += raw.slice(i, p);
      if (raw[p + 1] === '%') {
        out += '%';
        i = p + 2;
        continue;
      }
      const m = /^%\(([^)]+)\)s/.exec(raw.slice(p));
      if (!m) throw new InterpolationError(`"%" must be followed by "%" or "(name)s", in "${raw.slice(p, p + 40)}"`);
      out += this.lookup(m[1]!.toLowerCase(), section, depth, self);
      if (out.length > MAX_EXPANDED) throw new InterpolationError(`grows past ${MAX_EXPANDED / 1024} KiB when its %(...)s references are expanded`);
      i = p + m[0].length;
    }
    return out;
  }

  private lookup(name: string, section: string, depth: number, self: IniEntry | undefined): string {
    if (name === '__name__') return section;
    const slash = name.indexOf('/');
    if (slash > 0) {
      const where = name.slice(0, slash);
      const key = name.slice(slash + 1);
      if (where === 'known') {
        const known = (self?.known ?? this.sections.get('DEFAULT')?.get(key));
        // fail2ban: a known/ value that does not exist is empty (nothing was there before).
        return known ? this.expand(known.raw, section, depth + 1, known) : '';
      }
      const target = where === 'default' ? 'DEFAULT' : [...this.sections.keys()].find((s) => s.toLowerCase() === where);
      const e = target === undefined ? undefined : this.entry(target, key);
      if (!e) throw new InterpolationError(`%(${name})s names an option that is not set`);
      return this.expand(e.raw, target!, depth + 1, e);
    }
    const e = this.entry(section, name);
    if (!e) throw new InterpolationError(`%(${name})s names an option that is not set in [${section}] or [DEFAULT]`);
    return this.expand(e.raw, section, depth + 1, e);
  }
}

/** One file's sections; a line that is none of the forms is an error at its line. */
export function parseIni(text: string, file: string): Map<string, Map<string, IniEntry>> {
  const sections = new Map<string, Map<string, IniEntry>>();
  let section: Map<string, IniEntry> | undefined;
  let current: IniEntry | undefined;
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.replace(/\r$/, '');
    if (/^\s*$/.test(line)) continue;
    if (/^\s*[#;]/.test(line)) continue;
    if (/^\s/.test(line) && current) {
      const more = stripInline(line).trim();
      if (more) current.raw = current.raw ? `${current.raw}\n${more}` : more;
      continue;
    }
    const head = /^\[([^\]]+)\]\s*(?:;.*)?$/.exec(line);
    if (head) {
      const name = head[1]!.trim();
      section = sections.get(name) ?? new Map();
      sections.set(name, section);
      current = undefined;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line.trim());
    if (!kv) throw unreadable(file, `expected "[section]" or "key = value", got "${line.trim().slice(0, 80)}"`, n + 1);
    if (!section) throw unreadable(file, `"${kv[1]}" comes before any [section]`, n + 1);
    current = { raw: stripInline(kv[2]!).trim(), file, line: n + 1 };
    section.set(kv[1]!.trim().toLowerCase(), current);
  }
  return sections;
}

/** Python's inline_comment_prefixes=";": a ";" after whitespace starts a comment. */
function stripInline(s: string): string {
  const m = /\s;/.exec(s);
  return m ? s.slice(0, m.index) : s;
}

/** configparser's booleans. */
export function iniBoolean(value: string | undefined): boolean | undefined {
  const v = value?.trim().toLowerCase();
  if (v === undefined) return undefined;
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  return undefined;
}
