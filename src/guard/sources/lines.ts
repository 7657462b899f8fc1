/**
 * The one line reader of the guard: the jail's file source and `mamoru logtest` cut bytes into
 * lines here, with the same limit and the same treatment of a line over it, so what logtest finds
 * in a log is what the jail finds live (issue 16, point 6).
 *
 * A line longer than `max` bytes is not cut at `max`: the address is where the daemon's format
 * puts it, and that is at the head (access logs, Postfix, named: the client comes first) or near
 * the tail (sshd's `... for invalid user <20 KiB> from 1.2.3.4 port 22 ssh2`, Dovecot's `rip=`
 * after `user=<...>`). So the head and the tail are kept, `max/2` bytes each, joined by
 * LONG_LINE_MARK; only the middle is dropped, and that middle is client text (a user name, a URI)
 * in every format the filters read. What remains is a line the client could have sent with a
 * shorter name, so nothing new can be forged by it. Memory stays bounded for a line that never
 * ends: only its head and a rolling tail are held. Each such line is counted (`long`) so the
 * caller can warn and count it in its metric.
 *
 * Every line comes with the byte offset where it starts: the file source keys the failures it
 * stores by it (a line read again after a restart is known), and a held partial line's start is
 * the position to save.
 */

/** The default longest line, bytes (the sources' `max_line_length`, logtest's `--max-line-length`). */
export const MAX_LINE_LENGTH = 16 * 1024;

/** What stands for the dropped middle of a line over the limit. */
export const LONG_LINE_MARK = ' [...] ';

export interface SplitLines {
  lines: string[];
  /** Byte offset of each line's first byte (index for index with `lines`). */
  offsets: number[];
  /** Lines in this batch that were over the limit (their middle dropped). */
  long: number;
  /** When given, filled with each line's 1-based number (empty lines count): logtest's line numbers. */
  numbers?: number[] | undefined;
}

/**
 * Lines as spans of one decoded string (`pushSpans`, Latin-1 only): line i (i < count) is
 * `texts[i].slice(starts[i], ends[i])`, where `texts[i]` is the chunk's one decoded string for
 * most lines, and a string of its own for a line that began in an earlier chunk or is over the
 * limit. The character at `ends[i]` of `texts[i]`, if any, is the LF that ended the line (or the
 * CR before it), so a reader may look one past the end and meet it. Reused: `pushSpans` appends
 * at `count`. The arrays keep their length between chunks (only `count` says how many entries
 * are current): emptied, they were grown again for every 32 KiB piece of logtest's, four new
 * backing stores per piece, and every allocation brings the next young-generation GC nearer.
 */
export interface LineSpans {
  /** How many lines the arrays hold (entries past it are stale). */
  count: number;
  texts: string[];
  starts: number[];
  ends: number[];
  /** Each line's 1-based number (empty lines count). */
  numbers: number[];
  /** Lines over the limit (their middle dropped). */
  long: number;
}

/** An empty LineSpans. */
export function newSpans(): LineSpans {
  return { count: 0, texts: [], starts: [], ends: [], numbers: [], long: 0 };
}

/**
 * Empties `out` for the next chunk, keeping its arrays. The texts of the lines it held are
 * dropped: a stale entry would keep an old chunk's string alive through the next GC.
 */
export function clearSpans(out: LineSpans): void {
  out.texts.fill('', 0, out.count);
  out.count = 0;
  out.long = 0;
}

export type LineEncoding = 'utf8' | 'latin1';

/** Head and tail of a string over `max` characters (for sources that get text, not bytes: journald). */
export function shortenLine(line: string, max: number): { line: string; long: boolean } {
  if (line.length <= max) return { line, long: false };
  const head = Math.floor(max / 2);
  return { line: line.slice(0, head) + LONG_LINE_MARK + line.slice(line.length - (max - head)), long: true };
}

export class LineSplitter {
  private readonly headMax: number;
  private readonly tailMax: number;
  /** The partial line (no newline yet): its start, its bytes while short, head and tail once long. */
  private start = -1;
  private held: Buffer[] = [];
  private heldLen = 0;
  private tail: Buffer | undefined;
  /** Newlines seen so far: the number of the line each one ends. */
  private newlines = 0;

  constructor(
    readonly max: number = MAX_LINE_LENGTH,
    private readonly encoding: LineEncoding = 'utf8',
  ) {
    this.headMax = Math.floor(max / 2);
    this.tailMax = max - this.headMax;
  }

  /** Where the held partial line starts (the position to save), or undefined when none is held. */
  get pendingStart(): number | undefined {
    return this.start === -1 ? undefined : this.start;
  }

  /** Forgets the partial line (a seek, a truncated file). */
  reset(): void {
    this.start = -1;
    this.held = [];
    this.heldLen = 0;
    this.tail = undefined;
  }

  /**
   * Splits `chunk`, whose first byte is at offset `at`, into `out`. The bytes after the last
   * newline are held (bounded) until their line ends. Empty lines are skipped; a final CR goes.
   */
  push(chunk: Buffer, at: number, out: SplitLines): void {
    let pos = 0;
    for (;;) {
      const nl = chunk.indexOf(10, pos);
      if (nl === -1) {
        if (pos < chunk.length) this.hold(chunk.subarray(pos), at + pos);
        return;
      }
      this.newlines++;
      if (this.start === -1) this.emit(chunk, pos, nl, at + pos, out);
      else {
        if (nl > pos) this.hold(chunk.subarray(pos, nl), at + pos);
        this.emitHeld(out);
      }
      pos = nl + 1;
    }
  }

