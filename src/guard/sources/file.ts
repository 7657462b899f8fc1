/**
 * file: follows log files (paths and globs) through rotation, the way an operator's `tail -F`
 * should have worked. Rename rotation (logrotate's default): the old file is finished to its end
 * through the descriptor still open, then the new file is read from its start. copytruncate: the
 * file shrinks, reading starts over at 0. A file replaced in place is told by the hash of its first
 * line. Compressed rotated files are never read.
 *
 * Driven by inotify (fs.watch on each followed file and on the directories where matches live),
 * with a slow safety poll because inotify events can be missed (overflow, network filesystems,
 * a directory created later). Positions are saved after each batch is handed on (state-file.ts).
 * What others may plant in a log directory (a FIFO, a symlink a glob found) is skipped with one
 * warning, and no open ever waits (file-glob.ts, file-reader.ts).
 */
import { watch, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { duration } from '../../core/schema.ts';
import { expandPatterns, segmentRegex, type Expansion } from './file-glob.ts';
import { findRotatedAway, parsePositions, placeAtStart, serializePositions, type SavedPosition } from './file-positions.ts';
import { FollowedFile, type OpenRefusal } from './file-reader.ts';
import { maxLineLengthOption } from './line-options.ts';
import { loadState, StateWriter } from './state-file.ts';
import { defineSource, type LineBatch, type Source, type SourceContext } from './types.ts';

export const schema = z.strictObject({
  paths: z
    .array(z.string().min(1))
    .min(1, 'name at least one file or glob')
    .meta({ description: 'files to follow: paths or globs (`/var/log/mail.log`, `/var/log/apache2/*error.log`); compressed files are skipped' }),
  from: z.enum(['end', 'start']).default('end').meta({ description: 'where a file never seen before starts at the first start: its end (only new lines) or its start' }),
  poll_interval: duration('safety poll for missed file events and new files matching a glob').prefault('5s'),
  rotate_wait: duration('a rotated-away file is still read until it has not grown for this long (daemons write to it until they reopen)').prefault('10s'),
  read_chunk: z.number().int().min(4096).max(64 * 1024 * 1024).default(1024 * 1024).meta({ description: 'bytes read at once' }),
  max_line_length: maxLineLengthOption('bytes of a line searched; a longer line keeps its head and tail (half each), counted and warned of'),
  state_file: z.string().optional().meta({ description: 'where positions are kept; default `<state dir>/<source name>.file.json`' }),
});

type Options = z.output<typeof schema>;

/** A copytruncate'd file's first line and how far it had been read, kept to place its copy. */
interface Truncation {
  path: string;
  hash: string;
  offset: number;
  at: number;
}

class FileSource implements Source {
  private readonly active = new Map<string, FollowedFile>();
  private retired: { file: FollowedFile; idleSince: number; lastSize: number }[] = [];
  private truncations: Truncation[] = [];
  private readonly dirWatchers = new Map<string, FSWatcher>();
  private readonly fileWatchers = new Map<string, FSWatcher>();
  private readonly names: RegExp[];
  private readonly buf: Buffer;
  private readonly stateFile: string;
  private readonly writer: StateWriter;
  private saved = new Map<string, SavedPosition>();
  /** Paths skipped with a warning, and why: told once while the reason stays the same. */
  private readonly warned = new Map<string, string>();
  private onLines: (b: LineBatch) => unknown = () => undefined;
  private timer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private again: 'read' | 'full' | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly o: Options,
    private readonly ctx: SourceContext,
  ) {
    this.names = o.paths.map((p) => segmentRegex(basename(p)));
    this.buf = Buffer.allocUnsafe(o.read_chunk);
    this.stateFile = o.state_file ?? join(ctx.stateDir, `${ctx.name}.file.json`);
    this.writer = new StateWriter(this.stateFile, ctx.log);
  }

  async start(onLines: (b: LineBatch) => unknown): Promise<void> {
    this.onLines = onLines;
    this.saved = parsePositions(await loadState(this.stateFile, this.ctx.log));
    // Watchers are set during the first pass; their events wait for it to finish.
    this.loop = this.drive(() => this.firstPass());
    await this.loop;
    this.timer = setInterval(() => this.kick('full'), this.o.poll_interval);
    this.timer.unref();
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const w of [...this.dirWatchers.values(), ...this.fileWatchers.values()]) w.close();
    this.dirWatchers.clear();
    this.fileWatchers.clear();
    while (this.loop) await this.loop;
    // A rotated-away file is finished now: its remainder has no saved position to come back to.
    for (const r of this.retired) await this.read(r.file);
    this.save();
    await this.writer.flush();
    for (const f of [...this.active.values(), ...this.retired.map((r) => r.file)]) await f.close();
    this.active.clear();
    this.retired = [];
  }

  /** Asks for a pass; passes never overlap, and events during one coalesce into the next. */
  private kick(kind: 'read' | 'full'): void {
    if (this.stopped) return;
    if (this.loop) {
      if (this.again !== 'full') this.again = kind;
      return;
    }
    this.loop = this.drive(() => this.pass(kind));
  }

  /** Runs `first`, then the passes asked for meanwhile, one at a time. */
  private async drive(first: () => Promise<void>): Promise<void> {
    await null; // `this.loop` is set before the first step begins
    let step: (() => Promise<void>) | undefined = first;
    while (step && !this.stopped) {
      try {
        await step();
      } catch (e) {
        this.ctx.log.error({ source: this.ctx.name, err: (e as Error).message }, 'log file pass failed; retrying at the next event or poll');
      }
      const next: 'read' | 'full' | undefined = this.again;
      this.again = undefined;
      step = next ? () => this.pass(next) : undefined;
    }
    this.loop = undefined;
  }

  /** The first pass places every file from the saved positions, then reads what is new. */
  private async firstPass(): Promise<void> {
    const exp = await expandPatterns(this.o.paths);
    this.watchDirs(exp.dirs);
    this.noteSkipped(exp);
    const claimed = new Set<string>();
    const drains: { path: string; old: SavedPosition }[] = [];
    const opened: FollowedFile[] = [];
    for (const found of exp.files) {
      const f = await this.open(found.path, found.follow);
      if (!f) continue;
      const placed = await placeAtStart(f, this.saved, claimed, this.o.from);
      this.ctx.log.debug({ source: this.ctx.name, file: f.path, placed: placed.how }, 'following log file');
      if (placed.how === 'restarted') this.ctx.log.info({ source: this.ctx.name, file: f.path }, 'log file was truncated or replaced while stopped; reading it from the start');
      if (placed.how === 'rotated') drains.push({ path: f.path, old: placed.old });
      opened.push(f);
    }
    const openKeys = new Set(opened.map((f) => f.key));
    // Rotated while stopped and not followed under its new name: finish it from the saved offset first.
    for (const d of drains) {
      if (openKeys.has(`${d.old.dev}:${d.old.ino}`)) continue;
      const path = await findRotatedAway(d.path, d.old);
      // A rotated sibling is a name found in the directory, like a glob match: no link followed.
      const f = path ? await this.open(path, false) : undefined;
      if (!f) continue;
      // The descriptor's own identity, not the name's: the name may have changed since it was found.
      if (f.dev !== d.old.dev || f.ino !== d.old.ino) {
        await f.close();
        continue;
      }
      if (d.old.headHash === undefined || f.head?.hash === d.old.headHash) {
        f.seek(Math.min(d.old.offset, await f.size()));
        this.ctx.log.info({ source: this.ctx.name, file: d.path, rotated_to: path }, 'log file was rotated while stopped; finishing the old file first');
        await this.read(f);
      }
      await f.close();
    }
    for (const f of opened) this.follow(f);
    for (const f of opened) await this.read(f);
    this.save();
  }

  private async pass(kind: 'read' | 'full'): Promise<void> {
    if (kind === 'full') await this.rescan();
    const now = Date.now();
    const keep: typeof this.retired = [];
    for (const r of this.retired) {
      await this.read(r.file);
      if (r.file.offset !== r.lastSize) {
        r.lastSize = r.file.offset;
        r.idleSince = now;
      }
      if (now - r.idleSince < this.o.rotate_wait && !this.stopped) keep.push(r);
      else await this.release(r.file);
    }
    this.retired = keep;
    for (const f of this.active.values()) {
      const before = { head: f.head, offset: f.committed };
      const why = await f.verify();
      if (why) {
        this.ctx.log.info({ source: this.ctx.name, file: f.path, why }, 'log file truncated or replaced; reading it from the start');
        if (before.head) this.truncations.push({ path: f.path, hash: before.head.hash, offset: before.offset, at: now });
      }
      await this.read(f);
    }
    this.truncations = this.truncations.filter((t) => now - t.at < this.o.rotate_wait);
    this.save();
  }

  /** Expands the patterns again: rotated-away files are retired, new files are opened. */
  private async rescan(): Promise<void> {
    const exp = await expandPatterns(this.o.paths);
    this.watchDirs(exp.dirs);
    this.noteSkipped(exp);
    const byPath = new Map(exp.files.map((f) => [f.path, f]));
    const now = Date.now();
    for (const [path, f] of this.active) {
      const found = byPath.get(path);
      if (found && found.dev === f.dev && found.ino === f.ino) continue;
      await this.read(f); // finish what is there now; more is read while it lingers
      this.active.delete(path);
      this.retired.push({ file: f, idleSince: now, lastSize: f.offset });
      this.ctx.log.info({ source: this.ctx.name, file: path }, 'log file rotated; finishing the old file, then following the new one');
    }
    for (const found of exp.files) {
      if (this.active.has(found.path)) continue;
      const key = `${found.dev}:${found.ino}`;
      const back = this.retired.findIndex((r) => r.file.key === key);
      if (back !== -1) {
        // A rotated file that another pattern also matches (mail.log -> mail.log.1 under mail.log*).
        const [r] = this.retired.splice(back, 1);
        r!.file.path = found.path;
        this.active.set(found.path, r!.file);
        continue;
      }
      if ([...this.active.values()].some((a) => a.key === key)) continue; // the same file under two names
      const f = await this.open(found.path, found.follow);
      if (!f) continue;
      const at = await this.startOfNewFile(f);
      if (at === 'later') {
        await f.close();
        continue;
      }
      f.seek(at);
      this.follow(f);
    }
  }

  /**
   * A file that appears while running is new: read from its start, unless it is a copy of a
   * followed file (copytruncate with a glob that matches the copy), which starts where the
   * original had been read to, so the copied lines are not counted twice.
   */
  private async startOfNewFile(f: FollowedFile): Promise<number | 'later'> {
    if (!f.head) return 0;
    const size = await f.size();
    // Only a file named like a rotated copy (`app.log.1`, `app.log-20260119`) can be one: two
    // unrelated logs may well start with the same header line.
    const copyOf = (path: string) => f.path.startsWith(path) && f.path !== path;
    const twin = [...this.active.values()].find((a) => a.head?.hash === f.head!.hash && copyOf(a.path));
    // A copy still being written: look again when it has grown (its next event, or the poll).
    if (twin) return size >= twin.committed ? twin.committed : 'later';
    const cut = this.truncations.find((t) => t.hash === f.head!.hash && copyOf(t.path));
    return cut ? Math.min(cut.offset, size) : 0;
  }

  /** Opens a file to follow; a refusal worth telling is warned once (file-reader.ts says which). */
  private async open(path: string, follow: boolean): Promise<FollowedFile | undefined> {
    const r = await FollowedFile.open(path, { follow });
    if (r instanceof FollowedFile) {
      this.warned.delete(path);
      return r;
    }
    if (r.warn) this.warn(path, r);
    return undefined;
  }

  /** Warns of the matches the expansion skipped; the warnings of paths gone since are forgotten. */
  private noteSkipped(exp: Expansion): void {
    const there = new Set([...exp.skipped, ...exp.files].map((s) => s.path));
    for (const path of this.warned.keys()) if (!there.has(path)) this.warned.delete(path);
    for (const s of exp.skipped) this.warn(s.path, { why: s.why, warn: true });
  }

  private warn(path: string, r: OpenRefusal): void {
    if (this.warned.get(path) === r.why) return;
    this.warned.set(path, r.why);
    this.ctx.log.warn({ source: this.ctx.name, file: path, why: r.why }, 'not following a file a log pattern matched: it is not a regular file, or a symlink where links are not followed');
  }

  private follow(f: FollowedFile): void {
    this.active.set(f.path, f);
    if (this.fileWatchers.has(f.key) || this.stopped) return;
    try {
      const w = watch(f.path, { persistent: false }, (event) => this.kick(event === 'rename' ? 'full' : 'read'));
      w.on('error', () => {
        w.close();
        this.fileWatchers.delete(f.key);
      });
      this.fileWatchers.set(f.key, w);
    } catch {
      /* the safety poll covers a file that cannot be watched */
    }
  }

  private async release(f: FollowedFile): Promise<void> {
    this.fileWatchers.get(f.key)?.close();
    this.fileWatchers.delete(f.key);
    await f.close();
  }

  private watchDirs(dirs: string[]): void {
    if (this.stopped) return;
    for (const dir of dirs) {
      if (this.dirWatchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, (event, name) => {
          if (name === null) return this.kick('full');
          const path = join(dir, String(name));
          const known = this.active.has(path) || this.retired.some((r) => r.file.path === path);
          if (!known && !this.names.some((re) => re.test(String(name)))) return; // not ours: a busy /var/log stays quiet
          // A name not followed yet that is written to may be a new file (or a copy) to pick up.
          this.kick(event === 'rename' || !known ? 'full' : 'read');
        });
        w.on('error', () => {
          w.close();
          this.dirWatchers.delete(dir);
        });
        this.dirWatchers.set(dir, w);
      } catch {
        /* not there yet: the next rescan tries again */
      }
    }
  }

  private async read(f: FollowedFile): Promise<void> {
    await f.readNew(this.buf, this.o.max_line_length, async (split) => {
      const key = f.key;
      await this.onLines({ lines: split.lines, source: this.ctx.name, file: f.path, ids: split.offsets.map((o) => `${key}:${o}`), long: split.long });
      // Only now: what the lines held is stored, so the position may move past them.
      this.save();
    });
  }

  private save(): void {
    this.writer.save(() => serializePositions(this.active.values()));
  }
}

export default defineSource({
  type: 'file',
  summary: 'follow log files and globs through rename and copytruncate rotation, positions kept across restarts',
  schema,
  create: (options, ctx) => new FileSource(options, ctx),
});
