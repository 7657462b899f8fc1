/**
 * Apache's configuration as Apache reads it, through an executor: from the main file, following
 * `Include` / `IncludeOptional` (wildcards in any path part, directories read whole, relative to
 * ServerRoot, in alphabetical order), with `${VAR}` from Define and the server's environment,
 * `<IfModule>` decided by the modules loaded so far (LoadModule, or compiled in), `<IfDefine>`
 * by -D and Define. What comes out is the list of directives that are in effect, each with its
 * file and line: the worker limit inspection reads it, and the action that raises the limit
 * changes exactly the line found here.
 *
 * Everything read here (files, `ls` output) may be written by an attacker who owns the server,
 * and the daemon's one event loop also runs every other check: the read is bounded
 * (apache-config-limits.ts), parsed in one pass without backtracking (apache-syntax.ts,
 * glob-match.ts), and yields to the event loop every few milliseconds (time-slice.ts).
 */
import type { Executor } from '../executors/types.ts';
import { APACHE_CONFIG_LIMITS, ConfigBudget, count, type ApacheConfigLimits } from './apache-config-limits.ts';
import { closeTag, logicalLine, openTag, splitArgs, substitute, unquote } from './apache-syntax.ts';
import { compileGlob, hasGlob, matchGlob } from './glob-match.ts';
import { TimeSlice } from './time-slice.ts';
import { formatBytes } from './types.ts';

export { APACHE_CONFIG_LIMITS, type ApacheConfigLimits } from './apache-config-limits.ts';
export { splitArgs } from './apache-syntax.ts';

export interface ApacheDirective {
  /** As written (`MaxRequestWorkers`). */
  name: string;
  /** At most `maxArgs`, each at most `maxArgLength` characters (see `cut`). */
  args: string[];
  file: string;
  line: number;
  /**
   * Enclosing sections other than conditionals (`VirtualHost`, `Directory`...): empty at server
   * level. Shared by the directives of one block: do not change it.
   */
  sections: string[];
  /** Arguments were dropped or shortened to the limits: do not act on them. */
  cut?: true;
}

export interface ApacheConfig {
  configFile: string;
  serverRoot: string;
  /** Files read, in the order Apache reads them. */
  files: string[];
  /** Directives in effect (inside true conditionals), in order. */
  directives: ApacheDirective[];
  /** Module identifiers and source names loaded (`mpm_prefork_module`, `prefork.c`). */
  modules: string[];
  /** What could not be read or made sense of (a missing Include, an unknown ${VAR}). */
  problems: string[];
  /**
   * Set when the config passed one of the read's limits (a file, all files, the number of
   * files, directives or directory entries, a section tag too long to follow): the reason, in a
   * person's words ("the Apache config is too large to inspect: more than 16 MiB in 300 files"),
   * also the last problem. The read stopped there, so `directives` is only a beginning: the
   * setting in effect may come later. Nothing may be decided or changed from such a config.
   */
  tooLarge?: string | undefined;
}

export interface ApacheConfigOptions {
  configFile: string;
  /** ServerRoot before the file sets one (`-d`); relative paths resolve against it. */
  serverRoot: string;
  /** Environment for `${VAR}` (the master's, or Debian's envvars). */
  env?: Record<string, string>;
  /** Names given with -D. */
  defines?: string[];
  /** Modules compiled into the binary (`apache2 -l`): loaded before the first line. */
  staticModules?: string[];
  timeoutMs?: number;
  /** Bounds of the read. @defaultValue APACHE_CONFIG_LIMITS */
  limits?: Partial<ApacheConfigLimits>;
}

/** Include nesting followed (Apache stops at 128; past 32 it is a loop in practice). */
const MAX_DEPTH = 32;
/** Directory levels read under an Included directory. */
const MAX_WALK_DEPTH = 8;
/** Bytes of `ls -1Ap` output per entry at most: a 255-byte name, "/" and a newline. */
const LIST_BYTES_PER_ENTRY = 257;

/** The names a loaded module answers to in <IfModule>: its identifier and its source file. */
export function moduleNames(id: string, path?: string): string[] {
  const names = [id];
  const base = id.endsWith('_module') ? id.slice(0, -'_module'.length) : id;
  names.push(base.startsWith('mpm_') ? `${base.slice(4)}.c` : `mod_${base}.c`);
  const file = path?.slice(path.lastIndexOf('/') + 1);
  const so = file?.endsWith('.so') ? file.slice(0, -3) : file;
  if (so) names.push(`${so}.c`);
  return names;
}

