/**
 * Apache's configuration as Apache reads it, through an executor: from the main file, following
 * `Include` / `IncludeOptional` (wildcards in any path part, directories read whole, relative to
 * ServerRoot, in alphabetical order), with `${VAR}` from Define and the server's environment,
 * `<IfModule>` decided by the modules loaded so far (LoadModule, or compiled in), `<IfDefine>`
 * by -D and Define. What comes out is the list of directives that are in effect, each with its
 * file and line: the worker limit inspection reads it, and the action that raises the limit
 * changes exactly the line found here.
 */
import type { Executor } from '../executors/types.ts';

export interface ApacheDirective {
  /** As written (`MaxRequestWorkers`). */
  name: string;
  args: string[];
  file: string;
  line: number;
  /** Enclosing sections other than conditionals (`VirtualHost`, `Directory`...): empty at server level. */
  sections: string[];
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
}

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_DEPTH = 32;
const MAX_FILES = 2000;

/** Splits a directive line into words, honouring "double" and 'single' quotes. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!);
  return out;
}

/** The names a loaded module answers to in <IfModule>: its identifier and its source file. */
export function moduleNames(id: string, path?: string): string[] {
  const names = [id];
  const base = id.replace(/_module$/, '');
  names.push(base.startsWith('mpm_') ? `${base.slice(4)}.c` : `mod_${base}.c`);
  const so = path?.split('/').pop()?.replace(/\.so$/, '');
  if (so) names.push(`${so}.c`);
  return names;
}

