/**
 * One open log file being followed: reads what was appended in big chunks, cuts it into lines
 * (a last line without its newline is held until it is completed), and notices when the file was
 * truncated (copytruncate) or its content replaced under the same inode (the hash of the first
 * line changed). The open descriptor is what lets a renamed or deleted file be finished to its end.
 *
 * A log directory is often writable by others (/var/log/apache2 by the adm group, a site's logs
 * by its owner), so what is found there is not trusted: files are opened O_NONBLOCK (a FIFO
 * would otherwise hold a libuv thread until a writer came: four of them stop every fs call of
 * the daemon), without following a final symlink unless the operator named the path itself
 * (file-glob.ts says when), and only a regular file, as `fstat` of the open descriptor says, is
 * followed. There is no stat-then-open race: the descriptor is what is checked and read.
 */
import { createHash } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { LineSplitter, type SplitLines } from './lines.ts';

/** The first line (at most HEAD_MAX bytes) identifies the content of a file. */
const HEAD_MAX = 4096;

export interface Head {
  hash: string;
  len: number;
}

/** gzip, bzip2, xz, zstd, lz4 frame magic: a compressed rotated file under a plain name. */
const MAGIC: readonly number[][] = [[0x1f, 0x8b], [0x42, 0x5a, 0x68], [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], [0x28, 0xb5, 0x2f, 0xfd], [0x04, 0x22, 0x4d, 0x18]];

function isCompressed(bytes: Buffer): boolean {
  return MAGIC.some((m) => bytes.length >= m.length && m.every((b, i) => bytes[i] === b));
}

/** Hash of the first line of the open file, or undefined while it has no complete first line. */
export async function readHead(fh: FileHandle): Promise<Head | undefined> {
  const buf = Buffer.allocUnsafe(HEAD_MAX);
  const { bytesRead } = await fh.read(buf, 0, HEAD_MAX, 0);
  const nl = buf.subarray(0, bytesRead).indexOf(10);
  const len = nl !== -1 ? nl + 1 : bytesRead === HEAD_MAX ? HEAD_MAX : 0;
  if (len === 0) return undefined;
  return { hash: createHash('sha256').update(buf.subarray(0, len)).digest('hex').slice(0, 32), len };
}

export class FollowedFile {
  /** Bytes consumed from the start of the file, the held partial line included. */
  offset = 0;
  head: Head | undefined;
  /** Cuts what is read into lines and holds a partial line (bounded) until it ends. */
  private splitter = new LineSplitter();

  private constructor(
    public path: string,
    readonly dev: bigint,
    readonly ino: bigint,
    private readonly fh: FileHandle,
  ) {}