const join = (dir: string, p: string) => {
  if (p.startsWith('/')) return p;
  let end = dir.length;
  while (end > 0 && dir.charCodeAt(end - 1) === 0x2f) end--;
  return `${dir.slice(0, end)}/${p}`;
};

/** An open section; conditionals carry whether they are true. */
interface Open {
  name: string;
  active: boolean;
  conditional: boolean;
}

class Reader {
  readonly files: string[] = [];
  readonly directives: ApacheDirective[] = [];
  readonly modules = new Set<string>();
  readonly defines: Map<string, string>;
  readonly budget: ConfigBudget;
  serverRoot: string;
  private readonly env: Record<string, string>;
  private readonly limits: Readonly<ApacheConfigLimits>;
  private readonly slice = new TimeSlice();

  constructor(
    private readonly exec: Executor,
    private readonly opts: ApacheConfigOptions,
  ) {
    this.serverRoot = opts.serverRoot;
    this.env = opts.env ?? {};
    this.defines = new Map((opts.defines ?? []).map((d) => [d, '']));
    for (const m of opts.staticModules ?? []) this.modules.add(m);
    this.limits = { ...APACHE_CONFIG_LIMITS, ...opts.limits };
    this.budget = new ConfigBudget(this.limits);
  }

  private get timeoutMs() {
    return this.opts.timeoutMs ?? 15_000;
  }

  /** Directory entries, sorted as Apache sorts them; directories end with "/". */
  async list(dir: string): Promise<string[] | undefined> {
    if (!this.budget.command()) return undefined;
    if (this.slice.spent(64)) await this.slice.pause();
    const max = this.limits.maxListEntries;
    const r = await this.exec.run(['ls', '-1Ap', '--', dir], { timeoutMs: this.timeoutMs, maxOutputBytes: max * LIST_BYTES_PER_ENTRY });
    if (r.truncated) {
      this.budget.exceed(`${dir} holds more than ${count(max)} entries`);
      return undefined;
    }
    if (r.code !== 0) return undefined;
    const out: string[] = [];
    const text = r.stdout;
    for (let at = 0; at < text.length; ) {
      let end = text.indexOf('\n', at);
      if (end < 0) end = text.length;
      if (end > at) out.push(text.slice(at, end));
      if (out.length > max) {
        this.budget.exceed(`${dir} holds more than ${count(max)} entries`);
        return undefined;
      }
      if (this.slice.spent(end - at + 16)) await this.slice.pause();
      at = end + 1;
    }
    return out.sort();
  }

  /** Whether a path is a directory. */
  private async isDir(path: string): Promise<boolean> {
    if (!this.budget.command()) return false;
    if (this.slice.spent(64)) await this.slice.pause();
    // test(1) takes no "--" (`test -d -- x` is a syntax error to it); the path is absolute, so
    // it cannot be read as an option: expand() builds every path from "/".
    const r = await this.exec.run(['test', '-d', path], { timeoutMs: this.timeoutMs });
    return r.code === 0;
  }

  /** Every file a directory holds, at any depth, in order. */
  private async walk(dir: string, depth = 0): Promise<string[]> {
    const entries = (await this.list(dir)) ?? [];
    const out: string[] = [];
    for (const e of entries) {
      if (this.budget.exceeded) break;
      if (e.endsWith('/')) {
        if (depth < MAX_WALK_DEPTH) for (const f of await this.walk(join(dir, e.slice(0, -1)), depth + 1)) out.push(f);
      } else out.push(join(dir, e));
      if (out.length > this.limits.maxFiles) {
        this.budget.exceed(`it includes more than ${count(this.limits.maxFiles)} files (in ${dir})`);
        break;
      }
    }
    return out;
  }

