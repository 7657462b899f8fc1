/**
 * A config file changed the careful way, as root, through the executor, on a server where other
 * people have accounts:
 * - the file must be root's alone (owned by root, writable by no one else, in root's directories
 *   all the way up; `inspect/file-trust.ts`), else mamoru refuses and says why to a person;
 *   Debian's `mods-enabled/x.conf -> ../mods-available/x.conf` is followed deliberately and the
 *   real file is changed, so the link stays a link;
 * - the backup comes first (outside the config tree, so an `Include dir/` never reads it, in a
 *   directory only root can write) and the new text is made from the backup, so nothing changed
 *   in between is lost;
 * - the new text goes into a temporary file made exclusively (`mktemp`) beside the file, takes the
 *   file's mode and owner, and is renamed over it only if the file still equals the backup
 *   (compare and swap), then read back.
 * Fixed scripts get paths as arguments; no path or text is ever part of a shell string.
 */
import type { Executor } from '../executors/types.ts';
import { trimTrailingSlashes } from '../core/path.ts';
import { assertRootDir, plainAbsolutePath, rootFile, UntrustedPathError, type RootFile } from '../inspect/file-trust.ts';

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/**
 * $1 the real file, $2 what it must still equal (the backup), stdin the new text. The temporary
 * name is a dot file (Apache's wildcard Includes and `*.conf` never match it) and is removed on
 * any failure; `mv` renames over the file's name, never writing through a link.
 */
const WRITE = [
  'set -e',
  'tmp=$(mktemp -- "$(dirname -- "$1")/.mamoru-new.XXXXXXXXXX")',
  'trap \'rm -f -- "$tmp"\' EXIT',
  'cat > "$tmp"',
  'chown --reference="$1" -- "$tmp"',
  'chmod --reference="$1" -- "$tmp"',
  'if ! cmp -s -- "$1" "$2"; then echo "$1 changed since it was backed up; not overwritten" >&2; exit 3; fi',
  'mv -f -- "$tmp" "$1"',
  'trap - EXIT',
].join('\n');

/** $1 the backup, $2 the real file: a copy of the backup (mode, owner, times) renamed over the file. */
const RESTORE = [
  'set -e',
  'tmp=$(mktemp -- "$(dirname -- "$2")/.mamoru-new.XXXXXXXXXX")',
  'trap \'rm -f -- "$tmp"\' EXIT',
  'cp -p -- "$1" "$tmp"',
  'mv -f -- "$tmp" "$2"',
  'trap - EXIT',
].join('\n');

export class ConfigFileError extends Error {
  constructor(
    message: string,
    /** Nothing was changed: a person has to look (an unsafe file, a file changed meanwhile). */
    readonly needsPerson = false,
  ) {
    super(message);
    this.name = 'ConfigFileError';
  }
}

/** `/etc/apache2/mods-enabled/mpm_prefork.conf` at 2026-01-19 20:38:08 -> `etc_apache2_mods-enabled_mpm_prefork.conf.20260119-203808`. */
export function backupName(file: string, at: number): string {
  const stamp = new Date(at).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${file.replace(/^\/+/, '').replace(/\//g, '_')}.${stamp}`;
}

/** Where `backUp` will put `file` (its real path) in `dir`, the stamp left as the pattern (it is the time of the run): for an approval. */
export async function plannedBackup(exec: Executor, file: string, dir: string): Promise<string> {
  const real = await editableFile(exec, file).then((f) => f.real, () => file);
  return `${trimTrailingSlashes(dir)}/${backupName(real, 0).replace(/\.\d{8}-\d{6}$/, '.YYYYMMDD-HHMMSS')}`;
}

export async function readConfig(exec: Executor, file: string): Promise<string> {
  return exec.readFile(file, { maxBytes: MAX_CONFIG_BYTES, timeoutMs: 15_000 });
}

/**
 * The file that an edit of `file` really changes, once it is known to be root's alone; throws
 * ConfigFileError (needing a person) with the reason when it is not.
 */
export async function editableFile(exec: Executor, file: string): Promise<RootFile> {
  try {
    return await rootFile(exec, file);
  } catch (e) {
    if (e instanceof UntrustedPathError) throw new ConfigFileError(`mamoru will not change ${file} as root: ${e.message}; someone other than root could change what is written. A person should check the file and its directories`, true);
    throw e;
  }
}

/** Copies `file` (a real, checked path) into `dir` (made when missing, root's alone) keeping mode, owner and time; returns the backup's path. */
export async function backUp(exec: Executor, file: string, dir: string, at: number): Promise<string> {
  const bad = plainAbsolutePath(dir);
  if (bad) throw new ConfigFileError(`the backup directory ${dir} ${bad}`, true);
  const mk = await exec.run(['mkdir', '-p', '-m', '0700', '--', dir], { timeoutMs: 15_000 });
  if (mk.code !== 0) throw new ConfigFileError(`cannot make the backup directory ${dir}: ${mk.stderr.trim() || `exit ${mk.code}`}`);
  try {
    await assertRootDir(exec, dir);
  } catch (e) {
    if (e instanceof UntrustedPathError) throw new ConfigFileError(`mamoru will not write a backup into ${dir}: ${e.message}`, true);
    throw e;
  }
  const backup = `${trimTrailingSlashes(dir)}/${backupName(file, at)}`;
  // -n: an existing name (a second change within the same second) is never overwritten.
  const cp = await exec.run(['cp', '-p', '-n', '--', file, backup], { timeoutMs: 30_000 });
  if (cp.code !== 0) throw new ConfigFileError(`cannot back up ${file} to ${backup}: ${cp.stderr.trim() || `exit ${cp.code}`}`);
  const same = await exec.run(['cmp', '-s', '--', file, backup], { timeoutMs: 30_000 });
  if (same.code !== 0) throw new ConfigFileError(`the backup ${backup} differs from ${file} after copying`);
  return backup;
}

/**
 * Replaces the text of `file` (a real, checked path) if it still equals `expected` (the backup's
 * path), then reads it back.
 */
export async function writeConfig(exec: Executor, file: string, text: string, expected: string): Promise<void> {
  const r = await exec.run(['sh', '-c', WRITE, 'mamoru-write', file, expected], { stdin: text, timeoutMs: 30_000 });
  if (r.code === 3) throw new ConfigFileError(r.stderr.trim(), true);
  if (r.code !== 0) throw new ConfigFileError(`cannot write ${file}: ${r.stderr.trim() || `exit ${r.code}`}`);
  const back = await readConfig(exec, file);
  if (back !== text) throw new ConfigFileError(`${file} does not read back as written`);
}

/** Puts the backup back in place of `file` (a real, checked path; same mode and owner) and checks it is identical. */
export async function restore(exec: Executor, backup: string, file: string): Promise<void> {
  const r = await exec.run(['sh', '-c', RESTORE, 'mamoru-restore', backup, file], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new ConfigFileError(`cannot restore ${file} from ${backup}: ${r.stderr.trim() || `exit ${r.code}`}`);
  const same = await exec.run(['cmp', '-s', '--', file, backup], { timeoutMs: 30_000 });
  if (same.code !== 0) throw new ConfigFileError(`${file} differs from its backup ${backup} after restoring`);
}
