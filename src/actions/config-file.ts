/**
 * A config file changed the careful way, through the executor: a backup first (outside the
 * config tree, so an `Include dir/` never reads it as config), the new text written beside the
 * file with the file's own mode and owner and renamed over it (never half-written), read back to
 * check, and restored from the backup on request. Fixed scripts get paths as arguments; no
 * path or text is ever part of a shell string.
 */
import type { Executor } from '../executors/types.ts';

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Copies mode and owner (`cp -p`), takes the new text on stdin, renames it into place. */
const WRITE = 'set -e; cp -p -- "$1" "$1.mamoru-new"; cat > "$1.mamoru-new"; mv -f -- "$1.mamoru-new" "$1"';

export class ConfigFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

/** `/etc/apache2/mods-enabled/mpm_prefork.conf` at 2026-01-19 20:38:08 -> `etc_apache2_mods-enabled_mpm_prefork.conf.20260119-203808`. */
export function backupName(file: string, at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${file.replace(/^\/+/, '').replace(/\//g, '_')}.${stamp}`;
}

export async function readConfig(exec: Executor, file: string): Promise<string> {
  return exec.readFile(file, { maxBytes: MAX_CONFIG_BYTES, timeoutMs: 15_000 });
}

/** Copies `file` into `dir` (made when missing) keeping mode, owner and time; returns the backup's path. */
export async function backUp(exec: Executor, file: string, dir: string, at: number): Promise<string> {
  const backup = `${dir.replace(/\/+$/, '')}/${backupName(file, at)}`;
  const mk = await exec.run(['mkdir', '-p', '-m', '0700', '--', dir], { timeoutMs: 15_000 });
  if (mk.code !== 0) throw new ConfigFileError(`cannot make the backup directory ${dir}: ${mk.stderr.trim() || `exit ${mk.code}`}`);
  const cp = await exec.run(['cp', '-p', '--', file, backup], { timeoutMs: 30_000 });
  if (cp.code !== 0) throw new ConfigFileError(`cannot back up ${file} to ${backup}: ${cp.stderr.trim() || `exit ${cp.code}`}`);
  const same = await exec.run(['cmp', '-s', '--', file, backup], { timeoutMs: 30_000 });
  if (same.code !== 0) throw new ConfigFileError(`the backup ${backup} differs from ${file} after copying`);
  return backup;
}

/** Replaces the file's text, then reads it back. */
export async function writeConfig(exec: Executor, file: string, text: string): Promise<void> {
  const r = await exec.run(['sh', '-c', WRITE, 'mamoru-write', file], { stdin: text, timeoutMs: 30_000 });
  if (r.code !== 0) throw new ConfigFileError(`cannot write ${file}: ${r.stderr.trim() || `exit ${r.code}`}`);
  const back = await readConfig(exec, file);
  if (back !== text) throw new ConfigFileError(`${file} does not read back as written`);
}

/** Puts the backup back in place (same mode and owner) and checks it is identical. */
export async function restore(exec: Executor, backup: string, file: string): Promise<void> {
  const cp = await exec.run(['cp', '-p', '--', backup, file], { timeoutMs: 30_000 });
  if (cp.code !== 0) throw new ConfigFileError(`cannot restore ${file} from ${backup}: ${cp.stderr.trim() || `exit ${cp.code}`}`);
  const same = await exec.run(['cmp', '-s', '--', file, backup], { timeoutMs: 30_000 });
  if (same.code !== 0) throw new ConfigFileError(`${file} differs from its backup ${backup} after restoring`);
}
