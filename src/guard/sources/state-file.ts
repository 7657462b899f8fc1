/**
 * Where a source stopped, kept in a small JSON file: file positions (inode, device, offset, first
 * line hash) or a journal cursor. Written atomically (temporary file, fsync, rename, fsync of the
 * directory) so a crash or power loss leaves either the old position or the new one, never half a
 * file. Saves are coalesced: at most one write is in flight and the newest position wins, so a
 * busy log costs one fsync per write the disk can take, not one per batch.
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';

/**
 * Reads a state file; a missing file is `undefined` (first start), an unreadable or corrupt one is
 * logged and also `undefined`, since refusing to start would leave the logs unwatched.
 */
export async function loadState(path: string, log: Logger): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ path, err: (e as Error).message }, 'cannot read the log position file; starting as if new');
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    log.warn({ path, err: (e as Error).message }, 'the log position file is not valid JSON; starting as if new');
    return undefined;
  }
}

/** Writes `data` to `path` atomically and durably. */
export async function writeStateAtomic(path: string, data: unknown): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(JSON.stringify(data) + '\n');
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  // The rename is only durable once the directory entry is on disk.
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } finally {
    await d.close();
  }
}

/**
 * Coalescing saver: `save(snapshot)` asks for the position to be written; while a write is in
 * flight, later snapshots replace each other and the newest is written next. `flush()` waits
 * until everything asked for is on disk.
 */
export class StateWriter {
  private pending: (() => unknown) | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
  ) {}

  /** `snapshot` is called when the write starts, so it always captures the newest position. */
  save(snapshot: () => unknown): void {
    this.pending = snapshot;
    if (!this.running) this.running = this.loop();
  }

  async flush(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(): Promise<void> {
    try {
      while (this.pending) {
        const snap = this.pending;
        this.pending = undefined;
        try {
          await writeStateAtomic(this.path, snap());
        } catch (e) {
          this.log.error({ path: this.path, err: (e as Error).message }, 'cannot save the log position; lines may be read again after a restart');
        }
      }
    } finally {
      this.running = undefined;
    }
  }
}
