/**
 * Where a full disk's space went, as an operator finds out: the largest directories
 * (`du -x -d 1`), files deleted but still held open by a process (space `du` cannot see and
 * `df` still counts, freed only when the process closes them or restarts), and the directories
 * with the most entries (a full inode table: millions of session or mail files).
 */
import { plainAbsolutePath, trimTrailingSlashes } from '../core/path.ts';
import type { Executor } from '../executors/types.ts';
import { InspectionError, formatBytes, plural, type Evidence } from './types.ts';

export interface DirUsage {
  path: string;
  bytes: number;
}

export interface DiskUsageEvidence extends Evidence {
  path: string;
  /** What `du` counted under path (this filesystem only). */
  totalBytes: number;
  /** Its largest immediate subdirectories (and files, as du counts them), largest first. */
  largest: DirUsage[];
  /** Directories du could not read (their size is missing from the total). */
  unreadable: number;
  timedOut: boolean;
}

export interface DeletedOpenFile {
  pid: number;
  /** The process's command name. */
  process?: string | undefined;
  fd: number;
  /** The file's path when it was deleted. */
  path: string;
  bytes: number;
}

export interface DeletedFilesEvidence extends Evidence {
  files: DeletedOpenFile[];
  /** Space held, each file counted once however many descriptors hold it. */
  totalBytes: number;
  source: 'proc' | 'lsof';
}

export interface InodeHog {
  path: string;
  /** Entries directly in the directory. */
  entries: number;
}

export interface InodeHogsEvidence extends Evidence {
  path: string;
  hogs: InodeHog[];
}

const ms = (o: { timeoutMs?: number | undefined }, d: number) => o.timeoutMs ?? d;

/** Parses `du --block-size=1` output: `BYTES<TAB>PATH` lines. */
export function parseDu(text: string): DirUsage[] {
  const out: DirUsage[] = [];
  for (const line of text.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab <= 0) continue;
    const bytes = Number(line.slice(0, tab));
    if (Number.isFinite(bytes)) out.push({ path: line.slice(tab + 1), bytes });
  }
  return out;
}

/** The largest directories directly under `path`, on its filesystem only. */
export async function inspectDiskUsage(exec: Executor, opts: { path: string; top?: number; timeoutMs?: number }): Promise<DiskUsageEvidence> {
  const top = opts.top ?? 10;
  plainPath('disk usage', opts.path);
  const r = await exec.run(['du', '-x', '-d', '1', '--block-size=1', '--', opts.path], { timeoutMs: ms(opts, 120_000), maxOutputBytes: 8 * 1024 * 1024 });
  const rows = parseDu(r.stdout);
  if (rows.length === 0) throw new InspectionError('disk usage', `du found nothing under ${opts.path} on ${exec.name}: ${r.timedOut ? 'timed out' : r.stderr.trim() || `exit ${r.code}`}`);
  const root = trimTrailingSlashes(opts.path);
  const totalRow = rows.find((d) => trimTrailingSlashes(d.path) === root);
  const largest = rows
    .filter((d) => d !== totalRow)
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
  const totalBytes = totalRow?.bytes ?? largest.reduce((s, d) => s + d.bytes, 0);
  const unreadable = (r.stderr.match(/cannot (read|access|open)/g) ?? []).length;
  let summary = `${opts.path} holds ${formatBytes(totalBytes)}`;
  if (largest[0]) {
    const pct = totalBytes > 0 ? Math.round((largest[0].bytes / totalBytes) * 100) : 0;
    summary += `; largest: ${largest
      .slice(0, 3)
      .map((d) => `${d.path} ${formatBytes(d.bytes)}`)
      .join(', ')} (the first is ${pct}%)`;
  }
  if (unreadable) summary += `; ${plural(unreadable, 'directory', 'directories')} could not be read`;
  if (r.timedOut) summary += '; du timed out, the figures are partial';
  return { path: opts.path, totalBytes, largest, unreadable, timedOut: r.timedOut, summary };
}

