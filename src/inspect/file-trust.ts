/**
 * Whether a file on a server is root's alone, asked before mamoru (as root) reads a program's
 * word from it, runs it or writes it. On a hosting server other people have accounts, and a path
 * they can change (a file they own, a directory they can write, a symlink they planted) would let
 * them choose what root executes or overwrites. The rule, as OpenSSH and sudo apply it to their
 * own files: the file and every directory above it are owned by root and writable by no one else.
 * A root-owned directory with the sticky bit (/tmp) is accepted above the file's own directory:
 * others cannot rename or remove root's entries in it. Facts come from `stat` (which does not
 * follow a final symlink) and `realpath`; paths are checked before they are ever put in an argv.
 */
import { posix } from 'node:path';
import { plainAbsolutePath } from '../core/path.ts';
import type { Executor } from '../executors/types.ts';

export { plainAbsolutePath };

export type FileType = 'file' | 'dir' | 'link' | 'other';

export interface PathFacts {
  path: string;
  uid: number;
  gid: number;
  /** Permission bits (with setuid, setgid and sticky). */
  mode: number;
  type: FileType;
  size: number;
  links: number;
}

/** Why mamoru will not touch a path as root; the message is for a person. */
export class UntrustedPathError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
    this.name = 'UntrustedPathError';
  }
}

function typeOf(rawMode: number): FileType {
  const t = rawMode & 0o170000;
  return t === 0o100000 ? 'file' : t === 0o040000 ? 'dir' : t === 0o120000 ? 'link' : 'other';
}

/** `stat` (not following a final symlink) of each path; undefined for one that does not exist. */
export async function lstatPaths(exec: Executor, paths: string[]): Promise<(PathFacts | undefined)[]> {
  for (const p of paths) {
    const bad = plainAbsolutePath(p);
    if (bad) throw new UntrustedPathError(p, `${p} ${bad}`);
  }
  // The name last on each line: the paths hold no control characters, so a line is one path's,
  // and a missing path simply has no line (stat goes on with the others).
  const r = await exec.run(['stat', '-c', '%u %g %f %s %h %n', '--', ...paths], { timeoutMs: 15_000, maxOutputBytes: 256 * 1024 });
  const found = new Map<string, PathFacts>();
  for (const line of r.stdout.split('\n')) {
    const m = /^(\d+) (\d+) ([0-9a-f]+) (\d+) (\d+) (\/.*)$/.exec(line);
    if (!m) continue;
    const raw = parseInt(m[3]!, 16);
    found.set(m[6]!, { path: m[6]!, uid: Number(m[1]), gid: Number(m[2]), mode: raw & 0o7777, type: typeOf(raw), size: Number(m[4]), links: Number(m[5]) });
  }
  return paths.map((p) => found.get(p));
}

