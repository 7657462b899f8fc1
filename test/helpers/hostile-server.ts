/**
 * An Executor that answers like a compromised server: an in-memory file tree (owners, modes,
 * symlinks) and process table (users, parents, programs) that the test writes as an attacker
 * would, answering the commands mamoru's inspections run (`ps`, `stat`, `readlink`, `realpath`,
 * `test`, `ls`, `apache2ctl -l`) the way the real tools print. Every argv asked of it is recorded,
 * so a test asserts what mamoru would have executed as root. Commands it does not know answer
 * 127 (not found), as a shell would.
 */
import { posix } from 'node:path';
import type { Executor, ReadFileOptions, RunOptions, RunResult } from '../../src/executors/types.ts';
import { ExecutorError } from '../../src/executors/types.ts';

export interface FakeNode {
  type: 'file' | 'dir' | 'link' | 'fifo';
  uid?: number;
  /** Permission bits; default 0644 for files, 0755 for directories, 0777 for links. */
  mode?: number;
  content?: string;
  /** Where a link points (as readlink prints it). */
  target?: string;
}

export interface FakeProcess {
  pid: number;
  ppid: number;
  user: string;
  uid: number;
  name: string;
  args: string;
  /** /proc/PID/exe. */
  exe: string;
  elapsed?: number;
  environ?: Record<string, string>;
}

const ok = (stdout = '', stderr = '', code = 0): RunResult => ({ code, signal: null, stdout, stderr, truncated: false, timedOut: false, durationMs: 1 });

export class HostileServer implements Executor {
  readonly name = 'hostile';
  readonly ran: string[][] = [];
  readonly files = new Map<string, FakeNode>();
  processes: FakeProcess[] = [];
  /** Extra answers for commands, by argv[0]. */
  readonly commands = new Map<string, (argv: string[]) => RunResult>();

  constructor() {
    for (const d of ['/', '/etc', '/usr', '/usr/sbin', '/home', '/run', '/proc', '/var', '/var/backups']) this.add(d, { type: 'dir' });
    this.add('/tmp', { type: 'dir', mode: 0o1777 });
  }

  /** Adds a node (and the directories above it, root's, 0755, when missing). */
  add(path: string, node: FakeNode): this {
    let dir = posix.dirname(path);
    const missing: string[] = [];
    while (dir !== '/' && !this.files.has(dir)) {
      missing.push(dir);
      dir = posix.dirname(dir);
    }
    for (const d of missing) this.files.set(d, { type: 'dir', uid: 0, mode: 0o755 });
    this.files.set(path, { uid: 0, mode: node.type === 'dir' ? 0o755 : node.type === 'link' ? 0o777 : 0o644, ...node });
    return this;
  }