  /** Expands an Include path to files: wildcards in any part, directories read whole. */
  async expand(path: string): Promise<string[]> {
    const parts = path.split('/').filter(Boolean);
    /** Paths so far, with whether each is known to be a directory (undefined: not listed). */
    let bases: { path: string; dir?: boolean }[] = [{ path: '/', dir: true }];
    for (let i = 0; i < parts.length && !this.budget.exceeded; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const next: { path: string; dir?: boolean }[] = [];
      const glob = hasGlob(part) ? compileGlob(part) : undefined;
      // More than can be read (the last part) or listed (the others): too large whatever they hold.
      const most = last ? this.limits.maxFiles : this.limits.maxCommands;
      for (const b of bases) {
        if (!glob) {
          next.push({ path: join(b.path, part) });
          continue;
        }
        for (const e of (await this.list(b.path)) ?? []) {
          const dir = e.endsWith('/');
          const name = dir ? e.slice(0, -1) : e;
          if (this.slice.spent(name.length * (part.length + 1))) await this.slice.pause();
          if (name.startsWith('.') && !part.startsWith('.')) continue;
          if ((!last && !dir) || !matchGlob(glob, name)) continue;
          next.push({ path: join(b.path, name), dir });
        }
        if (next.length > most) {
          this.budget.exceed(`Include ${path} matches more than ${count(most)} ${last ? 'files' : 'directories'}`);
          return [];
        }
      }
      bases = next;
    }
    const files: string[] = [];
    for (const p of bases) {
      if (this.budget.exceeded) break;
      if (p.dir ?? (await this.isDir(p.path))) for (const f of await this.walk(p.path)) files.push(f);
      else files.push(p.path);
    }
    return files;
  }

  /** Reads one file; `optional`: a missing file is no problem (IncludeOptional). */
  async readFile(file: string, depth: number, stack: string[], optional = false, outer: string[] = []): Promise<void> {
    if (this.budget.exceeded) return;
    if (depth > MAX_DEPTH || stack.includes(file)) {
      this.budget.problem(`${file}: included from itself (or nested too deep); skipped`);
      return;
    }
    const { maxFiles, maxFileBytes, maxTotalBytes } = this.limits;
    if (this.files.length >= maxFiles) {
      this.budget.exceed(`it includes more than ${count(maxFiles)} files`);
      return;
    }
    if (this.slice.spent(64)) await this.slice.pause();
    // One byte more than may be kept: a file that fills it is longer than the limit.
    const room = Math.min(maxFileBytes, maxTotalBytes - this.budget.bytes);
    let text: string;
    try {
      text = await this.exec.readFile(file, { maxBytes: room + 1, timeoutMs: this.timeoutMs });
    } catch (e) {
      const message = (e as Error).message;
      if (!(optional && message.toLowerCase().includes('no such file'))) this.budget.problem(message);
      return;
    }
    const bytes = Buffer.byteLength(text);
    if (bytes > room && room === maxFileBytes) return this.budget.exceed(`${file} is larger than ${formatBytes(maxFileBytes)}`);
    if (!this.budget.addBytes(bytes, this.files.length + 1)) return;
    this.files.push(file);
    await this.readText(text, file, depth, [...stack, file], outer);
  }

  /** `${VAR}` from Define, then the environment; an unknown one is left and noted. Undefined: too long. */
  private substitute(text: string, file: string, line: number): string | undefined {
    const out = substitute(
      text,
      (name) => this.defines.get(name) ?? this.env[name],
      (name) => this.budget.problem(`${file}:${line}: \${${name}} is not defined`),
      this.limits.maxLineLength,
    );
    if (out === undefined) this.budget.problem(`${file}:${line}: the line is longer than ${count(this.limits.maxLineLength)} characters once \${...} is replaced; skipped`);
    // `${A}${A}...` in line after line must not grow memory past a bound of its own.
    else if (out.length > text.length && !this.budget.addExpansion(out.length - text.length)) return undefined;
    return out;
  }

  /** A directive with its words kept within the limits. */
  private directive(words: string[], file: string, line: number, sections: string[]): ApacheDirective {
    const { maxArgs, maxArgLength } = this.limits;
    let cut = words.length > maxArgs + 1;
    const args = words.slice(1, maxArgs + 1).map((a) => {
      if (a.length <= maxArgLength) return a;
      cut = true;
      return a.slice(0, maxArgLength);
    });
    return cut ? { name: words[0]!, args, file, line, sections, cut } : { name: words[0]!, args, file, line, sections };
  }

