/**
 * One short MySQL/MariaDB session for the mysql probe: connect, log in, run one statement, keep
 * at most the first row, hang up. Every way it can fail becomes a typed value (refused,
 * timeout in a named phase, access denied, query error ...) so the probe can word each one;
 * nothing here throws and nothing outlives the abort signal.
 *
 * The socket is ours, handed to mysql2 as its stream: that tells a TCP connect that never
 * completed (host down) from a server that accepted but never greeted (hung daemon).
 */
import { createRequire } from 'node:module';
import net from 'node:net';
import type mysqlTypes from 'mysql2';

// mysql2 is loaded on the first session, not at import: every config pulls in the probe registry,
// and most never run a mysql check (start-up time, issue 16).
let mysqlLib: typeof mysqlTypes | undefined;
const mysql = () => (mysqlLib ??= createRequire(import.meta.url)('mysql2') as typeof mysqlTypes);

/** Where a session stood when it stopped. */
export type Phase = 'connecting' | 'handshake' | 'query';

export type SessionFailure =
  /** TCP connect failed with an errno (ECONNREFUSED, EHOSTUNREACH ...). */
  | { kind: 'connect'; code: string; message: string }
  /** The name did not resolve. */
  | { kind: 'resolve'; code: string; message: string }
  /** The abort signal fired (the check's timeout) in this phase. */
  | { kind: 'timeout'; phase: Phase }
  /** The server answered with an error while logging in (access denied, unknown database ...). */
  | { kind: 'server'; phase: 'handshake'; code: string; errno: number; message: string }
  /** The statement failed on the server. */
  | { kind: 'query'; code: string; errno: number; message: string }
  /** The connection broke or the server spoke something that is not the MySQL protocol. */
  | { kind: 'protocol'; phase: Phase; message: string };

export interface SessionOk {
  kind: 'ok';
  /** Seconds from the start to a logged-in session. */
  connectSeconds: number;
  /** Seconds from the start to the statement's first row (or its end). */
  totalSeconds: number;
  /** Whether the statement produced a result set at all (an UPDATE does not). */
  hasResultSet: boolean;
  /** The first `maxRows` rows, columns as the text the server sent (null for NULL). */
  rows: (string | null)[][];
  /** The server's version string from its greeting. */
  serverVersion: string;
}

export type SessionResult = SessionOk | SessionFailure;

export interface SessionOptions {
  host: string;
  port: number;
  user: string | undefined;
  password: string | undefined;
  database: string | undefined;
  statement: string;
  /** Rows to keep; the session hangs up once it has them, so memory stays bounded. */
  maxRows: number;
  signal: AbortSignal;
}

const SERVER_ERROR_CODE = /^ER_/;
/** A greeting is a few hundred bytes; the login exchange adds little more. */
const MAX_HANDSHAKE_BYTES = 64 * 1024;
const GREETING_HEAD = 5;

/**
 * Why the first bytes cannot start a MySQL greeting (3-byte length, sequence 0, then protocol
 * version 10 or an error packet 0xff), or undefined while they still can.
 */
export function notMysql(head: Buffer): string | undefined {
  const bad = () => `not a MySQL server: it sent "${printable(head)}"`;
  if (head.length >= 4 && head[3] !== 0) return bad();
  if (head.length >= 5 && head[4] !== 10 && head[4] !== 0xff) return bad();
  if (head.length >= 3 && head.readUIntLE(0, 3) > MAX_HANDSHAKE_BYTES) return bad();
  return undefined;
}

function printable(b: Buffer): string {
  // eslint-disable-next-line no-control-regex
  return b.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
}