/** Open descriptors whose file is deleted, from /proc: `PATH<TAB>TARGET` per descriptor. */
const FIND_DELETED = [
  'find', '/proc', '-mindepth', '1', '-maxdepth', '3',
  '(', '-path', '/proc/*/*', '!', '-path', '/proc/[0-9]*/fd', '!', '-path', '/proc/[0-9]*/fd/*', '-prune', ')',
  '-o', '(', '-path', '/proc/[0-9]*/fd/*', '-lname', '* (deleted)', '-printf', '%p\\t%l\\n', ')',
];

/** A deleted file held open, with its device:inode so several descriptors count once. */
type Found = DeletedOpenFile & { id: string };

async function deletedFromProc(exec: Executor, timeoutMs: number): Promise<Found[] | undefined> {
  const found = await exec.run(FIND_DELETED, { timeoutMs, maxOutputBytes: 8 * 1024 * 1024 });
  // find exits 1 when a process vanished while it looked: the lines it printed still hold.
  if (found.code !== 0 && found.stdout === '') return found.code === 1 && !/unknown|invalid|unrecognized/i.test(found.stderr) ? [] : undefined;
  const fds: { link: string; pid: number; fd: number; path: string }[] = [];
  for (const line of found.stdout.split('\n')) {
    const m = /^\/proc\/(\d+)\/fd\/(\d+)\t(\/.*) \(deleted\)$/.exec(line);
    // memfd and shared memory are not files on a disk.
    if (m && !m[3]!.startsWith('/memfd:') && !m[3]!.startsWith('/SYSV')) fds.push({ link: `/proc/${m[1]}/fd/${m[2]}`, pid: Number(m[1]), fd: Number(m[2]), path: m[3]! });
  }
  const sizes = new Map<string, { bytes: number; id: string }>();
  for (let i = 0; i < fds.length; i += 200) {
    const chunk = fds.slice(i, i + 200).map((f) => f.link);
    const st = await exec.run(['stat', '-L', '-c', '%n\t%s\t%d:%i\t%F', '--', ...chunk], { timeoutMs, maxOutputBytes: 4 * 1024 * 1024 });
    for (const line of st.stdout.split('\n')) {
      const [n, s, id, type] = line.split('\t');
      if (n && s && id && type?.startsWith('regular')) sizes.set(n, { bytes: Number(s), id });
    }
  }
  const names = await processNames(exec, [...new Set(fds.map((f) => f.pid))], timeoutMs);
  const out: Found[] = [];
  for (const f of fds) {
    const s = sizes.get(f.link);
    if (s) out.push({ pid: f.pid, process: names.get(f.pid), fd: f.fd, path: f.path, bytes: s.bytes, id: s.id });
  }
  return out;
}

async function processNames(exec: Executor, pids: number[], timeoutMs: number): Promise<Map<number, string>> {
  const names = new Map<number, string>();
  if (pids.length === 0) return names;
  const r = await exec.run(['ps', '-o', 'pid=,comm=', '-p', pids.join(',')], { timeoutMs, maxOutputBytes: 1024 * 1024 });
  for (const line of r.stdout.split('\n')) {
    // By hand: a regex with \s+ then .+ is quadratic on a long run of blanks.
    const t = line.trimStart();
    const gap = t.search(/\s/);
    const pid = gap > 0 ? t.slice(0, gap) : '';
    const name = gap > 0 ? t.slice(gap).trim() : '';
    if (/^\d{1,9}$/.test(pid) && name) names.set(Number(pid), name);
  }
  return names;
}

/** Parses `lsof -nP +L1 -F pcfsDin` output (one field a line, a letter before each value). */
export function parseLsofDeleted(text: string): Found[] {
  const out: Found[] = [];
  let pid = 0;
  let cmd = '';
  let cur: { fd?: number; bytes?: number; inode?: string; dev?: string } = {};
  for (const line of text.split('\n')) {
    const tag = line[0];
    const v = line.slice(1);
    if (tag === 'p') pid = Number(v);
    else if (tag === 'c') cmd = v;
    else if (tag === 'f') cur = { fd: /^\d+$/.test(v) ? Number(v) : undefined };
    else if (tag === 's') cur.bytes = Number(v);
    else if (tag === 'i') cur.inode = v;
    else if (tag === 'D') cur.dev = v;
    else if (tag === 'n' && cur.fd !== undefined && cur.bytes !== undefined && v.startsWith('/')) {
      out.push({ pid, process: cmd, fd: cur.fd, path: v.replace(/ \(deleted\)$/, ''), bytes: cur.bytes, id: cur.inode ? `${cur.dev ?? ''}:${cur.inode}` : v });
    }
  }
  return out;
}

