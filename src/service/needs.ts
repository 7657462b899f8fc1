/**
 * What the service needs beyond its fixed hardening, read from the config it will run: the right
 * to read logs its user cannot (CAP_DAC_READ_SEARCH, only then), a port below 1024 for the console
 * (CAP_NET_BIND_SERVICE, only then), and the places outside /var/lib/mamoru it writes (an auth log,
 * a token file, a store or guard positions kept elsewhere), each with the reason, so the unit can
 * say in a comment why it holds what it holds.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute } from 'node:path';
import type { Config } from '../config/schema.ts';
import { authPaths } from '../config/web.ts';

/** The Debian places the unit is written for. */
export const PATHS = {
  unitDir: '/etc/systemd/system',
  configDir: '/etc/mamoru',
  configFile: '/etc/mamoru/mamoru.yaml',
  stateDir: '/var/lib/mamoru',
} as const;

export interface ServiceNeeds {
  /** Log files the service user cannot read by their mode (or not there yet): CAP_DAC_READ_SEARCH. */
  rootOnlyLogs: string[];
  /** Guard sources that read the system journal: group systemd-journal. */
  journal: boolean;
  /** The console's port, when below 1024: CAP_NET_BIND_SERVICE. */
  lowPort: number | undefined;
  /** Directories outside the state directory the daemon writes to, each with what it writes there. */
  writes: { dir: string; why: string }[];
  /**
   * Services of local targets (`executor: { type: local }`): the root helper's, in a unit of its
   * own. `direct`: a command of its own (or SysV, or no systemd here) starts it from the helper,
   * so the daemon it starts would inherit the helper's sandbox; `pidDir`: where its stale pid
   * file is removed before a start.
   */
  local: { name: string; direct: boolean; pidDir?: string | undefined }[];
}

const GLOB = /[*?[]/;

/** Whether anyone (the service user included) may read `path` by its mode and its directories'. */
export function worldReadable(path: string): boolean {
  try {
    if ((statSync(path).mode & 0o004) === 0) return false;
    for (let d = dirname(path); ; d = dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) return false;
      if (d === dirname(d)) return true;
    }
  } catch {
    return false;
  }
}

const inState = (p: string) => p === PATHS.stateDir || p.startsWith(PATHS.stateDir + '/');

/**
 * The directory to open for writing, when it is outside the state directory: relative paths land
 * in the state directory (the unit's WorkingDirectory), which is writable already.
 */
function outside(path: string, isDir: boolean): string | undefined {
  if (!isAbsolute(path)) return undefined;
  const dir = isDir ? path : dirname(path);
  return inState(dir) ? undefined : dir;
}

/** What the config asks of the service; `undefined` (no config yet) asks for nothing extra. */
export function serviceNeeds(cfg: Config | undefined): ServiceNeeds {
  const needs: ServiceNeeds = { rootOnlyLogs: [], journal: false, lowPort: undefined, writes: [], local: [] };
  if (!cfg) return needs;
  const systemd = existsSync('/run/systemd/system');
  for (const target of cfg.targets) {
    if ((target.executor as { type?: string } | undefined)?.type !== 'local') continue;
    for (const s of target.services) {
      if (needs.local.some((l) => l.name === s.name)) continue;
      const direct = s.manager === 'command' || s.manager === 'sysv' || (s.manager === 'auto' && !systemd) || s.start !== undefined || s.restart !== undefined || s.reload !== undefined;
      needs.local.push({ name: s.name, direct, pidDir: s.pid_file === undefined ? undefined : dirname(s.pid_file) });
    }
  }
  const write = (path: string | undefined, why: string, isDir = false) => {
    if (path === undefined || path === ':memory:') return;
    const dir = outside(path, isDir);
    if (dir !== undefined && !needs.writes.some((w) => w.dir === dir)) needs.writes.push({ dir, why });
  };
  const store = cfg.store as Record<string, unknown>;
  if (typeof store['path'] === 'string') write(store['path'], 'the store (store.path)');
  const auth = authPaths(cfg);
  write(auth.logFile, 'the login log the guard reads (auth.log_file)');
  write(auth.cliTokenFile, "the command line's token (auth.cli_token_file)");
  write(cfg.guard.state_dir, 'log positions (guard.state_dir)', true);
  for (const jail of cfg.guard.jails)
    for (const src of jail.sources as Record<string, unknown>[]) {
      if (typeof src['state_file'] === 'string') write(src['state_file'], `log positions of jail ${jail.name}`);
      if (Array.isArray(src['paths'])) {
        for (const p of src['paths'] as string[]) if (GLOB.test(p) ? !globReadable(p) : !worldReadable(p)) needs.rootOnlyLogs.push(p);
      } else if (typeof src['directory'] === 'string') {
        if (!worldReadable(src['directory'])) needs.rootOnlyLogs.push(src['directory']);
      } else needs.journal = true; // a source without files or a directory reads the system journal
    }
  if (cfg.web.enabled && cfg.web.port > 0 && cfg.web.port < 1024) needs.lowPort = cfg.web.port;
  return needs;
}

/** A glob's files are readable by anyone when its fixed directory is listable by anyone (files unknown: not). */
function globReadable(pattern: string): boolean {
  let dir = dirname(pattern);
  while (GLOB.test(dir)) dir = dirname(dir);
  try {
    return worldReadable(dir) && (statSync(dir).mode & 0o005) === 0o005;
  } catch {
    return false;
  }
}
