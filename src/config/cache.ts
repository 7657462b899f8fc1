/**
 * The config's YAML, read once: the data a successful read of a config file gave (before the
 * schema, which still checks it at every start) kept as JSON beside the store, keyed by the sha256
 * of the file's text. A restart with the same file skips the YAML parse, the largest single cost
 * of a start (yaml keeps positions for every node: ~0.3 s of CPU for 1,000 checks, seconds for
 * 50,000; bench/startup). Any change to the text is another key, so the file is read again.
 *
 * Trust: what is in the cache becomes the config (plugins, commands), so it is believed only
 * from a directory and a file that no one but this user (or root) can write, opened without
 * following a symlink; anything else is ignored and the YAML read as usual. Only data that JSON
 * keeps exactly is cached (no `.inf`/`.nan`, no undefined); a config with a problem is never
 * cached, and a cached one the schema refuses is read again from the YAML for the file:line words.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const NAME = 'config-cache.json';
/** Changes whenever what the cache holds would mean something else (the YAML options of load.ts included). */
const FORMAT = 'mamoru-config-cache/1 yaml-core maxAliasCount=100';
/** Largest cache file written or read (the config itself is at most 8 MiB). */
const MAX_BYTES = 32 * 1024 * 1024;

export interface ConfigCache {
  /** The data cached for exactly this text, or undefined. */
  get(text: string): unknown;
  /** Keeps the data a successful read of this text gave (quietly nothing when it cannot). */
  put(text: string, data: unknown): void;
}

const keyOf = (text: string) => createHash('sha256').update(FORMAT).update('\0').update(text).digest('hex');

/** Written by this user or root only: not writable by the group or others. */
function trusted(st: Stats): boolean {
  const me = process.geteuid?.() ?? -1;
  return (st.uid === me || st.uid === 0) && (st.mode & 0o022) === 0;
}

/** JSON that parses back to exactly this value, or undefined when it would not (NaN, Infinity, undefined, ...). */
function exactJson(data: unknown): string | undefined {
  try {
    return JSON.stringify(data, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('not finite');
      if (v === undefined || typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new Error('not JSON');
      if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) throw new Error('not plain');
      return v;
    });
  } catch {
    return undefined;
  }
}

/** The cache in `dir` (the store's directory: written by the daemon's user only). */
export function configCache(dir: string): ConfigCache {
  const file = join(dir, NAME);
  const dirTrusted = () => {
    try {
      const st = statSync(dir);
      return st.isDirectory() && trusted(st);
    } catch {
      return false;
    }
  };
  return {
    get(text) {
      if (!dirTrusted()) return undefined;
      let fd: number;
      try {
        fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
      } catch {
        return undefined;
      }
      try {
        const st = fstatSync(fd);
        if (!st.isFile() || !trusted(st) || st.size > MAX_BYTES) return undefined;
        const doc = JSON.parse(readFileSync(fd, 'utf8')) as { key?: unknown; data?: unknown };
        return doc.key === keyOf(text) ? doc.data : undefined;
      } catch {
        return undefined;
      } finally {
        closeSync(fd);
      }
    },
    put(text, data) {
      if (!dirTrusted()) return;
      const json = exactJson(data);
      if (json === undefined) return;
      const body = `{"key":${JSON.stringify(keyOf(text))},"data":${json}}\n`;
      if (Buffer.byteLength(body) > MAX_BYTES) return;
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, body, { mode: 0o600, flag: 'wx' });
        renameSync(tmp, file);
      } catch {
        try {
          unlinkSync(tmp);
        } catch {
          /* not there */
        }
      }
    },
  };
}
