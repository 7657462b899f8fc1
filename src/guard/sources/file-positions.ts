/**
 * The saved positions of a file source and where a file starts when the source starts: a known
 * file resumes where it stopped, a file that was rotated away while mamoru was down is finished
 * from its saved offset (found again by its inode), a file replaced or truncated meanwhile starts
 * over, and a file never seen before starts at its end (or start, by option).
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isCompressedName } from './file-glob.ts';
import type { FollowedFile, Head } from './file-reader.ts';

/** One file's position as stored: identity, committed offset, first-line hash. */
export interface SavedPosition {
  dev: bigint;
  ino: bigint;
  offset: number;
  headHash?: string | undefined;
}

interface StoredFile {
  dev: string;
  ino: string;
  offset: number;
  head_hash?: string;
  head_len?: number;
}

/** Parses the state file's content; anything unexpected is skipped (that file starts as new). */
export function parsePositions(data: unknown): Map<string, SavedPosition> {
  const out = new Map<string, SavedPosition>();
  const files = (data as { files?: Record<string, StoredFile> } | undefined)?.files;
  if (!files || typeof files !== 'object') return out;
  for (const [path, f] of Object.entries(files)) {
    try {
      if (typeof f.offset !== 'number' || !Number.isSafeInteger(f.offset) || f.offset < 0) continue;
      out.set(path, { dev: BigInt(f.dev), ino: BigInt(f.ino), offset: f.offset, headHash: typeof f.head_hash === 'string' ? f.head_hash : undefined });
    } catch {
      /* a hand-edited or foreign entry: that file starts as new */
    }
  }
  return out;
}

/** The state file's content for the files being followed now. */
export function serializePositions(files: Iterable<FollowedFile>): unknown {
  const out: Record<string, StoredFile> = {};
  for (const f of files) {
    const entry: StoredFile = { dev: String(f.dev), ino: String(f.ino), offset: f.committed };
    if (f.head) {
      entry.head_hash = f.head.hash;
      entry.head_len = f.head.len;
    }
    out[f.path] = entry;
  }
  return { version: 1, files: out };
}

const sameFile = (s: SavedPosition, f: FollowedFile): boolean => s.dev === f.dev && s.ino === f.ino;
const sameHead = (s: SavedPosition, head: Head | undefined): boolean => s.headHash === undefined || head?.hash === s.headHash;

/** How a file found at start was placed, for the log and for finishing a rotated-away file. */
export type Placement =
  | { how: 'resumed'; offset: number }
  | { how: 'restarted'; why: 'truncated or replaced while stopped' }
  | { how: 'rotated'; old: SavedPosition }
  | { how: 'new'; from: 'end' | 'start' };

/**
 * Places `f` (just opened at start) from the saved positions. `claimed` collects saved entries
 * already used, so one saved position never serves two files.
 */
export async function placeAtStart(f: FollowedFile, saved: Map<string, SavedPosition>, claimed: Set<string>, from: 'end' | 'start'): Promise<Placement> {
  const size = await f.size();
  const own = saved.get(f.path);
  if (own && sameFile(own, f)) {
    claimed.add(f.path);
    if (own.offset <= size && sameHead(own, f.head)) {
      f.seek(own.offset);
      return { how: 'resumed', offset: own.offset };
    }
    f.seek(0);
    return { how: 'restarted', why: 'truncated or replaced while stopped' };
  }
  // Renamed while stopped into another path that is also followed (a glob like mail.log*).
  for (const [path, s] of saved) {
    if (claimed.has(path) || !sameFile(s, f) || s.offset > size || !sameHead(s, f.head)) continue;
    claimed.add(path);
    f.seek(s.offset);
    return { how: 'resumed', offset: s.offset };
  }
  if (own) {
    f.seek(0);
    return { how: 'rotated', old: own };
  }
  if (from === 'start') f.seek(0);
  else await seekToLastLine(f, size);
  return { how: 'new', from };
}

/** Starts after the last complete line, so a line being written right now is read whole. */
async function seekToLastLine(f: FollowedFile, size: number): Promise<void> {
  f.seek(await f.endOfLastLine(size));
}

/**
 * Finds the file that was at `path` when the source stopped, rotated away under a sibling name
 * (`mail.log.1`, `mail.log-20260119`), by its inode; compressed siblings are skipped.
 */
export async function findRotatedAway(path: string, old: SavedPosition): Promise<string | undefined> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  for (const name of names) {
    if (name === base || !name.startsWith(base) || isCompressedName(name)) continue;
    const p = join(dir, name);
    try {
      const st = await stat(p, { bigint: true });
      if (st.isFile() && st.dev === old.dev && st.ino === old.ino) return p;
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}