/** Runs one statement in a fresh session and returns what happened. */
export function runSession(o: SessionOptions): Promise<SessionResult> {
  if (o.signal.aborted) return Promise.resolve({ kind: 'timeout', phase: 'connecting' });
  return new Promise<SessionResult>((resolve) => {
    const t0 = performance.now();
    let phase: Phase = 'connecting';
    let done = false;
    let connectSeconds = 0;
    let hasResultSet = false;
    const socket = net.connect({ host: o.host, port: o.port });
    socket.setNoDelay(true);
    const conn = mysql().createConnection({
      stream: socket,
      user: o.user ?? '',
      password: o.password ?? '',
      ...(o.database ? { database: o.database } : {}),
      // The abort signal is the only clock: mysql2's own would race it with other words.
      connectTimeout: 0,
      // Columns as the text the server sent (like the C client's row[0]), not JS numbers or dates.
      typeCast: (field: { string(): string | null }) => field.string(),
      rowsAsArray: true,
      multipleStatements: false,
    });

    const finish = (r: SessionResult) => {
      if (done) return;
      done = true;
      o.signal.removeEventListener('abort', onAbort);
      conn.destroy();
      socket.destroy();
      resolve(r);
    };
    const onAbort = () => finish({ kind: 'timeout', phase });
    o.signal.addEventListener('abort', onAbort, { once: true });

    const fail = (err: unknown) => {
      const e = err as NodeJS.ErrnoException & { errno?: number; sqlMessage?: string; fatal?: boolean };
      const code = String(e?.code ?? '');
      if (phase === 'connecting') {
        if (code === 'ENOTFOUND' || code.startsWith('EAI_')) return finish({ kind: 'resolve', code, message: e.message });
        return finish({ kind: 'connect', code, message: e.message });
      }
      if (SERVER_ERROR_CODE.test(code) && typeof e.errno === 'number') {
        const message = e.sqlMessage ?? e.message;
        if (phase === 'handshake') return finish({ kind: 'server', phase, code, errno: e.errno, message });
        return finish({ kind: 'query', code, errno: e.errno, message });
      }
      finish({ kind: 'protocol', phase, message: describeBreak(e) });
    };
    socket.once('connect', () => {
      if (phase === 'connecting') phase = 'handshake';
    });
    // Look at the greeting before mysql2 does: a non-MySQL peer (an HTTP or SMTP server, binary
    // noise, an endless banner) is named at once instead of being buffered as a huge "packet".
    let head = Buffer.alloc(0);
    let before = 0;
    const watch = (chunk: Buffer) => {
      if (phase !== 'handshake') return void socket.off('data', watch);
      before += chunk.length;
      if (head.length < GREETING_HEAD) head = Buffer.concat([head, chunk.subarray(0, GREETING_HEAD - head.length)]);
      const bad = notMysql(head);
      if (bad) return finish({ kind: 'protocol', phase, message: bad });
      if (before > MAX_HANDSHAKE_BYTES) finish({ kind: 'protocol', phase, message: `not a MySQL server: more than ${MAX_HANDSHAKE_BYTES} bytes without a complete greeting` });
    };
    socket.on('data', watch);
    // mysql2 reports a fatal error both as an event and to a pending command: take the first.
    conn.on('error', fail);
    conn.connect((err) => {
      if (err) return fail(err);
      connectSeconds = (performance.now() - t0) / 1000;
      phase = 'query';
      const rows: (string | null)[][] = [];
      const q = conn.query(o.statement);
      // mysql2 says 'fields' with nothing for an OK packet (UPDATE ...): that is no result set.
      q.on('fields', (fields: unknown) => {
        if (fields) hasResultSet = true;
      });
      q.on('error', fail);
      q.on('result', (row: unknown) => {
        if (!hasResultSet) return; // an OK packet (UPDATE ...), not a row
        rows.push(Array.isArray(row) ? (row as (string | null)[]) : []);
        // Hang up once there are enough rows instead of taking in the rest of a huge result.
        if (rows.length >= o.maxRows) finish(ok(rows));
      });
      q.on('end', () => finish(ok(rows)));
    });

    const ok = (rows: (string | null)[][]): SessionOk => ({
      kind: 'ok',
      connectSeconds,
      totalSeconds: (performance.now() - t0) / 1000,
      hasResultSet,
      rows,
      serverVersion: String((conn as unknown as { serverVersion?: string }).serverVersion ?? ''),
    });
  });
}

/** Linux errno numbers the MySQL client prints in "(111)", and strerror()'s words. */
const errnos: Record<string, [number, string]> = {
  ECONNREFUSED: [111, 'Connection refused'],
  ETIMEDOUT: [110, 'Connection timed out'],
  EHOSTUNREACH: [113, 'No route to host'],
  ENETUNREACH: [101, 'Network is unreachable'],
  EHOSTDOWN: [112, 'Host is down'],
  ECONNRESET: [104, 'Connection reset by peer'],
  EADDRNOTAVAIL: [99, 'Cannot assign requested address'],
};

/** `111 "Connection refused"` for a known errno code, else the code and Node's message. */
export function errnoText(code: string, message: string): string {
  const known = errnos[code];
  return known ? `${known[0]} "${known[1]}"` : `${code || 'error'} "${message}"`;
}

function describeBreak(e: NodeJS.ErrnoException & { fatal?: boolean }): string {
  if (e?.code === 'PROTOCOL_CONNECTION_LOST') return 'the server closed the connection';
  if (e?.code === 'ECONNRESET') return 'the connection was reset by the server';
  return e?.message ?? String(e);
}
