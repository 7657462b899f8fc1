/**
 * ProFTPD's failed logins. ProFTPD puts the client before every message it logs:
 * syslog `proftpd[1]: ftp.example.com (client.example.net[1.2.3.4]) - USER x: no such user found
 * from ...` and its SystemLog file `2026-01-19 20:38:08,123 host proftpd[1] ftp.example.com
 * (client.example.net[1.2.3.4]): USER x (Login failed): Incorrect password.` The wordings are
 * mod_auth's: no such user found, (Login failed) with its reason, root login attempted, maximum
 * login attempts exceeded.
 *
 * (The scanner reads the SystemLog's `host proftpd[1] ` like a syslog header.)
 *
 * The address is read from that prefix, which ProFTPD writes before any client text (the remote
 * name is a DNS name ProFTPD has cleaned to host-name characters, or the address itself); the
 * message after it only decides whether the line is a failure.
 */
import { defineFilter, normaliseAddress } from '../failure.ts';
import { execAt } from './text.ts';

/** `server (remote-name[address]) - ` (syslog) or `server (remote-name[address]): ` (SystemLog). */
const PREFIX = /\S+ \([A-Za-z0-9._:%-]*\[([0-9A-Fa-f.:]+)\]\)(?: -|:) /y;

/**
 * mod_auth's wordings (1.2 to 1.3.9; the older ones end in a period). Not counted: the server's
 * own trouble (`Unavailable authentication service`, `Failed initializing authentication
 * service`, `Failure setting credentials`), which would ban every user at once.
 */
const FAILURES: readonly RegExp[] = [
  /USER (.*): (?:no such user found|user is not a UserAlias) from \S+ \[[^\]]+\] to \S+$/y,
  /USER (.*) \(Login failed\): (?:No such user found|Incorrect password|Password expired|Account disabled|User not a UserAlias|Limit access denies login|Max authentication service attempts reached)\.?$/y,
  /USER (.*) \(Login failed\): (?:Invalid shell: '[^']*'|User in \S+)$/y,
  /()SECURITY VIOLATION: [Rr]oot login attempted\.?$/y,
  /()Maximum login attempts \(\d+\) exceeded(?:, connection refused)?$/y,
];

export default defineFilter({
  type: 'proftpd',
  summary: 'ProFTPD: no such user, incorrect password, refused logins, too many attempts',
  programs: ['proftpd'],
  match(line, { at }) {
    let i = at;
    const prefix = execAt(PREFIX, line, i);
    if (!prefix) return undefined;
    i += prefix[0].length;
    for (const re of FAILURES) {
      const m = execAt(re, line, i);
      if (!m) continue;
      const address = normaliseAddress(prefix[1]!);
      return address ? { address, user: m[1] || undefined } : undefined;
    }
    return undefined;
  },
});
