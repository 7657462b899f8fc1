/**
 * What the importers share: bounded reading of another program's config files (size per file,
 * files in all, depth of folders), the list of what could not be mapped, and the output: YAML
 * with that list as a comment block on top, checked with mamoru's own loader before anyone sees
 * it, so an import never hands over a config that `mamoru start` would refuse.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { formatDuration } from '../core/duration.ts';
import { ConfigError } from '../core/errors.ts';
import { parseConfig } from '../config/load.ts';

/** Largest file read: a real jail.conf is 25 KiB, a large Nagios objects file a few MiB. */
export const MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Files read in one import, all folders and includes together. */
export const MAX_FILES = 2000;
/** Bytes read in one import, all files together. */
export const MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** Folder levels followed below the one given. */
export const MAX_DEPTH = 8;

/** One thing that was not carried over, and why. */
export interface ImportNote {
  /** `file:line`, when it can be placed. */
  where?: string;
  /** What it is: `jail "sshd": bantime.rndtime`, `service "localhost/Current Load"`. */
  item: string;
  why: string;
}

/** Counts what an import reads so that no input can make it read without end. */
export class InputBudget {
  files = 0;
  bytes = 0;

  /** The file's text; a ConfigError naming the file when it cannot be read or is too large. */
  read(file: string): string {
    if (++this.files > MAX_FILES) throw unreadable(file, `more than ${MAX_FILES} files to read; point the import at the config's own folder`);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      throw unreadable(file, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message);
    }
    try {
      const st = fstatSync(fd);
      if (st.isDirectory()) throw unreadable(file, 'is a folder, expected a file');
      if (st.size > MAX_FILE_BYTES) throw unreadable(file, `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; is this the right file?`);
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const buf = Buffer.alloc(Math.min(1024 * 1024, MAX_FILE_BYTES + 1 - total));
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        chunks.push(buf.subarray(0, n));
        total += n;
        if (total > MAX_FILE_BYTES) throw unreadable(file, `larger than ${MAX_FILE_BYTES / 1024 / 1024} MiB; is this the right file?`);
      }
      this.bytes += total;
      if (this.bytes > MAX_TOTAL_BYTES) throw unreadable(file, `more than ${MAX_TOTAL_BYTES / 1024 / 1024} MiB read in all; point the import at the config's own folder`);
      const text = Buffer.concat(chunks).toString('utf8');
      const nul = text.indexOf('\0');
      if (nul >= 0) throw unreadable(file, 'holds NUL bytes: not a text config file', text.slice(0, nul).split('\n').length);
      return text;
    } finally {
      closeSync(fd);
    }
  }

  /** Files under `dir` whose names `wanted` accepts, sorted, down to MAX_DEPTH levels. */
  list(dir: string, wanted: (name: string) => boolean, depth = 0): string[] {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      throw unreadable(dir, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (e as Error).message);
    }
    const out: string[] = [];
    for (const name of names) {
      const path = join(dir, name);
      let st;
      try {
        st = statSync(path);
      } catch {
        continue; // a dangling link: nothing the program reading this folder would read either
      }
      if (st.isDirectory()) {
        if (depth < MAX_DEPTH) out.push(...this.list(path, wanted, depth + 1));
      } else if (st.isFile() && wanted(name)) out.push(path);
      if (out.length > MAX_FILES) throw unreadable(dir, `more than ${MAX_FILES} files; point the import at the config's own folder`);
    }
    return out;
  }
}

/** Exit 2 with `file:line: message`, like a bad mamoru config, headed as the file being imported. */
export function unreadable(file: string, message: string, line?: number): ConfigError {
  return new ConfigError([{ file, ...(line ? { line } : {}), path: '', message }], 'what was to be imported');
}

export function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A name mamoru accepts (letters, digits, `_`, `.`, `-`; `:` too where `colon`), from any text. */
export function safeName(text: string, colon = false): string {
  const cleaned = text
    .trim()
    .replace(colon ? /[^A-Za-z0-9_.:-]+/g : /[^A-Za-z0-9_.-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^A-Za-z0-9]+|-+$/g, '');
  return (cleaned || 'unnamed').slice(0, 100);
}

/** `name`, or `name-2`, `name-3`... the first not in `taken` (which it joins). */
export function unique(name: string, taken: Set<string>): string {
  let n = name;
  for (let i = 2; taken.has(n); i++) n = `${name}-${i}`;
  taken.add(n);
  return n;
}

/** Milliseconds as a config duration (`10m`, `1d12h`). */
export function durationText(ms: number): string {
  return formatDuration(ms);
}

/**
 * The config as YAML, with a header and the notes as a comment block, validated by mamoru's own
 * loader. A failure there is the importer's bug, said as one.
 */
export function renderConfig(config: object, header: string[], notes: ImportNote[]): string {
  const comment = (s: string) => s.replace(/[\r\n]+/g, ' ');
  const lines = header.map((h) => `# ${comment(h)}`);
  if (notes.length) {
    lines.push('#', `# Not mapped (${notes.length}):`);
    for (const n of notes) lines.push(`#   - ${comment(n.item)}: ${comment(n.why)}${n.where ? ` (${comment(n.where)})` : ''}`);
  } else lines.push('#', '# Everything was mapped.');
  const text = `${lines.join('\n')}\n${stringify(config, { lineWidth: 0 })}`;
  try {
    parseConfig(text, '<imported config>');
  } catch (e) {
    if (e instanceof ConfigError) throw new Error(`the imported config does not validate, which is a bug in the importer; please report it with the input:\n${e.message}`);
    throw e;
  }
  return text;
}

/** The notes as lines for stderr. */
export function formatNotes(notes: ImportNote[]): string {
  if (!notes.length) return 'everything was mapped\n';
  return `not mapped (${notes.length}):\n${notes.map((n) => `  - ${n.item}: ${n.why}${n.where ? ` (${n.where})` : ''}`).join('\n')}\n`;
}
