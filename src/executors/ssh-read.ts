/**
 * Reading a file over SSH without letting the server choose what is read. The path may lie in a
 * directory someone else can write (a site's logs), so the last component may be a symlink to a
 * secret (/etc/shadow would end up in an incident's evidence), a FIFO (the read would hang until
 * the timeout) or a device (opening /dev/watchdog arms it; a tape rewinds). POSIX sh cannot open
 * a file without following links or without blocking, so a fixed script does it in two steps:
 *
 * 1. a final symlink is followed only if root made it where no one else could (READ_SCRIPT),
 *    then `[ -e ]`, `[ -f ]` refuse a missing file and anything not regular before anything is
 *    opened (no device's open routine ever runs);
 * 2. GNU `dd iflag=nofollow,nonblock` opens it with O_NOFOLLOW | O_NONBLOCK, which closes the
 *    race between the test and the open: a symlink swapped in is refused by the kernel (ELOOP), a
 *    FIFO swapped in does not block (its read ends at once, or fails with EAGAIN). An ordinary
 *    user cannot swap in a device: creating one needs CAP_MKNOD, and a hard link to one needs the
 *    same filesystem (not devtmpfs) and, under fs.protected_hardlinks, ownership of it.
 *
 * The path is the script's `$1`, never part of its text; `dd` reads `if=PATH` as one operand, so
 * no path reads as an option. Directories above the file are followed as they are (a symlinked
 * `logs` directory is still read through); callers that need more check the path first
 * (inspect/file-trust.ts). Needs GNU coreutils `dd` and `stat` (every mainstream distribution);
 * BusyBox's dd lacks `nofollow` and the read fails with dd's message rather than read unsafely.
 */

/** Exit codes of the script's own refusals (dd's failures are 1). */
const REFUSED = { link: 65, missing: 66, special: 67, linkOwner: 69, linkDir: 70 } as const;

/**
 * `$1` path, `$2` byte count, `$3` `head` or `tail`. A final symlink is followed only where no
 * one but root (or the login user) could have put it, as the local executor does: the link is
 * theirs and its directory is writable by them alone or sticky (Debian's mods-enabled links
 * qualify, `error.log -> /etc/shadow` planted in a site's logs does not); at most 8 in a row.
 * `$(cmd; echo x)` then `${v%??}` keeps a name's trailing newlines. A tail of a file that
 * reports size 0 (/proc) reads it all and keeps the end; dd's status comes back through fd 3
 * because a pipeline's status is its last command's.
 */
const READ_SCRIPT = [
  'p=$1 n=$2 mode=$3 hops=0 me=$(id -u)',
  'while [ -h "$p" ]; do',
  `  hops=$((hops + 1)); if [ "$hops" -gt 8 ]; then exit ${REFUSED.link}; fi`,
  '  d=$(dirname -- "$p"; echo x); d=${d%??}',
  '  lu=$(stat -c %u -- "$p") && du=$(stat -L -c %u -- "$d") && dm=$(stat -L -c %f -- "$d") || exit 1',
  `  if [ "$lu" != 0 ] && [ "$lu" != "$me" ]; then exit ${REFUSED.linkOwner}; fi`,
  `  if [ "$du" != 0 ] && [ "$du" != "$me" ]; then exit ${REFUSED.linkDir}; fi`,
  `  if [ $((0x$dm & 18)) -ne 0 ] && [ $((0x$dm & 512)) -eq 0 ]; then exit ${REFUSED.linkDir}; fi`,
  '  t=$(readlink -- "$p"; echo x); t=${t%??}',
  '  case $t in /*) p=$t ;; *) p=$d/$t ;; esac',
  'done',
  `if [ ! -e "$p" ]; then exit ${REFUSED.missing}; fi`,
  `if [ ! -f "$p" ]; then exit ${REFUSED.special}; fi`,
  'set -- if="$p" iflag=nofollow,nonblock,fullblock bs=65536 status=none',
  'if [ "$mode" != tail ]; then exec dd "$@" iflag=count_bytes count="$n"; fi',
  'size=$(stat -c %s -- "$p") || exit 1',
  'if [ "$size" -gt "$n" ]; then exec dd "$@" iflag=skip_bytes,count_bytes skip=$((size - n)) count="$n"; fi',
  'if [ "$size" -gt 0 ]; then exec dd "$@"; fi',
  'exec 4>&1',
  's=$( { { dd "$@"; echo $? >&3; } | tail -c "$n" >&4; } 3>&1 )',
  '[ "$s" = 0 ]',
].join('\n');

/** The argv that reads the first (or last) `maxBytes` of `path` on the server. */
export function remoteReadArgv(path: string, maxBytes: number, tail: boolean): string[] {
  return ['sh', '-c', READ_SCRIPT, 'mamoru-read', path, String(Math.max(0, Math.floor(maxBytes))), tail ? 'tail' : 'head'];
}

/** Why the read failed, in words for the error message (the caller adds the path and server). */
export function remoteReadFailure(code: number | null, signal: string | null, stderr: string): string {
  const rule = 'mamoru follows a link only when root (or the login user) made it in a directory no one else can write';
  if (code === REFUSED.linkOwner) return `is a symbolic link owned by someone else; ${rule}`;
  if (code === REFUSED.linkDir) return `is a symbolic link in a directory others can write; ${rule}`;
  if (code === REFUSED.link) return 'is a chain of more than 8 symbolic links; not followed';
  if (code === REFUSED.missing) return 'no such file';
  if (code === REFUSED.special) return 'not a regular file (a FIFO, socket, device or directory is never opened)';
  // dd's own words; the rest of stderr may be an rc file's chatter.
  const dd = stderr
    .split('\n')
    .filter((l) => l.startsWith('dd: '))
    .pop();
  if (dd) {
    if (/Too many levels of symbolic links/.test(dd)) return 'is a symbolic link (swapped in while being read); not followed';
    if (/No such file or directory/.test(dd)) return 'no such file';
    if (/Permission denied/.test(dd)) return 'permission denied';
    if (/Resource temporarily unavailable/.test(dd)) return 'not a regular file (a FIFO swapped in while being read)';
    return dd.slice(0, 200);
  }
  return `the read exited with ${code ?? signal}`;
}
