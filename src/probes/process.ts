/**
 * process: how many processes match a command name, an argument string or regex, a user and a
 * state, against Nagios ranges, in check_procs's words (`PROCS CRITICAL: 0 processes with
 * command name 'httpd'`). Counting is a pure function of a process list (`countProcesses`), so
 * the same code will count what the SSH executor brings back from another machine; today the
 * list comes from the local /proc, read only as far as the filters need.
 */
import net from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import { evaluate } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { nagiosRange, regex } from '../core/schema.ts';
import { COMM_MAX, localProcesses, type ProcessInfo, type ProcessSource, type UserInfo } from './process-source.ts';
import { defineProbe } from './types.ts';


export const schema = z.strictObject({
  command: z.string().min(1).optional().meta({ description: 'exact command name, without path (like check_procs -C)' }),
  argument: z.string().min(1).optional().meta({ description: 'text the command line must contain (like check_procs -a)' }),
  argument_regex: regex('regular expression the command line must match (like check_procs --ereg-argument-array)').optional(),
  user: z
    .union([z.string().min(1), z.number().int().min(0)])
    .transform(String)
    .optional()
    .meta({ description: 'user name or numeric uid the processes run as (like check_procs -u)' }),
  state: z
    .string()
    .regex(/^[A-Za-z<+]+$/, 'expected ps STAT letters such as Z, D, R, S, Ss, l or +')
    .optional()
    .meta({ description: "letters that must appear in ps's STAT column, e.g. Z for zombies, D for uninterruptible (like check_procs -s)" }),
  exclude_zombies: z.boolean().default(false).meta({ description: 'leave zombie processes out of the count (check_procs counts them), so a dead daemon its parent has not reaped is not "running"' }),
  warning: nagiosRange('WARNING when the count is outside this range, e.g. 10 (above 10) or 2:2').optional(),
  critical: nagiosRange('CRITICAL when the count is outside this range, e.g. 1: (fewer than one)').optional(),
});

type Options = z.output<typeof schema>;

/** The filters of one check, with the user already looked up. */
export interface ProcessFilter {
  command?: string | undefined;
  argument?: string | undefined;
  argumentRegex?: RegExp | undefined;
  uid?: number | undefined;
  state?: string | undefined;
  countZombies: boolean;
}

function commandMatches(p: ProcessInfo, command: string): boolean | null {
  const comm = p.comm;
  if (comm === null) return null;
  if (comm === command) return true;
  // The kernel keeps 15 bytes of a name; a longer one is compared with argv[0] as well.
  if (Buffer.byteLength(command) <= COMM_MAX || !command.startsWith(comm) || Buffer.byteLength(comm) < COMM_MAX) return false;
  return p.argv0 === command;
}

/**
 * True when the process passes every filter. Cheap facts first (`comm` and STAT come from one
 * small file), the command line and the status file only when still needed.
 */
export function processMatches(p: ProcessInfo, f: ProcessFilter): boolean {
  // Each check below fails for a process that ended while being read: it is not counted.
  let read = false;
  if (f.command !== undefined) {
    if (commandMatches(p, f.command) !== true) return false;
    read = true;
  }
  if (!f.countZombies || f.state !== undefined) {
    const stat = p.stat;
    if (stat === null) return false;
    if (!f.countZombies && stat.startsWith('Z')) return false;
    // check_procs's rule: the letters given appear, in that order, in ps's STAT.
    if (f.state !== undefined && !stat.includes(f.state)) return false;
    read = true;
  }
  if (f.uid !== undefined) {
    if (p.uid !== f.uid) return false;
    read = true;
  }
  if (f.argument !== undefined || f.argumentRegex !== undefined) {
    const args = p.args;
    if (args === null) return false;
    if (f.argument !== undefined && !args.includes(f.argument)) return false;
    if (f.argumentRegex !== undefined && !f.argumentRegex.test(args)) return false;
    read = true;
  }
  return read || p.comm !== null;
}

// Processes matched between looks at the abort signal (and turns of the event loop).
const BATCH = 256;