  /** `outer`: the sections the Include stood in (a file included inside <VirtualHost> is in it). */
  private async readText(text: string, file: string, depth: number, stack: string[], outer: string[]): Promise<void> {
    const open: Open[] = [];
    let inactive = 0;
    // The sections array is rebuilt only when a non-conditional section opens or closes.
    let sections = outer;
    const rebuild = () => (sections = [...outer, ...open.filter((s) => !s.conditional).map((s) => s.name)]);
    const { maxLineLength, maxDirectives, maxArgs } = this.limits;
    let lineNo = 1;
    for (let pos = 0; pos < text.length && !this.budget.exceeded; ) {
      const ll = logicalLine(text, pos, maxLineLength);
      const at = lineNo;
      lineNo += ll.lines;
      pos = ll.next;
      if (this.slice.spent(ll.length + 32)) await this.slice.pause();
      if (ll.text === undefined) {
        // A section tag that long: what follows is in an unknown section, so nothing holds.
        if (ll.tag) return this.budget.exceed(`${file}:${at} is a section tag of ${count(ll.length)} characters`);
        this.budget.problem(`${file}:${at}: a line of ${count(ll.length)} characters is longer than ${count(maxLineLength)}; skipped`);
        continue;
      }
      const line = ll.text;
      if (!line || line.startsWith('#')) continue;
      if (line.startsWith('<')) {
        if (closeTag(line) !== undefined) {
          const gone = open.pop();
          if (gone && !gone.active) inactive--;
          if (gone && !gone.conditional) rebuild();
          continue;
        }
        const tag = openTag(line);
        if (tag) {
          const name = tag.name.toLowerCase();
          const substituted = this.substitute(tag.arg, file, at);
          if (substituted === undefined) return this.budget.exceed(`${file}:${at}: a section tag too long to follow`);
          const arg = unquote(substituted).trim();
          const neg = arg.startsWith('!');
          const what = neg ? arg.slice(1) : arg;
          let s: Open;
          if (name === 'ifmodule') s = { name, conditional: true, active: this.modules.has(what) !== neg };
          else if (name === 'ifdefine') s = { name, conditional: true, active: this.defines.has(what) !== neg };
          // IfVersion, IfFile, IfDirective, IfSection: taken as true (mamoru cannot ask the binary).
          else if (name.startsWith('if')) s = { name, conditional: true, active: true };
          else s = { name: tag.name, conditional: false, active: true };
          open.push(s);
          if (!s.active) inactive++;
          if (!s.conditional) rebuild();
          continue;
        }
      }
      if (inactive > 0) continue;
      const substituted = this.substitute(line, file, at);
      if (substituted === undefined) continue;
      if (substituted !== line && this.slice.spent(substituted.length)) await this.slice.pause();
      const words = splitArgs(substituted, maxArgs + 2);
      if (!words[0]) continue;
      if (this.directives.length >= maxDirectives) return this.budget.exceed(`more than ${count(maxDirectives)} directives`);
      const d = this.directive(words, file, at, sections);
      this.directives.push(d);
      // What the reader acts on is the words in full (a line's worth at most); only the record is cut.
      const args = words.slice(1);
      const key = d.name.toLowerCase();
      if (key === 'serverroot' && args[0] && sections.length === 0) this.serverRoot = args[0];
      else if (key === 'define' && args[0]) this.defines.set(args[0], args[1] ?? '');
      else if (key === 'undefine' && args[0]) this.defines.delete(args[0]);
      else if (key === 'loadmodule' && args[0]) for (const n of moduleNames(args[0], args[1])) this.modules.add(n);
      else if ((key === 'include' || key === 'includeoptional') && args[0]) {
        const target = join(this.serverRoot, args[0]);
        const files = await this.expand(target);
        // Include of a wildcard that matches nothing is an error in Apache; IncludeOptional is not.
        if (files.length === 0 && key === 'include' && !this.budget.exceeded) this.budget.problem(`${file}:${at}: Include ${args[0]} matches no file`);
        for (const f of files) await this.readFile(f, depth + 1, stack, key === 'includeoptional', sections);
      }
    }
  }
}

/** Reads Apache's configuration from its main file through the executor, within `opts.limits`. */
export async function readApacheConfig(exec: Executor, opts: ApacheConfigOptions): Promise<ApacheConfig> {
  const r = new Reader(exec, opts);
  const configFile = join(opts.serverRoot, opts.configFile);
  // Every path read or put in an argv is absolute (see isDir); a relative one has no meaning here.
  if (configFile.startsWith('/')) await r.readFile(configFile, 0, []);
  else r.budget.problem(`${configFile}: the main config is not an absolute path; not read`);
  const config: ApacheConfig = { configFile, serverRoot: r.serverRoot, files: r.files, directives: r.directives, modules: [...r.modules], problems: r.budget.list() };
  if (r.budget.tooLarge) config.tooLarge = r.budget.tooLarge;
  return config;
}

/** The last directive of that name (any spelling in `names`) at server level: the one in effect. */
export function lastDirective(config: Pick<ApacheConfig, 'directives'>, names: string[]): ApacheDirective | undefined {
  const want = names.map((n) => n.toLowerCase());
  for (let i = config.directives.length - 1; i >= 0; i--) {
    const d = config.directives[i]!;
    if (d.sections.length === 0 && want.includes(d.name.toLowerCase())) return d;
  }
  return undefined;
}