  /** Follows symlinks in every part (as the kernel does); undefined when something is missing. */
  resolve(path: string, depth = 0): string | undefined {
    if (depth > 16) return undefined;
    const parts = path.split('/').filter(Boolean);
    let cur = '/';
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(cur, parts[i]!);
      const n = this.files.get(next);
      if (!n) return undefined;
      if (n.type === 'link') {
        const r = this.resolve(posix.resolve(cur, n.target!), depth + 1);
        if (!r) return undefined;
        cur = r;
      } else cur = next;
    }
    return cur;
  }

  private proc(path: string): { p: FakeProcess; what: string } | undefined {
    const m = /^\/proc\/(\d+)\/(\w+)$/.exec(path);
    const p = m ? this.processes.find((x) => x.pid === Number(m[1])) : undefined;
    return p ? { p, what: m![2]! } : undefined;
  }

  /** stat's -c directives: %u %g %f (raw mode, hex) %s %h %n. */
  private format(format: string, path: string, n: FakeNode): string {
    const t = n.type === 'file' ? 0o100000 : n.type === 'dir' ? 0o040000 : n.type === 'link' ? 0o120000 : 0o010000;
    const size = n.content?.length ?? (n.type === 'link' ? n.target!.length : 4096);
    const v: Record<string, string> = { u: String(n.uid ?? 0), g: '0', f: (t | (n.mode ?? 0)).toString(16), s: String(size), h: '1', n: path };
    return format.replace(/%([ugfshn])/g, (_, c: string) => v[c]!);
  }

  async run(argv: string[], _opts: RunOptions = {}): Promise<RunResult> {
    this.ran.push([...argv]);
    const [cmd, ...args] = argv;
    const extra = this.commands.get(cmd!);
    if (extra) return extra(argv);
    const operands = args.slice(args.indexOf('--') + 1);
    switch (cmd) {
      case 'ps': {
        const lines = ['    PID    PPID USER     STAT ELAPSED COMMAND         COMMAND'];
        for (const p of this.processes) lines.push(`${String(p.pid).padStart(7)} ${String(p.ppid).padStart(7)} ${p.user.padEnd(8)} Ss   ${String(p.elapsed ?? 100).padStart(7)} ${p.name.padEnd(15)} ${p.args}`);
        return ok(lines.join('\n') + '\n');
      }
      case 'stat': {
        // As GNU stat: the -c format per path; a missing path gets an error and no line, the others go on.
        const follow = args.includes('-L');
        const format = args[args.indexOf('-c') + 1]!;
        const out: string[] = [];
        let code = 0;
        const errs: string[] = [];
        for (const path of operands) {
          const pr = this.proc(path);
          const real = pr && follow && pr.what === 'exe' ? this.resolve(pr.p.exe) : follow ? this.resolve(path) : path;
          const n = real ? this.files.get(real) : undefined;
          if (!n) {
            code = 1;
            errs.push(`stat: cannot statx '${path}': No such file or directory\n`);
            continue;
          }
          out.push(this.format(format, path, pr && follow ? { ...n, type: 'file' } : n) + '\n');
        }
        return ok(out.join(''), errs.join(''), code);
      }
      case 'readlink': {
        const path = operands[0]!;
        const pr = this.proc(path);
        if (pr?.what === 'exe') return ok(`${pr.p.exe}\n`);
        const n = this.files.get(path);
        return n?.type === 'link' ? ok(`${n.target}\n`) : ok('', '', 1);
      }
      case 'realpath': {
        const r = this.resolve(operands[0]!);
        return r ? ok(`${r}\n`) : ok('', `realpath: ${operands[0]}: No such file or directory\n`, 1);
      }
      case 'test': {
        const [flag, path] = args;
        const n = this.files.get(this.resolve(path!) ?? '');
        return ok('', '', n && (flag === '-e' || (flag === '-d' && n.type === 'dir') || (flag === '-f' && n.type === 'file')) ? 0 : 1);
      }
      case 'ls': {
        const dir = this.resolve(operands[0]!);
        if (!dir || this.files.get(dir)?.type !== 'dir') return ok('', 'ls: cannot access', 2);
        const names = [...this.files.keys()].filter((p) => p !== dir && posix.dirname(p) === dir).map((p) => posix.basename(p) + (this.files.get(p)!.type === 'dir' ? '/' : ''));
        return ok(names.sort().join('\n') + '\n');
      }
      case 'sh': {
        // master-trust's fixed script: Uid line, `uid rawmode` of the program's inode, its path.
        if (argv[3] !== 'mamoru-process') return ok('', `sh: script not known to the fake\n`, 127);
        const p = this.processes.find((x) => x.pid === Number(argv[4]));
        if (!p) return ok('', 'grep: no such file\n', 1);
        const exe = this.files.get(this.resolve(p.exe) ?? '');
        return ok(`Uid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\n${exe ? `${exe.uid ?? 0} ${(0o100000 | (exe.mode ?? 0)).toString(16)}` : ''}\n${p.exe}\n`);
      }
      case 'apache2ctl':
        return args[0] === '-l' ? ok('Compiled in modules:\n  core.c\n  mod_so.c\n  mod_watchdog.c\n  http_core.c\n  mod_log_config.c\n  mod_logio.c\n  mod_version.c\n  mod_unixd.c\n') : ok('', '', 1);
      default:
        return ok('', `${cmd}: not found\n`, 127);
    }
  }

  async readFile(path: string, opts: ReadFileOptions): Promise<string> {
    const pr = this.proc(path);
    if (pr) {
      const { p, what } = pr;
      if (what === 'status') return `Name:\t${p.name}\nPPid:\t${p.ppid}\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nGid:\t0\t0\t0\t0\n`;
      if (what === 'environ') return Object.entries(p.environ ?? {}).map(([k, v]) => `${k}=${v}\0`).join('');
      if (what === 'stat') return `${p.pid} (${p.name}) S ${p.ppid} 1 1`;
    }
    const real = this.resolve(path);
    const n = real ? this.files.get(real) : undefined;
    if (!n) throw new ExecutorError('read-file', `cannot read ${path}: no such file`);
    if (n.type !== 'file') throw new ExecutorError('read-file', `cannot read ${path}: not a regular file`);
    const text = n.content ?? '';
    return opts.tail ? text.slice(-opts.maxBytes) : text.slice(0, opts.maxBytes);
  }

  async close(): Promise<void> {}

  /** Programs run, by argv[0]. */
  programs(): string[] {
    return this.ran.map((a) => a[0]!);
  }
}
