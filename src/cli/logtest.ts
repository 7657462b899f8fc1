/**
 * `mamoru logtest <filter|all> <file|->`: runs filters over a log and shows what they find, the
 * counterpart of fail2ban-regex. Counts per filter and per address, and the lines no filter took
 * that still look like failures ("fail", "invalid", "denied", "not found", "mismatch"): what to
 * check before trusting a jail with a log. `--json` prints one object per matched line instead.
 * `mamoru logtest --list` names the filters.
 *
 * Built for large logs: the file is read in 4 MiB blocks and split into lines by the guard's own
 * line reader (the jail's: same limit, same treatment of an over-long line; no readline), and the
 * scanner allocates only for matches; a progress bar shows on a terminal for big files. Log text printed for people has its control characters escaped: a log
 * line is client text, and an escape sequence must not reach the operator's terminal.
 */
import { once } from 'node:events';
import { open, stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { FILTER_MODES, type Failure, type FilterDefinition, type FilterMode } from '../guard/failure.ts';
import { filters } from '../guard/filters/index.ts';
import { LogScanner } from '../guard/filters/scanner.ts';
import { clearSpans, LineSplitter, type LineSpans, MAX_LINE_LENGTH, newSpans } from '../guard/sources/lines.ts';
import { checkTimeZone, systemTimeZone, TimeZoneError } from '../guard/zone-clock.ts';

const BLOCK = 4 << 20;
/** How much of a block is split into lines at a time. */
const PIECE = 32 << 10;
/** Files from this size on get a progress bar (when stderr is a terminal). */
const PROGRESS_FROM = 32 << 20;
/**
 * Words of a failure, looked for in the lines no filter took. Read in place in a batch's text,
 * from `lastIndex` to the end of that line (see `looksSuspicious`): the lazy `[^\n]*?` walks the
 * line up to the first word and cannot leave it. No string is cut out per line.
 */
const SUSPICIOUS = /[^\n]*?\b(?:fail(?:ed|ure|s)?|invalid|denied|not found|mismatch)\b/iy;
const EXAMPLES = 5;
const NON_ASCII = /[^\x00-\x7f]/;
const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;

interface LogtestOptions {
  list?: boolean;
  json?: boolean;
  timeZone?: string;
  top: string;
  mode: string;
  maxLineLength: string;
}

/**
 * The log as batches of lines, cut by the guard's own line reader (src/guard/sources/lines.ts):
 * the same limit and the same head-and-tail treatment of a line over it as a jail, so what
 * logtest finds is what the jail finds live. Decoded as Latin-1, one character per byte: faster
 * than UTF-8 and the same for every filter (all they look for is ASCII, and no UTF-8 byte of a
 * multi-byte character is ASCII); text shown to people goes through `utf8()`. Each batch is a
 * piece of the file decoded to one string, its lines spans of it (`pushSpans`): no string per
 * line. The batch object is reused: read it before asking for the next. `onBytes` is told how far
 * reading has come.
 */
async function* lineBatches(file: string, maxLine: number, onBytes: (n: number) => void): AsyncGenerator<LineSpans> {
  const splitter = new LineSplitter(maxLine, 'latin1');
  let total = 0;
  const out = newSpans();
  if (file === '-') {
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      clearSpans(out);
      splitter.pushSpans(chunk, total, out);
      total += chunk.length;
      yield out;
    }
  } else {
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.allocUnsafe(BLOCK);
      // The unfinished line at a block's end is moved to the buffer's start and read on with
      // the next block, so the splitter holds a line over (copied, joined) only when it is
      // longer than a piece, or at the end of the file.
      let kept = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, kept, BLOCK - kept, null);
        const filled = kept + bytesRead;
        let stop = filled;
        if (bytesRead > 0) {
          const nl = buf.lastIndexOf(10, filled - 1);
          // No newline in a whole block: the splitter takes it all (it keeps head and tail).
          if (nl >= 0) stop = nl + 1;
        }
        // Decoded and scanned in small pieces: a piece's string is read while still in cache and
        // dies young (a 4 MiB block's text would outlive minor GCs, or go to the large-object space).
        // A piece ends after its last newline.
        for (let o = 0; o < stop; ) {
          clearSpans(out);
          let to = Math.min(stop, o + PIECE);
          if (to < stop) {
            const nl = buf.lastIndexOf(10, to - 1);
            if (nl >= o) to = nl + 1;
          }
          splitter.pushSpans(buf.subarray(o, to), total + o, out);
          onBytes(total + to);
          o = to;
          yield out;
        }
        total += stop;
        if (bytesRead === 0) break;
        kept = filled - stop;
        if (kept > 0) buf.copy(buf, 0, stop, filled);
      }
    } finally {
      await fh.close();
    }
  }
  clearSpans(out);
  splitter.endSpans(out);
  yield out;
}