/** The directories above a path, from `/` down: `/etc/apache2/x.conf` -> `/`, `/etc`, `/etc/apache2`. */
export function ancestors(path: string): string[] {
  const parts = path.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

const writableByOthers = (f: PathFacts) => (f.mode & 0o022) !== 0;
const sticky = (f: PathFacts) => (f.mode & 0o1000) !== 0;
const octal = (f: PathFacts) => f.mode.toString(8).padStart(4, '0');

/** Why a directory above the file lets someone other than root change what the path names; undefined when it does not. */
function untrustedDir(f: PathFacts | undefined, path: string, immediate: boolean): string | undefined {
  if (!f) return `${path} does not exist`;
  if (f.type !== 'dir') return `${path} is a ${f.type === 'link' ? 'symlink' : 'non-directory'} (its real path is checked instead)`;
  if (f.uid !== 0) return `the directory ${path} is owned by uid ${f.uid}, not root`;
  if (writableByOthers(f) && (immediate || !sticky(f))) return `the directory ${path} is writable by others (mode ${octal(f)})`;
  return undefined;
}

/**
 * `dir` checked root's alone, with every directory above it, in one `stat` (and the facts of the
 * names in `inside`, from the same call). Only when a part of it is a symlink is it resolved
 * (`realpath`) and the real path checked instead. Returns the real directory; throws
 * UntrustedPathError with the first reason.
 */
export async function rootDir(exec: Executor, dir: string, inside: string[] = []): Promise<{ real: string; facts: (PathFacts | undefined)[] }> {
  const ask = async (d: string) => {
    const chain = [...ancestors(d), ...(d === '/' ? [] : [d])];
    const facts = await lstatPaths(exec, [...chain, ...inside.map((n) => posix.join(d, n))]);
    return { chain, dirs: facts.slice(0, chain.length), named: facts.slice(chain.length) };
  };
  let real = dir;
  let a = await ask(dir);
  if (a.dirs.some((f) => f?.type === 'link')) {
    real = await realDir(exec, dir);
    a = await ask(real);
  }
  for (let i = 0; i < a.chain.length; i++) {
    const why = untrustedDir(a.dirs[i], a.chain[i]!, i === a.chain.length - 1);
    if (why) throw new UntrustedPathError(dir, why);
  }
  return { real, facts: a.named };
}

/** Checks that `dir` and every directory above it are root's alone (see rootDir). */
export async function assertRootDir(exec: Executor, dir: string): Promise<void> {
  await rootDir(exec, dir);
}

/** The kernel's answer for where a directory really is (`realpath -e`). */
export async function realDir(exec: Executor, dir: string): Promise<string> {
  const r = await exec.run(['realpath', '-e', '--', dir], { timeoutMs: 15_000, maxOutputBytes: 8 * 1024 });
  const real = r.stdout.replace(/\n$/, '');
  if (r.code !== 0 || real.includes('\n')) throw new UntrustedPathError(dir, `${dir} cannot be resolved: ${r.stderr.trim() || `exit ${r.code}`}`);
  const bad = plainAbsolutePath(real);
  if (bad) throw new UntrustedPathError(dir, `${dir} resolves to a path that ${bad}`);
  return real;
}

export interface RootFile {
  /** The path asked about. */
  path: string;
  /** The regular file it is, or that its one symlink names: what may be written. */
  real: string;
  /** The symlink that was followed (kept as it is when the real file is written). */
  link?: string | undefined;
  facts: PathFacts;
}

/**
 * The regular file at `path` if root alone can change it: owned by root, writable by no one else,
 * one hard link, in root's directories all the way up. A final symlink (Debian's
 * `mods-enabled/x.conf -> ../mods-available/x.conf`) is followed once, deliberately, when the
 * link itself is root's in a root directory; the file it names must pass the same checks.
 * Throws UntrustedPathError saying what is wrong, for the person who must look.
 */
export async function rootFile(exec: Executor, path: string, opts: { followLink?: boolean } = {}): Promise<RootFile> {
  const bad = plainAbsolutePath(path);
  if (bad) throw new UntrustedPathError(path, `${path} ${bad}`);
  const { real: dir, facts } = await rootDir(exec, posix.dirname(path), [posix.basename(path)]);
  const real = posix.join(dir, posix.basename(path));
  const f = facts[0];
  if (!f) throw new UntrustedPathError(path, `${path} does not exist`);
  if (f.type === 'link') {
    if (opts.followLink === false) throw new UntrustedPathError(path, `${path} is a symlink`);
    if (f.uid !== 0) throw new UntrustedPathError(path, `${path} is a symlink owned by uid ${f.uid}, not root`);
    const r = await exec.run(['readlink', '--', real], { timeoutMs: 15_000, maxOutputBytes: 8 * 1024 });
    const to = r.stdout.replace(/\n$/, '');
    if (r.code !== 0 || !to || to.includes('\n')) throw new UntrustedPathError(path, `the symlink ${path} cannot be read`);
    const target = posix.resolve(dir, to);
    const named = await rootFile(exec, target, { followLink: false }).catch((e: unknown) => {
      if (e instanceof UntrustedPathError) throw new UntrustedPathError(path, `${path} is a symlink to ${target}, and ${e.message}`);
      throw e;
    });
    return { ...named, path, link: real };
  }
  if (f.type !== 'file') throw new UntrustedPathError(path, `${path} is not a regular file`);
  if (f.uid !== 0) throw new UntrustedPathError(path, `${path} is owned by uid ${f.uid}, not root`);
  if (writableByOthers(f)) throw new UntrustedPathError(path, `${path} is writable by others (mode ${octal(f)})`);
  if (f.links !== 1) throw new UntrustedPathError(path, `${path} has ${f.links} hard links (another name could be changed through it)`);
  return { path, real, facts: f };
}