/** How many processes pass the filter; undefined when the signal aborted the count. */
export async function countProcesses(list: Iterable<ProcessInfo>, f: ProcessFilter, signal?: AbortSignal): Promise<number | undefined> {
  let n = 0;
  let i = 0;
  for (const p of list) {
    if (processMatches(p, f)) n++;
    if (++i % BATCH === 0) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) return undefined;
    }
  }
  return n;
}

/** check_procs's description of the filters: `command name 'sshd', args 'x', UID = 0 (root)`. */
export function describeFilter(o: Options, user: UserInfo | undefined): string {
  const parts: string[] = [];
  if (o.command !== undefined) parts.push(`command name '${o.command}'`);
  if (o.argument !== undefined) parts.push(`args '${o.argument}'`);
  // check_procs shows a regex's "|" as "," (it would end the plugin's text).
  if (o.argument_regex !== undefined) parts.push(`regex args '${o.argument_regex.replace(/\|/g, ',')}'`);
  if (user) parts.push(user.name === undefined ? `UID = ${user.uid}` : `UID = ${user.uid} (${user.name})`);
  if (o.state !== undefined) parts.push(`STATE = ${o.state}`);
  if (o.exclude_zombies) parts.push('zombies not counted');
  return parts.join(', ');
}

/** The probe's result for a count (pure: what any process source ends in). */
export function report(count: number, o: Options, user: UserInfo | undefined): ProbeOutcome {
  const state = evaluate(count, { warning: o.warning, critical: o.critical });
  const filter = describeFilter(o, user);
  const text = `PROCS ${stateName(state)}: ${count} ${count === 1 ? 'process' : 'processes'}${filter ? ` with ${filter}` : ''}`;
  return outcome(state, text, [{ label: 'procs', value: count, unit: '', warn: o.warning, crit: o.critical, min: 0 }]);
}

/** Counts on any process source: the local /proc today, the SSH executor's later. */
export async function checkProcesses(source: ProcessSource, o: Options, signal: AbortSignal): Promise<ProbeOutcome> {
  let user: UserInfo | undefined;
  if (o.user !== undefined) {
    user = await source.user(o.user);
    if (!user) return outcome(NagiosState.UNKNOWN, `PROCS UNKNOWN - user '${o.user}' was not found`);
  }
  let list: ProcessInfo[];
  try {
    list = await source.list();
  } catch (e) {
    return outcome(NagiosState.UNKNOWN, `PROCS UNKNOWN - cannot list processes: ${(e as Error).message}`);
  }
  if (list.length === 0) return outcome(NagiosState.UNKNOWN, 'PROCS UNKNOWN - the process list is empty (is /proc mounted?)');
  const filter: ProcessFilter = {
    command: o.command,
    argument: o.argument,
    argumentRegex: o.argument_regex === undefined ? undefined : new RegExp(o.argument_regex),
    uid: user?.uid,
    state: o.state,
    countZombies: !o.exclude_zombies,
  };
  const count = await countProcesses(list, filter, signal);
  if (count === undefined) return outcome(NagiosState.UNKNOWN, `PROCS UNKNOWN - counting ${list.length} processes did not finish in time`);
  return report(count, o, user);
}

const local = localProcesses();

/** True when the target is this machine: a loopback address, its host name, or one of its addresses. */
export function isThisMachine(address: string): boolean {
  const a = address.toLowerCase().replace(/^\[|\]$/g, '');
  if (a === 'localhost' || a === hostname().toLowerCase() || a === '::1' || (net.isIPv4(a) && a.startsWith('127.'))) return true;
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address.toLowerCase() === a));
}

export default defineProbe({
  type: 'process',
  summary: 'count processes by command, arguments, user and state against ranges (like check_procs)',
  schema,
  shortFlags: { command: 'C', argument: 'a', user: 'u', state: 's', warning: 'w', critical: 'c' },
  async run(target, options, ctx) {
    // Counting here for a remote target would report this machine's processes as the target's.
    if (!isThisMachine(target.address))
      return outcome(NagiosState.UNKNOWN, `PROCS UNKNOWN - ${target.address} is not this machine: processes are counted locally only (through SSH is not built yet)`);
    return checkProcesses(local, options, ctx.signal);
  },
});
