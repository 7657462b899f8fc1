/**
 * MariaDB/MySQL failed logins (sql_acl.cc / sql_authentication.cc ER_ACCESS_DENIED_ERROR
 * "Access denied for user '%-.48s'@'%-.64s' (using password: %s)", logged as a warning with
 * log_warnings >= 2, MySQL 8 as [MY-010926] [Server] with log_error_verbosity 3) and connections
 * aborted before any login (ER_NEW_ABORTING_CONNECTION "Aborted connection %u to db: '%-.192s'
 * user: '%-.48s' host: '%-.255s' (%-.64s)"). Written from the format strings and each version's
 * error-log prefix (sql_print_warning: MySQL 5.5 "%02d%02d%02d %2d:%02d:%02d", MariaDB 10.x
 * "%04d-%02d-%02d %2d:%02d:%02d %lu", MySQL 5.7/8 ISO time + thread id); the lab's MariaDB was
 * not recorded.
 */
import type { CorpusEntry } from './types.ts';

const FMT = "mysql ER_ACCESS_DENIED_ERROR \"Access denied for user '%-.48s'@'%-.64s' (using password: %s)\"";
const ABORT = "ER_NEW_ABORTING_CONNECTION \"Aborted connection %u to db: '%-.192s' user: '%-.48s' host: '%-.255s' (%-.64s)\"";

const corpus: CorpusEntry[] = [
  { form: 'MariaDB 10.x error file', source: FMT + ' + MariaDB 10.x prefix', line: "2026-12-07  4:50:01 42 [Warning] Access denied for user 'root'@'203.0.113.120' (using password: YES)", address: '203.0.113.120' },
  { form: 'MariaDB via journald/syslog (Debian 12)', source: FMT + ' + mariadbd syslog tag', line: "Dec  7 04:50:02 db mariadbd[812]: 2026-12-07  4:50:02 43 [Warning] Access denied for user 'admin'@'203.0.113.121' (using password: NO)", address: '203.0.113.121' },
  { form: 'MySQL 5.5 error file', source: FMT + ' + 5.5 prefix', line: "261207 14:50:03 [Warning] Access denied for user 'test'@'203.0.113.122' (using password: YES)", address: '203.0.113.122' },
  { form: 'MySQL 5.7 via syslog', source: FMT + ' + 5.7 prefix', line: "Dec  7 04:50:04 db mysqld[900]: 2026-12-07T04:50:04.123456Z 44 [Note] Access denied for user 'root'@'203.0.113.123' (using password: YES)", address: '203.0.113.123' },
  { form: 'MySQL 8 [MY-010926] via syslog', source: FMT + ' + 8.0 prefix', line: "Dec  7 04:50:05 db mysqld[901]: 2026-12-07T04:50:05.123456Z 45 [Note] [MY-010926] [Server] Access denied for user 'sa'@'2001:db8::124' (using password: YES)", address: '2001:db8::124' },
  { form: 'MySQL 8 own error file (log_error, no syslog header)', source: FMT + ' + 8.0 prefix', line: "2026-12-07T04:50:15.654321Z 47 [Note] [MY-010926] [Server] Access denied for user 'root'@'203.0.113.130' (using password: YES)", address: '203.0.113.130' },
  { form: 'MySQL 5.7 own error file', source: FMT + ' (5.7 log_error)', line: "2026-12-07T04:50:16.000000Z 48 [Note] Access denied for user 'admin'@'203.0.113.131' (using password: YES)", address: '203.0.113.131' },
  { form: 'MySQL 8 syslog without its own time', source: FMT + ' (log_sink_syseventlog)', line: "Dec  7 04:50:06 db mysqld[901]: 46 [Note] [MY-010926] [Server] Access denied for user 'x'@'203.0.113.125' (using password: NO)", address: '203.0.113.125' },
  { form: 'user name holding \'@\' and an address', source: FMT, line: "2026-12-07  4:50:07 47 [Warning] Access denied for user 'a'@'6.6.6.6'@'203.0.113.126' (using password: YES)", address: '203.0.113.126' },
  { form: 'aborted before login (ddos)', source: ABORT, line: "2026-12-07  4:50:08 48 [Warning] Aborted connection 48 to db: 'unconnected' user: 'unauthenticated' host: '203.0.113.127' (This connection closed normally without authentication)", address: '203.0.113.127', mode: 'ddos' },
  // --- must not match
  { form: 'host name instead of an address', source: FMT + ' (name resolution on)', line: "2026-12-07  4:50:09 49 [Warning] Access denied for user 'root'@'localhost' (using password: YES)", address: null },
  { form: 'user name holding a whole failure, host a name', source: FMT, line: "2026-12-07  4:50:10 50 [Warning] Access denied for user 'x'@'6.6.6.6' (using password: YES)'@'db.example.jp' (using password: NO)", address: null },
  { form: 'authenticated user refused a database', source: "ER_DBACCESS_DENIED_ERROR \"Access denied for user '%-.48s'@'%-.64s' to database '%-.192s'\"", line: "2026-12-07  4:50:11 51 [Warning] Access denied for user 'app'@'203.0.113.128' to database 'x'", address: null },
  { form: 'aborted connection of a logged-in user', source: ABORT, line: "2026-12-07  4:50:12 52 [Warning] Aborted connection 52 to db: 'app' user: 'app' host: '203.0.113.129' (Got timeout reading communication packets)", address: null },
  { form: 'server start, MySQL 8 own error file', source: 'mysqld "ready for connections" (log_error)', line: "2026-12-07T04:50:14.000000Z 0 [System] [MY-010931] [Server] /usr/sbin/mysqld: ready for connections. Version: '8.0.36'", address: null },
  { form: 'server start', source: 'mysqld "ready for connections"', line: "2026-12-07  4:50:13 0 [Note] /usr/sbin/mariadbd: ready for connections.", address: null },
];

export default corpus;