const join = (dir: string, p: string) => (p.startsWith('/') ? p : `${dir.replace(/\/+$/, '')}/${p}`);
const hasGlob = (s: string) => /[*?[]/.test(s);

function globRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

class Reader {
  readonly files: string[] = [];
  readonly directives: ApacheDirective[] = [];
  readonly modules = new Set<string>();
  readonly problems: string[] = [];
  readonly defines: Map<string, string>;
  serverRoot: string;
  private readonly env: Record<string, string>;

  constructor(
    private readonly exec: Executor,
    private readonly opts: ApacheConfigOptions,
  ) {
    this.serverRoot = opts.serverRoot;
    this.env = opts.env ?? {};
    this.defines = new Map((opts.defines ?? []).map((d) => [d, '']));
    for (const m of opts.staticModules ?? []) this.modules.add(m);
  }

  private get timeoutMs() {
    return this.opts.timeoutMs ?? 15_000;
  }

  /** Directory entries, sorted as Apache sorts them; directories end with "/". */
  async list(dir: string): Promise<string[] | undefined> {
    const r = await this.exec.run(['ls', '-1Ap', '--', dir], { timeoutMs: this.timeoutMs, maxOutputBytes: 4 * 1024 * 1024 });
    if (r.code !== 0) return undefined;
    return r.stdout.split('\n').filter(Boolean).sort();
  }

  private async isDir(path: string): Promise<boolean> {
    return (await this.exec.run(['test', '-d', path], { timeoutMs: this.timeoutMs })).code === 0;
  }

  /** Every file a directory holds, at any depth, in order. */
  private async walk(dir: string, depth = 0): Promise<string[]> {
    const entries = (await this.list(dir)) ?? [];
    const out: string[] = [];
    for (const e of entries) {
      if (e.endsWith('/')) {
        if (depth < 8) out.push(...(await this.walk(join(dir, e.slice(0, -1)), depth + 1)));
      } else out.push(join(dir, e));
    }
    return out;
  }

  /** Expands an Include path to files: wildcards in any part, directories read whole. */
  async expand(path: string): Promise<string[]> {
    const parts = path.split('/').filter(Boolean);
    /** Paths so far, with whether each is known to be a directory (undefined: not listed). */
    let bases: { path: string; dir?: boolean }[] = [{ path: '/', dir: true }];
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      const last = i === parts.length - 1;
      const next: { path: string; dir?: boolean }[] = [];
      for (const b of bases) {
        if (!hasGlob(part)) {
          next.push({ path: join(b.path, part) });
          continue;
        }
        const re = globRegex(part);
        for (const e of (await this.list(b.path)) ?? []) {
          const dir = e.endsWith('/');
          const name = dir ? e.slice(0, -1) : e;
          if (name.startsWith('.') && !part.startsWith('.')) continue;
          if (!re.test(name) || (!last && !dir)) continue;
          next.push({ path: join(b.path, name), dir });
        }
      }
      bases = next;
    }
    const files: string[] = [];
    for (const p of bases) {
      if (p.dir ?? (await this.isDir(p.path))) files.push(...(await this.walk(p.path)));
      else files.push(p.path);
    }
    return files;
  }

  /** `${VAR}` from Define, then the environment; an unknown one is left and noted. */
  private substitute(text: string, file: string, line: number): string {
    return text.replace(/\$\{([A-Za-z0-9_.:-]+)\}/g, (all, name: string) => {
      const v = this.defines.get(name) ?? this.env[name];
      if (v !== undefined) return v;
      this.problems.push(`${file}:${line}: \${${name}} is not defined`);
      return all;
    });
  }

  /** Reads one file; `optional`: a missing file is no problem (IncludeOptional). */
  async readFile(file: string, depth: number, stack: string[], optional = false, outer: string[] = []): Promise<void> {
    if (depth > MAX_DEPTH || stack.includes(file)) {
      this.problems.push(`${file}: included from itself (or nested too deep); skipped`);
      return;
    }
    if (this.files.length >= MAX_FILES) {
      this.problems.push(`${file}: more than ${MAX_FILES} files; skipped`);
      return;
    }
    let text: string;
    try {
      text = await this.exec.readFile(file, { maxBytes: MAX_FILE_BYTES, timeoutMs: this.timeoutMs });
    } catch (e) {
      if (!(optional && /no such file/i.test((e as Error).message))) this.problems.push((e as Error).message);
      return;
    }
    this.files.push(file);
    await this.readText(text, file, depth, [...stack, file], outer);
  }

  /** `outer`: the sections the Include stood in (a file included inside <VirtualHost> is in it). */
  private async readText(text: string, file: string, depth: number, stack: string[], outer: string[]): Promise<void> {
    const raw = text.split('\n');
    /** Open sections: conditionals carry whether they are true. */
    const open: { name: string; active: boolean; conditional: boolean }[] = [];
    const active = () => open.every((s) => s.active);
    for (let i = 0; i < raw.length; i++) {
      const lineNo = i + 1;
      let line = raw[i]!.replace(/\r$/, '');
      // Continuation lines: a trailing backslash joins the next line.
      while (line.endsWith('\\') && i + 1 < raw.length) line = line.slice(0, -1) + ' ' + raw[++i]!.replace(/\r$/, '').trimStart();
      line = line.trim();
      if (!line || line.startsWith('#')) continue;
      const close = /^<\/([\w:]+)\s*>$/.exec(line);
      if (close) {
        open.pop();
        continue;
      }
      const sect = /^<([\w:]+)(?:\s+(.*?))?\s*>$/.exec(line);
      if (sect) {
        const name = sect[1]!.toLowerCase();
        const arg = this.substitute(sect[2] ?? '', file, lineNo).replace(/^"(.*)"$/, '$1').trim();
        const neg = arg.startsWith('!');
        const what = neg ? arg.slice(1) : arg;
        if (name === 'ifmodule') open.push({ name, conditional: true, active: this.modules.has(what) !== neg });
        else if (name === 'ifdefine') open.push({ name, conditional: true, active: this.defines.has(what) !== neg });
        // IfVersion, IfFile, IfDirective, IfSection: taken as true (mamoru cannot ask the binary).
        else if (name.startsWith('if')) open.push({ name, conditional: true, active: true });
        else open.push({ name: sect[1]!, conditional: false, active: true });
        continue;
      }
      if (!active()) continue;
      const words = splitArgs(this.substitute(line, file, lineNo));
      const name = words[0];
      if (!name) continue;
      const args = words.slice(1);
      const key = name.toLowerCase();
      const sections = [...outer, ...open.filter((s) => !s.conditional).map((s) => s.name)];
      this.directives.push({ name, args, file, line: lineNo, sections });
      if (key === 'serverroot' && args[0] && sections.length === 0) this.serverRoot = args[0];
      else if (key === 'define' && args[0]) this.defines.set(args[0], args[1] ?? '');
      else if (key === 'undefine' && args[0]) this.defines.delete(args[0]);
      else if (key === 'loadmodule' && args[0]) for (const n of moduleNames(args[0], args[1])) this.modules.add(n);
      else if ((key === 'include' || key === 'includeoptional') && args[0]) {
        const target = join(this.serverRoot, args[0]);
        const files = await this.expand(target);
        // Include of a wildcard that matches nothing is an error in Apache; IncludeOptional is not.
        if (files.length === 0 && key === 'include') this.problems.push(`${file}:${lineNo}: Include ${args[0]} matches no file`);
        for (const f of files) await this.readFile(f, depth + 1, stack, key === 'includeoptional', sections);
      }
    }
  }
}

/** Reads Apache's configuration from its main file through the executor. */
export async function readApacheConfig(exec: Executor, opts: ApacheConfigOptions): Promise<ApacheConfig> {
  const r = new Reader(exec, opts);
  await r.readFile(join(opts.serverRoot, opts.configFile), 0, []);
  return { configFile: join(opts.serverRoot, opts.configFile), serverRoot: r.serverRoot, files: r.files, directives: r.directives, modules: [...r.modules], problems: r.problems };
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
