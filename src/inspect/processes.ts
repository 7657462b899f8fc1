/**
 * The process list (the runbook's `ps auxww | grep http`): every process with its parent, user,
 * state and age, counts by name and by program, zombies marked, and the master of a daemon (a
 * process of that name whose parent is not: Apache's root process above its workers). Read from
 * `ps -eo pid,ppid,user,stat,etimes,comm,args`, which every Linux procps prints the same way.
 */
import type { Executor } from '../executors/types.ts';
import { InspectionError, plural, type Evidence } from './types.ts';

export interface ProcessEntry {
  pid: number;
  ppid: number;
  user: string;
  /** ps's STAT letters (`Ss`, `R+`, `Z`). */
  stat: string;
  /** Seconds since it started. */
  elapsedSeconds: number;
  /** The kernel's command name (at most 15 characters). */
  name: string;
  /** The full command line. */
  args: string;
  /** Dead, waiting for its parent to reap it: not running. */
  zombie: boolean;
}

export interface NameCount {
  name: string;
  count: number;
  zombies: number;
}

export interface ProcessesEvidence extends Evidence {
  processes: ProcessEntry[];
  total: number;
  zombies: number;
  /** Per command name, most first. */
  byName: NameCount[];
  /** Per program (the first word of the command line), most first. */
  byCommand: NameCount[];
}

export interface MasterEvidence extends Evidence {
  name: string;
  /** The master (the oldest when several instances run). */
  master?: ProcessEntry | undefined;
  /** Every master of that name: more than one means more than one instance. */
  masters: ProcessEntry[];
  /** Living children of `master` with the same name (a prefork server's workers). */
  children: ProcessEntry[];
}

export const PS_ARGV = ['ps', '-eo', 'pid,ppid,user,stat,etimes,comm,args'];

/**
 * Parses the output of PS_ARGV. The command name may hold spaces and is padded to its column,
 * so its width is read from the header (the two COMMAND headings).
 */
export function parsePs(text: string): ProcessEntry[] {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => /^\s*PID\s+PPID\s+USER/.test(l));
  if (header < 0) return [];
  const h = lines[header]!;
  const first = h.indexOf('COMMAND');
  const second = h.indexOf('COMMAND', first + 1);
  const width = first >= 0 && second > first ? second - first - 1 : 15;
  const out: ProcessEntry[] = [];
  for (const line of lines.slice(header + 1)) {
    // Fields before the name never hold spaces; one space separates each column.
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const rest = m[6]!;
    const name = rest.slice(0, width).trimEnd();
    const args = rest.slice(width + 1).trim();
    const stat = m[4]!;
    out.push({ pid: Number(m[1]), ppid: Number(m[2]), user: m[3]!, stat, elapsedSeconds: Number(m[5]), name, args, zombie: stat.startsWith('Z') });
  }
  return out;
}

function count(processes: ProcessEntry[], key: (p: ProcessEntry) => string): NameCount[] {
  const m = new Map<string, NameCount>();
  for (const p of processes) {
    const k = key(p);
    let c = m.get(k);
    if (!c) m.set(k, (c = { name: k, count: 0, zombies: 0 }));
    c.count++;
    if (p.zombie) c.zombies++;
  }
  return [...m.values()].sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}

/** The program of a command line: its first word's last path part (`/usr/sbin/apache2` -> apache2). */
export function programOf(p: ProcessEntry): string {
  if (p.zombie || p.args.startsWith('[')) return p.name;
  // A program path holding spaces: the command name says where the first word really ends.
  const at = p.args.indexOf(p.name);
  const end = at + p.name.length;
  if (at >= 0 && !/\s/.test(p.args.slice(0, at)) && (at === 0 || p.args[at - 1] === '/') && (end === p.args.length || /\s/.test(p.args[end]!))) return p.name;
  const word = p.args.split(/\s/, 1)[0] ?? '';
  return word.slice(word.lastIndexOf('/') + 1).replace(/:$/, '') || p.name;
}

/** Counts and marks a parsed process list (pure). */
export function summarizeProcesses(processes: ProcessEntry[]): ProcessesEvidence {
  const zombies = processes.filter((p) => p.zombie).length;
  const byName = count(processes, (p) => p.name);
  const top = byName
    .slice(0, 3)
    .map((c) => `${c.name} ${c.count}`)
    .join(', ');
  const summary = `${plural(processes.length, 'process', 'processes')}${zombies ? ` (${plural(zombies, 'zombie')})` : ''}; most: ${top}`;
  return { processes, total: processes.length, zombies, byName, byCommand: count(processes, programOf), summary };
}

/** Lists every process on the server. */
export async function inspectProcesses(exec: Executor, opts: { timeoutMs?: number } = {}): Promise<ProcessesEvidence> {
  const r = await exec.run(PS_ARGV, { timeoutMs: opts.timeoutMs ?? 15_000, maxOutputBytes: 16 * 1024 * 1024 });
  const processes = parsePs(r.stdout);
  if (r.code !== 0 || processes.length === 0) {
    throw new InspectionError('processes', `${PS_ARGV.join(' ')} failed on ${exec.name} (${r.timedOut ? 'timed out' : `exit ${r.code ?? r.signal}`}): ${r.stderr.trim() || 'no output'}`);
  }
  return summarizeProcesses(processes);
}

/** Processes called `name` (or any of `names`), by command name or program, zombies included. */
export function processesNamed(evidence: Pick<ProcessesEvidence, 'processes'>, names: string | string[]): ProcessEntry[] {
  const want = (Array.isArray(names) ? names : [names]).map((n) => n.slice(0, 15));
  return evidence.processes.filter((p) => want.includes(p.name) || want.includes(programOf(p)));
}

export interface MasterOptions {
  /** Only a master whose command line contains this (one instance of several: its config file). */
  argsContain?: string | undefined;
  /** Only a master this accepts. */
  where?: ((p: ProcessEntry) => boolean) | undefined;
}

/**
 * The master of a daemon: a living process of that name whose parent is not of that name
 * (Apache's root process, not its workers), with its children of the same name.
 */
export function masterProcess(evidence: Pick<ProcessesEvidence, 'processes'>, names: string | string[], opts: MasterOptions = {}): MasterEvidence {
  const label = Array.isArray(names) ? names.join('/') : names;
  const named = processesNamed(evidence, names);
  const ids = new Set(named.map((p) => p.pid));
  const masters = named
    .filter((p) => !p.zombie && !ids.has(p.ppid) && (opts.argsContain === undefined || p.args.includes(opts.argsContain)) && (opts.where?.(p) ?? true))
    .sort((a, b) => b.elapsedSeconds - a.elapsedSeconds || a.pid - b.pid);
  const master = masters[0];
  const children = master ? named.filter((p) => p.ppid === master.pid && !p.zombie) : [];
  let summary: string;
  if (!master) {
    const zombies = named.filter((p) => p.zombie).length;
    summary = `no ${label} master process is running${zombies ? ` (${plural(zombies, 'zombie')} left)` : ''}`;
  } else {
    summary = `${label} master process ${master.pid} (user ${master.user}, up ${formatAge(master.elapsedSeconds)}) with ${plural(children.length, 'child', 'children')}`;
    if (masters.length > 1) summary += `; ${masters.length} masters run (more than one instance)`;
  }
  return { name: label, master, masters, children, summary };
}

/** Finds a daemon's master on the server. */
export async function inspectMaster(exec: Executor, names: string | string[], opts: MasterOptions = {}): Promise<MasterEvidence> {
  return masterProcess(await inspectProcesses(exec), names, opts);
}

function formatAge(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
