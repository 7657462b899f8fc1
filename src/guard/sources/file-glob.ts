/**
 * Which files a file source follows: literal paths and shell-style globs (`*`, `?`, `[...]` in
 * any path segment; a leading dot is matched only by a leading dot, as in the shell), expanded
 * again on a timer and on directory events so new files are picked up. Compressed files (by name
 * here, by their first bytes in file-reader.ts) are rotated history and never followed.
 *
 * Symlinks: a path the operator wrote out in full (no glob in any segment) is followed even when
 * it is a symlink: the operator named it, and distributions do ship logs as links. A file a glob
 * matched is never followed through a final symlink: whoever can write the directory (a site's
 * owner, the adm group) could plant `evil.log -> /etc/shadow` or a link to a FIFO. Such matches,
 * and any match that is not a regular file, are reported as skipped (the source warns once);
 * directories are skipped silently, a `*` meets them all the time. Directories above the file are
 * followed as they are.
 */
import { lstat, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

/** A regular file a pattern matched, with the identity that survives a rename. */
export interface FoundFile {
  path: string;
  dev: bigint;
  ino: bigint;
  size: bigint;
  /** Opened following a final symlink: only for a path written out without a glob. */
  follow: boolean;
}

export interface Expansion {
  files: FoundFile[];
  /** Directories where matching files live or may appear: these are watched for new files. */
  dirs: string[];
  /** Matches that are not followed (a symlink found by a glob, a FIFO, a socket, a device), with why. */
  skipped: { path: string; why: string }[];
}

const COMPRESSED = /\.(gz|bz2|xz|zst|lz4|lzma|lz|z|zip|7z|br)$/i;

/** True for names logrotate and friends give to compressed rotated files. */
export function isCompressedName(path: string): boolean {
  return COMPRESSED.test(path);
}

const hasGlob = (segment: string): boolean => /[*?[]/.test(segment);

/** Compiles one path segment of a glob to an anchored regular expression. */
export function segmentRegex(segment: string): RegExp {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 2);
      if (end === -1) {
        out += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, end);
      if (body.startsWith('!')) body = '^' + body.slice(1);
      out += '[' + body.replace(/\\/g, '\\\\') + ']';
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function matches(name: string, segment: string, re: RegExp): boolean {
  if (name.startsWith('.') && !segment.startsWith('.')) return false;
  return re.test(name);
}

/** Expands one pattern (relative patterns are taken from the working directory). */
async function expandOne(pattern: string, files: Map<string, FoundFile>, dirs: Set<string>, skipped: Map<string, string>): Promise<void> {
  const abs = resolve(pattern);
  const segments = abs.split(sep).filter((s) => s !== '');
  const follow = !segments.some(hasGlob);
  let bases: string[] = [sep];
  for (let i = 0; i < segments.length - 1; i++) {
    const seg = segments[i]!;
    const next: string[] = [];
    if (!hasGlob(seg)) {
      for (const b of bases) next.push(join(b, seg));
    } else {
      const re = segmentRegex(seg);
      for (const b of bases) for (const name of await listDir(b)) if (matches(name, seg, re) && (await isDir(join(b, name)))) next.push(join(b, name));
    }
    bases = next;
  }
  const last = segments[segments.length - 1] ?? '';
  const candidates: string[] = [];
  for (const b of bases) {
    dirs.add(b);
    if (!hasGlob(last)) candidates.push(join(b, last));
    else {
      const re = segmentRegex(last);
      for (const name of await listDir(b)) if (matches(name, last, re)) candidates.push(join(b, name));
    }
  }
  for (const path of candidates) {
    if (files.has(path) || isCompressedName(path)) continue;
    try {
      // stat never opens: neither a FIFO nor a device is touched here.
      const st = follow ? await stat(path, { bigint: true }) : await lstat(path, { bigint: true });
      if (st.isFile()) files.set(path, { path, dev: st.dev, ino: st.ino, size: st.size, follow });
      else if (st.isSymbolicLink()) skipped.set(path, 'a symbolic link (links found by a glob are not followed)');
      else if (!st.isDirectory()) skipped.set(path, `not a regular file (${st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device'})`);
    } catch {
      /* gone between readdir and stat, or not there yet: the next expansion sees it */
    }
  }
}

/** Expands every pattern; a file matched by two patterns is listed once. */
export async function expandPatterns(patterns: readonly string[]): Promise<Expansion> {
  const files = new Map<string, FoundFile>();
  const dirs = new Set<string>();
  const skipped = new Map<string, string>();
  for (const p of patterns) await expandOne(p, files, dirs, skipped);
  // A file another pattern names outright is followed; it is not also reported as skipped.
  return { files: [...files.values()], dirs: [...dirs], skipped: [...skipped].filter(([p]) => !files.has(p)).map(([path, why]) => ({ path, why })) };
}
