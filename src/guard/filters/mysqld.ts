/**
 * MariaDB's and MySQL's failed logins in the error log: ER_ACCESS_DENIED_ERROR,
 * `Access denied for user '%-.48s'@'%-.64s' (using password: %s)`, written when log_warnings
 * (MariaDB, MySQL 5.x) is 2 or more, or log_error_verbosity 3 (MySQL 8, `[MY-010926] [Server]`).
 * Prefixes: MySQL 5.1/5.5 `YYMMDD HH:MM:SS [Warning] `, MariaDB 10.x `YYYY-MM-DD  H:MM:SS <thread>
 * [Warning] `, MySQL 5.7 `<ISO time> <thread> [Note] `, MySQL 8 `<ISO time> <thread> [Note]
 * [MY-010926] [Server] `; through syslog/journald (`mariadbd[pid]:`, `mysqld[pid]:`) with or
 * without that prefix.
 *
 * The user name is client text and may hold `'@'` and an address; the host is the server's (the
 * client's address, or its resolved name when name resolution is on: a name cannot be banned, no
 * match). So the line must end with ` (using password: YES|NO)` and the host is what lies between
 * the LAST `'@'` and that end. ddos: MariaDB's/MySQL's `Aborted connection N to db: 'unconnected'
 * user: 'unauthenticated' host: 'addr' (...)`: a connection closed before any login (scanners,
 * also a health check that only opens the port).
 */
import { counts, defineFilter, normaliseAddress } from '../failure.ts';
import { execAt } from './text.ts';

const HEAD = /(?:\d{4}-\d\d-\d\d[T ][ \d]\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-]\d\d:\d\d)? {1,2}|\d{6} [ \d]\d:\d\d:\d\d )?(?:\d{1,20} )?\[(?:Warning|Note)\] (?:\[MY-01\d{4}\] \[Server\] )?(?:Access denied for user '|Aborted connection \d{1,20} to db: 'unconnected' user: 'unauthenticated' host: '([0-9A-Fa-f.:]{2,45})' \()/y;

export default defineFilter({
  type: 'mysqld',
  summary: 'MariaDB/MySQL: Access denied for user (failed logins)',
  programs: ['mysqld', 'mariadbd', 'mariadb', 'mysql'],
  ownLog: true,
  modes: {
    ddos: 'also connections aborted before any login (`Aborted connection ... user: \'unauthenticated\'`)',
  },
  match(line, ctx) {
    const at = ctx.at;
    const c = line.charCodeAt(at);
    if (!((c >= 48 && c <= 57) || c === 91)) return undefined;
    if (line.indexOf('] A', at) < 0) return undefined;
    const m = execAt(HEAD, line, at);
    if (!m) return undefined;
    if (m[1] !== undefined) {
      if (!counts('ddos', ctx.mode) || line.charCodeAt(line.length - 1) !== 41) return undefined;
      const address = normaliseAddress(m[1]);
      return address ? { address } : undefined;
    }
    const start = HEAD.lastIndex;
    let end = line.length;
    if (line.endsWith("' (using password: YES)")) end -= 23;
    else if (line.endsWith("' (using password: NO)")) end -= 22;
    else return undefined;
    const q = line.lastIndexOf("'@'", end);
    if (q < start || end - q - 3 > 64) return undefined;
    const address = normaliseAddress(line.slice(q + 3, end));
    return address ? { address, user: line.slice(start, q) } : undefined;
  },
});
