/**
 * Is the service up, in its init system's own words: `systemctl is-active NAME` on systemd,
 * `/etc/init.d/NAME status` on SysV-init servers (exit codes per the LSB: 0 running, 1 and 2 dead
 * with a pid or lock file left, 3 stopped, 4 unknown), or a configured command, read the LSB way
 * unless its own exit codes are given.
 * `auto` asks systemd when it runs the machine (/run/systemd/system exists), else SysV.
 */
import type { Executor } from '../executors/types.ts';
import { InspectionError, type Evidence } from './types.ts';

export type ServiceStateName = 'active' | 'inactive' | 'failed' | 'unknown';

export type ServiceManager =
  | { manager: 'auto'; name: string }
  | { manager: 'systemd'; name: string }
  | { manager: 'sysv'; name: string; /** @defaultValue '/etc/init.d' */ initDir?: string }
  | {
      manager: 'command';
      name: string;
      argv: string[];
      /** Exit codes per state, for commands that do not follow the LSB (`pgrep` exits 1 when none run). */
      codes?: Partial<Record<ServiceStateName, number[]>>;
    };

export interface ServiceStateEvidence extends Evidence {
  name: string;
  /** Which manager answered (auto resolved). */
  manager: 'systemd' | 'sysv' | 'command';
  state: ServiceStateName;
  /** The manager's own word (`activating`, `reloading`, ...), or the status line. */
  detail: string;
  argv: string[];
  exitCode: number | null;
  /** What the command printed (bounded). */
  output: string;
}

const OUTPUT_BYTES = 16 * 1024;

/** systemd's words to ours: a unit being reloaded still serves; one starting does not yet. */
const SYSTEMD: Record<string, ServiceStateName> = {
  active: 'active',
  reloading: 'active',
  refreshing: 'active',
  inactive: 'inactive',
  activating: 'inactive',
  deactivating: 'inactive',
  maintenance: 'inactive',
  failed: 'failed',
};

/** LSB `status` exit codes (LSB core 20.2). */
export function lsbState(code: number | null): { state: ServiceStateName; detail: string } {
  switch (code) {
    case 0:
      return { state: 'active', detail: 'running' };
    case 1:
      return { state: 'failed', detail: 'dead, but its pid file exists' };
    case 2:
      return { state: 'failed', detail: 'dead, but its lock file exists' };
    case 3:
      return { state: 'inactive', detail: 'not running' };
    case 4:
      return { state: 'unknown', detail: 'status unknown' };
    case 126:
      return { state: 'unknown', detail: 'the status command is not executable' };
    case 127:
      return { state: 'unknown', detail: 'no such status command' };
    case null:
      return { state: 'unknown', detail: 'the status command did not finish' };
    default:
      return { state: 'unknown', detail: `status exited with ${code}` };
  }
}

/** Whether systemd runs the server (sd_booted(): /run/systemd/system is a directory). */
export async function hasSystemd(exec: Executor): Promise<boolean> {
  const r = await exec.run(['test', '-d', '/run/systemd/system'], { timeoutMs: 10_000 });
  return r.code === 0;
}

function summaryOf(ev: Omit<ServiceStateEvidence, 'summary'>): string {
  const by = ev.manager === 'systemd' ? 'systemd' : ev.manager === 'sysv' ? 'its init script' : 'its status command';
  const words: Record<ServiceStateName, string> = { active: 'is running', inactive: 'is stopped', failed: 'has failed', unknown: 'is in an unknown state' };
  const detail = ev.detail && !['active', 'inactive', 'failed', 'running', 'not running'].includes(ev.detail) ? ` (${ev.detail})` : '';
  return `${ev.name} ${words[ev.state]}${detail}, says ${by}`;
}

/** Asks the service manager for one service's state. */
export async function inspectServiceState(exec: Executor, spec: ServiceManager, opts: { timeoutMs?: number } = {}): Promise<ServiceStateEvidence> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  // The name becomes a path under the init directory and a unit name: one plain word only.
  if (spec.manager !== 'command' && (!/^[A-Za-z0-9@._+-]+$/.test(spec.name) || /^\.+$/.test(spec.name))) {
    throw new InspectionError('service state', `"${spec.name}" is not a service name (letters, digits and @._+- only)`);
  }
  let manager: ServiceStateEvidence['manager'];
  let argv: string[];
  if (spec.manager === 'command') {
    manager = 'command';
    argv = spec.argv;
  } else if (spec.manager === 'systemd' || (spec.manager === 'auto' && (await hasSystemd(exec)))) {
    manager = 'systemd';
    argv = ['systemctl', 'is-active', '--', spec.name];
  } else {
    manager = 'sysv';
    const dir = spec.manager === 'sysv' ? (spec.initDir ?? '/etc/init.d') : '/etc/init.d';
    // Trailing slashes dropped by hand: /\/+$/ is quadratic on a run of slashes.
    let end = dir.length;
    while (end > 0 && dir.charCodeAt(end - 1) === 0x2f) end--;
    argv = [`${dir.slice(0, end)}/${spec.name}`, 'status'];
  }
  const r = await exec.run(argv, { timeoutMs, maxOutputBytes: OUTPUT_BYTES });
  const output = (r.stdout + (r.stderr ? (r.stdout ? '\n' : '') + r.stderr : '')).trim();
  let state: ServiceStateName;
  let detail: string;
  if (r.timedOut) {
    state = 'unknown';
    detail = `the status command timed out after ${Math.round(timeoutMs / 1000)}s`;
  } else if (manager === 'systemd') {
    // is-active prints one word; "unknown" for a unit it has never heard of.
    const word = r.stdout.trim().split('\n')[0]?.trim() ?? '';
    state = SYSTEMD[word] ?? 'unknown';
    detail = word || r.stderr.trim().split('\n')[0] || `systemctl exited with ${r.code}`;
  } else {
    ({ state, detail } = lsbState(r.code));
    const codes = spec.manager === 'command' ? spec.codes : undefined;
    const own = codes && (Object.keys(codes) as ServiceStateName[]).find((k) => r.code !== null && codes[k]!.includes(r.code));
    if (own) ({ state, detail } = { state: own, detail: `exit ${r.code}` });
  }
  const ev = { name: spec.name, manager, state, detail, argv, exitCode: r.code, output };
  return { ...ev, summary: summaryOf(ev) };
}