  /** The held partial line as a line (end of input: logtest's last line without a newline). */
  end(out: SplitLines): void {
    if (this.start === -1) return;
    this.newlines++;
    this.emitHeld(out);
  }

  /**
   * `push()` for a Latin-1 splitter, with the lines as spans: the chunk's complete lines are
   * decoded in one call to one string, and the lines are found in it, instead of one string made
   * per line (what the line reader costs per line goes from a copy and an allocation to an index).
   * The same lines, numbers, limit and head-and-tail treatment as `push()`; no byte offsets.
   */
  pushSpans(chunk: Buffer, at: number, out: LineSpans): void {
    if (this.encoding !== 'latin1') throw new Error('pushSpans: Latin-1 splitters only (one character per byte)');
    let pos = 0;
    if (this.start !== -1) {
      // The line held from the chunk before ends at this chunk's first newline.
      const nl = chunk.indexOf(10);
      if (nl === -1) return this.hold(chunk, at);
      this.newlines++;
      if (nl > 0) this.hold(chunk.subarray(0, nl), at);
      this.emitHeldSpan(out);
      pos = nl + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= pos) {
      const text = chunk.toString('latin1', pos, last);
      const n = text.length;
      let a = 0;
      for (;;) {
        let nl = text.indexOf('\n', a);
        if (nl === -1) nl = n;
        this.newlines++;
        this.emitSpan(text, a, nl, out);
        if (nl === n) break;
        a = nl + 1;
      }
      pos = last + 1;
    }
    if (pos < chunk.length) this.hold(chunk.subarray(pos), at + pos);
  }

  /** `end()` for `pushSpans()`. */
  endSpans(out: LineSpans): void {
    if (this.start === -1) return;
    this.newlines++;
    this.emitHeldSpan(out);
  }

  /** The line [a, b) of `text` (b at its newline), as `emit()` would give it. */
  private emitSpan(text: string, a: number, b: number, out: LineSpans): void {
    if (b > a && text.charCodeAt(b - 1) === 13) b--;
    if (b === a) return;
    const n = out.count++;
    if (b - a <= this.max) {
      out.texts[n] = text;
      out.starts[n] = a;
      out.ends[n] = b;
    } else {
      const line = text.slice(a, a + this.headMax) + LONG_LINE_MARK + text.slice(b - this.tailMax, b);
      out.texts[n] = line;
      out.starts[n] = 0;
      out.ends[n] = line.length;
      out.long++;
    }
    out.numbers[n] = this.newlines;
  }

  /** The held partial line as one span of a string of its own. */
  private emitHeldSpan(out: LineSpans): void {
    const one: SplitLines = { lines: [], offsets: [], long: 0 };
    this.emitHeld(one);
    if (!one.lines.length) return;
    const line = one.lines[0]!;
    const n = out.count++;
    out.texts[n] = line;
    out.starts[n] = 0;
    out.ends[n] = line.length;
    out.numbers[n] = this.newlines;
    out.long += one.long;
  }

  private emit(buf: Buffer, a: number, b: number, offset: number, out: SplitLines): void {
    if (b > a && buf[b - 1] === 13) b--;
    if (b === a) return;
    if (b - a <= this.max) out.lines.push(buf.toString(this.encoding, a, b));
    else {
      out.lines.push(buf.toString(this.encoding, a, a + this.headMax) + LONG_LINE_MARK + buf.toString(this.encoding, b - this.tailMax, b));
      out.long++;
    }
    out.offsets.push(offset);
    out.numbers?.push(this.newlines);
  }

  private hold(bytes: Buffer, offset: number): void {
    if (this.start === -1) this.start = offset;
    if (this.tail === undefined && this.heldLen + bytes.length <= this.max) {
      // Copied: the caller's read buffer is reused for the next chunk.
      this.held.push(Buffer.from(bytes));
      this.heldLen += bytes.length;
      return;
    }
    if (this.tail === undefined) {
      // Past the limit: keep the head, and from now on only a rolling tail.
      const all = Buffer.concat([...this.held, bytes]);
      this.held = [Buffer.from(all.subarray(0, this.headMax))];
      this.heldLen = this.headMax;
      this.tail = Buffer.from(all.subarray(Math.max(this.headMax, all.length - this.tailMax)));
      return;
    }
    const joined = Buffer.concat([this.tail, bytes]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.tailMax)));
  }

  private emitHeld(out: SplitLines): void {
    const start = this.start;
    const head = Buffer.concat(this.held);
    const tail = this.tail;
    this.reset();
    if (tail === undefined) return this.emit(head, 0, head.length, start, out);
    let end = tail.length;
    if (end > 0 && tail[end - 1] === 13) end--;
    out.lines.push(head.toString(this.encoding) + LONG_LINE_MARK + tail.toString(this.encoding, 0, end));
    out.offsets.push(start);
    out.numbers?.push(this.newlines);
    out.long++;
  }
}