  /**
   * Opens a file for following, or says why it is not followed: not a regular file, a symlink
   * where links are not followed, unreadable (these deserve a warning), gone meanwhile or a
   * compressed file under a plain name (these do not). `follow`: follow a final symlink (only
   * for a path the operator wrote out).
   */
  static async open(path: string, opts: { follow: boolean }): Promise<FollowedFile | OpenRefusal> {
    let fh: FileHandle;
    try {
      fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (opts.follow ? 0 : constants.O_NOFOLLOW));
    } catch (e) {
      return openRefusal(e);
    }
    try {
      const st = await fh.stat({ bigint: true });
      if (!st.isFile()) {
        await fh.close();
        return { why: `not a regular file (${kindOf(st)})`, warn: true };
      }
      const magic = Buffer.alloc(6);
      const { bytesRead } = await fh.read(magic, 0, 6, 0);
      if (isCompressed(magic.subarray(0, bytesRead))) {
        await fh.close();
        return { why: 'compressed', warn: false };
      }
      const f = new FollowedFile(path, st.dev, st.ino, fh);
      f.head = await readHead(fh);
      return f;
    } catch (e) {
      await fh.close().catch(() => undefined);
      return openRefusal(e);
    }
  }

  get key(): string {
    return identityKey(this.dev, this.ino);
  }

  /** The position to save: the start of the held partial line, so a restart reads it whole. */
  get committed(): number {
    return this.splitter.pendingStart ?? this.offset;
  }

  async size(): Promise<number> {
    return Number((await this.fh.stat({ bigint: true })).size);
  }

  /**
   * The offset just after the last newline before `size` (looking back at most 64 KiB): where
   * reading "from the end" starts, so a line half-written at that moment is read whole later.
   */
  async endOfLastLine(size: number): Promise<number> {
    const back = Math.min(size, 64 * 1024);
    if (back === 0) return size;
    const buf = Buffer.allocUnsafe(back);
    const { bytesRead } = await this.fh.read(buf, 0, back, size - back);
    const nl = buf.subarray(0, bytesRead).lastIndexOf(10);
    if (nl !== -1) return size - back + nl + 1;
    return back === size ? 0 : size;
  }

  /** Starts over from the beginning (truncated or replaced file). */
  reset(): void {
    this.offset = 0;
    this.splitter.reset();
    this.head = undefined;
  }

  /** Moves to `offset` (a saved position, or the end on a first start). */
  seek(offset: number): void {
    this.offset = offset;
    this.splitter.reset();
  }

  /**
   * Checks that the content is still the one being followed: smaller than what was read
   * (copytruncate) or a different first line (replaced in place) means start over. Returns why.
   */
  async verify(): Promise<'truncated' | 'replaced' | undefined> {
    const size = await this.size();
    if (size < this.offset) {
      this.reset();
      return 'truncated';
    }
    if (size === this.offset && this.head) return undefined;
    const head = await readHead(this.fh);
    if (this.head && (!head || head.hash !== this.head.hash)) {
      this.reset();
      this.head = head;
      return 'replaced';
    }
    this.head ??= head;
    return undefined;
  }

  /**
   * Reads everything appended since the last read, in chunks of `buf`'s size, and hands each
   * chunk's complete lines with their byte offsets to `emit`, waiting for it before reading on
   * (the caller stores what the lines hold before their position may be saved). Lines are cut by
   * the guard's one line reader (lines.ts): empty lines dropped, a final CR removed, a line over
   * `maxLine` bytes kept as its head and tail.
   */
  async readNew(buf: Buffer, maxLine: number, emit: (split: SplitLines) => void | Promise<void>): Promise<void> {
    if (this.splitter.max !== maxLine) this.splitter = new LineSplitter(maxLine);
    for (;;) {
      const { bytesRead } = await this.fh.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) return;
      const at = this.offset;
      this.offset += bytesRead;
      const out: SplitLines = { lines: [], offsets: [], long: 0 };
      this.splitter.push(buf.subarray(0, bytesRead), at, out);
      if (out.lines.length === 0) continue;
      try {
        await emit(out);
      } catch (e) {
        // Not taken (the store could not record it): read the batch again at the next pass.
        this.seek(out.offsets[0]!);
        throw e;
      }
      if (bytesRead < buf.length) return;
    }
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}

/** Why a file is not followed; `warn`: worth telling the operator (once). */
export interface OpenRefusal {
  why: string;
  warn: boolean;
}

function kindOf(st: BigIntStats): string {
  return st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isDirectory() ? 'a directory' : 'not a file';
}

function openRefusal(e: unknown): OpenRefusal {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return { why: 'gone', warn: false };
  // O_NOFOLLOW met a symlink (planted, or swapped in after the directory was listed).
  if (code === 'ELOOP') return { why: 'a symbolic link (links found by a glob are not followed)', warn: true };
  if (code === 'ENXIO') return { why: 'not a regular file (a socket)', warn: true };
  return { why: `cannot be read (${code ?? (e as Error).message})`, warn: true };
}

export const identityKey = (dev: bigint, ino: bigint): string => `${dev}:${ino}`;