/** Text cut from a Latin-1 block, as the UTF-8 it was written in. */
function utf8(s: string): string {
  return NON_ASCII.test(s) ? Buffer.from(s, 'latin1').toString('utf8') : s;
}

/** stdout with a large buffer and backpressure; a closed pipe (`| head`) ends the program quietly. */
class Output {
  private parts: string[] = [];
  private size = 0;

  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }

  async write(s: string): Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= 1 << 16) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }
}

/** A one-line progress bar on stderr, redrawn at most four times a second. */
function progressBar(size: number, started: number): { update(bytes: number, lines: number): void; clear(): void } {
  let last = 0;
  return {
    update(bytes, lines) {
      const now = Date.now();
      if (now - last < 250) return;
      last = now;
      const part = Math.min(1, bytes / size);
      const width = 30;
      const done = Math.round(part * width);
      const rate = lines / Math.max(0.001, (now - started) / 1000);
      process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${(part * 100).toFixed(0).padStart(3)}%  ${mb(bytes)} of ${mb(size)}  ${Math.round(rate).toLocaleString('en-US')} lines/s `);
    },
    clear() {
      if (last) process.stderr.write('\r\x1b[K');
    },
  };
}

const mb = (n: number) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;
const num = (n: number) => n.toLocaleString('en-US');

function listFilters(): void {
  const entries = Object.entries(filters) as [string, FilterDefinition][];
  const width = Math.max(...entries.map(([t]) => t.length));
  for (const [type, f] of entries) {
    process.stdout.write(`${type.padEnd(width)}  ${f.summary}${f.programs?.length ? ` (syslog: ${f.programs.join(', ')})` : ''}\n`);
  }
}

/** What each mode adds, per filter, for `logtest --help` (from the registry). */
export function modesHelp(): string {
  const out = ['', 'Modes (--mode, and a jail\'s `mode:`): normal counts failed logins only; a filter with no', 'entry below counts the same in every mode.'];
  for (const [type, f] of Object.entries(filters) as [string, FilterDefinition][]) {
    for (const mode of FILTER_MODES) {
      const adds = mode === 'normal' ? undefined : f.modes?.[mode];
      if (adds) out.push(`  ${type} ${mode}: ${adds}`);
    }
  }
  return out.join('\n');
}

function selectFilters(name: string): FilterDefinition[] {
  if (name === 'all') return Object.values(filters);
  const f = (filters as Record<string, FilterDefinition>)[name];
  if (!f) throw new UsageError(`unknown filter "${name}": the filters are ${Object.keys(filters).join(', ')} (or "all")`);
  return [f];
}

async function checkInput(file: string): Promise<number | undefined> {
  if (file === '-') return undefined;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new UsageError(`${file}: not a regular file (give a log file, or "-" for standard input)`);
    return s.size;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (e as Error).message}`);
  }
}

/** What the run found, for the summary. */
class Tally {
  lines = 0;
  matched = 0;
  readonly perFilter: number[];
  readonly perAddress = new Map<string, number[]>();
  suspicious = 0;
  readonly examples: string[] = [];
  private readonly types: string[];

  constructor(readonly chosen: FilterDefinition[]) {
    this.perFilter = chosen.map(() => 0);
    this.types = chosen.map((f) => f.type);
  }

  add(f: Failure): void {
    this.matched++;
    // The filter's place among the chosen: its type is the registry's own string, compared by identity first.
    const types = this.types;
    let i = 0;
    while (i < types.length - 1 && types[i] !== f.filter) i++;
    this.perFilter[i]!++;
    let row = this.perAddress.get(f.address);
    if (!row) this.perAddress.set(f.address, (row = new Array<number>(this.types.length).fill(0)));
    row[i]!++;
  }

