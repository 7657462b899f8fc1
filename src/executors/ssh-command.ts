/**
 * SSH carries one command string, which the server hands to the user's login shell: so the argv
 * is turned into a string that the shell splits back into exactly the same words. Each argument
 * goes in single quotes, inside which a POSIX shell gives no character a meaning (not `$`, `;`,
 * backquotes, newlines) except the single quote itself, written as `'\''`. Nothing from the argv
 * ever appears outside quotes, so no argument can inject a command. The login shell must be a
 * POSIX shell (sh, bash, dash, ksh, zsh), as root's is on every Linux server.
 */

/** One argument, quoted for a POSIX shell. */
export function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** The whole argv as one shell word list. */
export function quoteArgv(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** A line on stderr, before the command's own output: the pid of the remote process group. */
export const PID_LINE = /(^|\n)mamoru-pgid (\d+)\n/;

/**
 * The line sent over SSH. It first tells us (on stderr, which the executor strips) its pid: sshd
 * made it the leader of its own process group, and `exec` keeps that pid for the command, so
 * `kill -- -PID` on a second channel ends the command and all it started (sshd's own `signal`
 * request is refused for root logins). LC_ALL=C so output parses. Where coreutils `timeout`
 * exists it also bounds the command on the server, so nothing outlives a dropped connection; it
 * waits a little longer than mamoru's own timer, which normally acts first.
 */
export function remoteCommandLine(argv: string[], timeoutMs: number): string {
  const cmd = quoteArgv(argv);
  const seconds = Math.ceil(timeoutMs / 1000) + 2;
  return `printf 'mamoru-pgid %s\\n' "$$" >&2; LC_ALL=C; export LC_ALL; if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${seconds} ${cmd}; else exec ${cmd}; fi`;
}

/** Ends a remote process group: TERM or KILL to the group, and to the pid in case it left the group. */
export function remoteKillLine(pgid: number, signal: 'TERM' | 'KILL'): string {
  const pid = String(Math.trunc(pgid));
  return `kill -s ${signal} -- -${pid} 2>/dev/null; kill -s ${signal} ${pid} 2>/dev/null; exit 0`;
}