/** Files deleted but still open (space still in use); under `under` only, when given. */
export async function inspectDeletedOpenFiles(
  exec: Executor,
  opts: { under?: string; top?: number; source?: 'auto' | 'proc' | 'lsof'; timeoutMs?: number } = {},
): Promise<DeletedFilesEvidence> {
  const timeoutMs = ms(opts, 60_000);
  let files: Found[] | undefined;
  let source: 'proc' | 'lsof' = 'proc';
  if (opts.source !== 'lsof') files = await deletedFromProc(exec, timeoutMs);
  if (!files && opts.source !== 'proc') {
    source = 'lsof';
    const r = await exec.run(['lsof', '-nP', '+L1', '-F', 'pcfsDin'], { timeoutMs, maxOutputBytes: 8 * 1024 * 1024 });
    if (r.code === 0 || r.stdout) files = parseLsofDeleted(r.stdout);
  }
  if (!files) throw new InspectionError('deleted open files', `neither /proc nor lsof could be read on ${exec.name}`);
  const prefix = opts.under ? `${trimTrailingSlashes(opts.under)}/`.replace(/^\/\/$/, '/') : '/';
  const inScope = files.filter((f) => f.path.startsWith(prefix));
  // A file held by several descriptors (a forked daemon's) takes its space once.
  const ids = new Map<string, number>();
  for (const f of inScope) ids.set(f.id, f.bytes);
  const totalBytes = [...ids.values()].reduce((a, b) => a + b, 0);
  const sorted = inScope
    .map(({ id: _, ...f }) => f)
    .sort((a, b) => b.bytes - a.bytes || a.pid - b.pid || a.fd - b.fd)
    .slice(0, opts.top ?? 20);
  const where = opts.under ? ` under ${opts.under}` : '';
  const biggest = sorted[0];
  const summary = biggest
    ? `${plural(ids.size, 'deleted file')}${where} still open, holding ${formatBytes(totalBytes)}; largest ${biggest.path} (${formatBytes(biggest.bytes)}) held by ${biggest.process ?? 'pid'} ${biggest.pid}`
    : `no deleted file${where} is held open`;
  return { files: sorted, totalBytes, source, summary };
}

/** A path from an alert or the config reaches du and find only when it is plain and absolute (never an option such as -delete). */
function plainPath(what: string, path: string): void {
  const bad = plainAbsolutePath(path);
  if (bad) throw new InspectionError(what, `${JSON.stringify(path)} ${bad}: not looked into`);
}

/**
 * Directories with the most entries under `path` (this filesystem only): a fixed script counts
 * the parent directory of every entry `find` prints; the path goes in as an argument, never
 * into the script's text.
 */
const COUNT_ENTRIES = 'find -- "$1" -xdev -mindepth 1 -printf "%h\\n" 2>/dev/null | sort | uniq -c | sort -rn | head -n "$2"';

export async function inspectInodeHogs(exec: Executor, opts: { path: string; top?: number; timeoutMs?: number }): Promise<InodeHogsEvidence> {
  plainPath('inode hogs', opts.path);
  const r = await exec.run(['sh', '-c', COUNT_ENTRIES, 'mamoru-inode-hogs', opts.path, String(opts.top ?? 10)], { timeoutMs: ms(opts, 120_000), maxOutputBytes: 1024 * 1024 });
  const hogs: InodeHog[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*(\d+) (.+)$/.exec(line);
    if (m) hogs.push({ path: m[2]!, entries: Number(m[1]) });
  }
  if (r.timedOut) throw new InspectionError('inode hogs', `counting entries under ${opts.path} on ${exec.name} timed out`);
  const summary = hogs[0]
    ? `most entries under ${opts.path}: ${hogs
        .slice(0, 3)
        .map((h) => `${h.path} ${h.entries}`)
        .join(', ')}`
    : `no entries under ${opts.path}`;
  return { path: opts.path, hogs, summary };
}