  /** A line no filter took that holds a suspicious word. */
  suspect(line: string, lineNo: number): void {
    this.suspicious++;
    if (this.examples.length >= EXAMPLES) return;
    const text = utf8(line.length > 240 ? line.slice(0, 240) + '...' : line).replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
    this.examples.push(`  ${lineNo}: ${text}`);
  }

  report(seconds: number, cpuSeconds: number, top: number): string {
    const out: string[] = [];
    const rate = cpuSeconds > 0 ? `, ${num(Math.round(this.lines / cpuSeconds))} lines per CPU-second` : '';
    out.push(`Lines: ${num(this.lines)} read in ${seconds.toFixed(2)} s (${cpuSeconds.toFixed(2)} CPU-s${rate}); ${num(this.matched)} matched, ${num(this.lines - this.matched)} not matched`);
    out.push('', 'Failures per filter:');
    const width = Math.max(...this.chosen.map((f) => f.type.length));
    this.chosen.forEach((f, i) => out.push(`  ${f.type.padEnd(width)}  ${num(this.perFilter[i]!).padStart(10)}`));
    const rows = [...this.perAddress].map(([a, r]) => ({ a, r, total: r.reduce((x, y) => x + y, 0) }));
    rows.sort((x, y) => y.total - x.total || (x.a < y.a ? -1 : 1));
    const shown = top > 0 ? rows.slice(0, top) : rows;
    out.push('', `Addresses: ${num(rows.length)}${shown.length < rows.length ? ` (the top ${shown.length})` : ''}`);
    const aw = Math.max(0, ...shown.map((x) => x.a.length));
    for (const x of shown) {
      const parts = this.chosen.map((f, i) => (x.r[i] ? `${f.type} ${num(x.r[i]!)}` : '')).filter(Boolean);
      out.push(`  ${x.a.padEnd(aw)}  ${num(x.total).padStart(10)}${this.chosen.length > 1 ? `  (${parts.join(', ')})` : ''}`);
    }
    out.push('', `Not matched but look like failures: ${num(this.suspicious)}${this.suspicious ? ', for example:' : ''}`);
    out.push(...this.examples);
    return out.join('\n') + '\n';
  }
}

/**
 * Whether [from, end) of `text` holds a failure word, as the line cut out would: the character
 * before `from` is a space (after the timestamp), a newline or none, and the one at `end` a CR, a
 * newline or none, so `\b` sees at both ends what it sees at the ends of a string of its own; no
 * word holds a CR or a newline, so none found ends past the line.
 */
function looksSuspicious(text: string, from: number, end: number): boolean {
  SUSPICIOUS.lastIndex = from;
  return SUSPICIOUS.test(text) && SUSPICIOUS.lastIndex <= end;
}

/**
 * Scans one batch: the per-line loop, kept out of the async `run()` so that what the JIT compiles
 * for it is this small function, not the whole command. Matches are tallied, and kept in `found`
 * when given (`--json`); an unmatched line is looked at for failure words.
 */
function scanBatch(batch: LineSpans, scanner: LogScanner, tally: Tally, found: Failure[] | undefined): void {
  const { count, texts, starts, ends, numbers } = batch;
  for (let i = 0; i < count; i++) {
    const text = texts[i]!;
    const end = ends[i]!;
    const f = scanner.scanAt(text, starts[i]!, end, numbers[i]);
    if (f) {
      tally.add(f);
      found?.push(f);
    } else if (looksSuspicious(text, scanner.time.end, end)) {
      // Looked for after the timestamp: none of its characters can be or touch a word of
      // SUSPICIOUS, so the answer is the whole line's, for fewer characters read.
      tally.suspect(text.slice(starts[i]!, end), numbers[i]!);
    }
  }
}

async function run(filterName: string, file: string, opts: LogtestOptions): Promise<void> {
  const chosen = selectFilters(filterName);
  const top = Number(opts.top);
  if (!Number.isInteger(top) || top < 0) throw new UsageError(`--top: expected a whole number (0 for all), got "${opts.top}"`);
  let timeZone: string;
  try {
    timeZone = checkTimeZone(opts.timeZone ?? systemTimeZone());
  } catch (e) {
    if (e instanceof TimeZoneError) throw new UsageError(`--time-zone: ${e.message}`);
    throw e;
  }
  if (!(FILTER_MODES as readonly string[]).includes(opts.mode)) throw new UsageError(`--mode: expected one of ${FILTER_MODES.join(', ')}, got "${opts.mode}" (see mamoru logtest --help)`);
  const maxLine = Number(opts.maxLineLength);
  if (!Number.isInteger(maxLine) || maxLine < 256 || maxLine > 1024 * 1024) throw new UsageError(`--max-line-length: expected a whole number of bytes from 256 to 1048576 (a jail source's max_line_length), got "${opts.maxLineLength}"`);
  const size = await checkInput(file);
  const scanner = new LogScanner(chosen, { timeZone, mode: opts.mode as FilterMode });
  const tally = new Tally(chosen);
  const out = opts.json ? new Output() : undefined;
  const started = Date.now();
  const cpu = process.cpuUsage();
  const bar = size !== undefined && size >= PROGRESS_FROM && process.stderr.isTTY ? progressBar(size, started) : undefined;
  let bytes = 0;
  let lastTime = NaN;
  let lastIso = '';
  let lineNo = 0;
  let long = 0;
  const found: Failure[] | undefined = out ? [] : undefined;
  for await (const batch of lineBatches(file, maxLine, (n) => (bytes = n))) {
    long += batch.long;
    if (batch.count) lineNo = batch.numbers[batch.count - 1]!;
    scanBatch(batch, scanner, tally, found);
    if (out && found!.length) {
      for (const f of found!) {
        if (f.time !== lastTime) {
          lastTime = f.time;
          lastIso = new Date(f.time).toISOString();
        }
        await out.write(JSON.stringify({ line: f.line, filter: f.filter, address: f.address, time: lastIso, user: f.user === undefined ? undefined : utf8(f.user) }) + '\n');
      }
      found!.length = 0;
    }
    bar?.update(bytes, lineNo);
  }
  // As a jail does: a line over the limit is searched in its head and tail, counted and warned of.
  if (long) process.stderr.write(`warning: ${num(long)} line${long === 1 ? '' : 's'} over ${num(maxLine)} bytes (--max-line-length); searched in their head and tail, the middle dropped, as a jail does\n`);
  tally.lines = lineNo;
  bar?.clear();
  if (out) return out.flush();
  const used = process.cpuUsage(cpu);
  process.stdout.write(tally.report((Date.now() - started) / 1000, (used.user + used.system) / 1e6, top));
}

export function registerLogtest(program: Command): void {
  program
    .command('logtest')
    .description('run log filters over a file and show what they find (the fail2ban-regex counterpart)')
    .argument('[filter]', 'a filter name, or "all" (see --list)')
    .argument('[file]', 'the log file, or "-" for standard input')
    .option('--list', 'name the filters and exit')
    .option('--json', 'print one JSON object per matched line: {"line","filter","address","time","user"}')
    .option('--time-zone <zone>', 'IANA time zone of times the log writes without an offset (default: this machine\'s)')
    .option('--top <n>', 'how many addresses to show (0: all)', '10')
    .option('--max-line-length <bytes>', 'the longest line searched whole, as a jail source\'s max_line_length; a longer one is searched in its head and tail', String(MAX_LINE_LENGTH))
    .option('--mode <mode>', `which forms count, as a jail's \`mode:\` (${FILTER_MODES.join(', ')}; see below)`, 'normal')
    .addHelpText('after', () => modesHelp())
    .addHelpText('after', '\nExamples:\n  mamoru logtest --list\n  mamoru logtest all /var/log/mail.log\n  mamoru logtest sshd /var/log/auth.log --json\n  mamoru logtest sshd /var/log/auth.log --mode aggressive\n  zcat mail.log.1.gz | mamoru logtest vpopmail - --time-zone Asia/Tokyo')
    .action(async (filter: string | undefined, file: string | undefined, opts: LogtestOptions) => {
      if (opts.list) return listFilters();
      if (!filter || !file) throw new UsageError(`logtest needs a filter (one of ${Object.keys(filters).join(', ')}, or "all") and a file (or "-"); see mamoru logtest --help`);
      await run(filter, file, opts);
    });
}
