/**
 * Line-based protocols that greet first (POP3, IMAP, FTP, SMTP): a session that connects in
 * plain text or implicit TLS, upgrades in place (STARTTLS and its cousins), reads CRLF lines with
 * a bounded buffer and sends commands. Nothing here knows a protocol; the probes bring their
 * commands, and runGreetingCheck() runs the check they share (greeting, timing, expected
 * prefix, TLS upgrade, login) and speaks check_pop/check_imap/check_ftp's words.
 *
 * Memory stays bounded whatever the server sends: one line is at most `maxLineBytes`, and the
 * socket is paused while that much is waiting unread, so a 10 MB banner, an endless line or a
 * flood of short lines costs a few KiB, and the kernel's buffers hold the rest.
 */
import net from 'node:net';
import tls from 'node:tls';
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, seconds } from '../core/schema.ts';
import { describeConnectError, timeoutSeconds } from './tcp-errors.ts';

/** How a connection gets TLS: never, from the first byte, or by a command after the greeting. */
export type TlsMode = 'none' | 'implicit' | 'starttls';

/** The longest line kept, in bytes; a longer one is a protocol error, not a reason to grow. */
export const MAX_LINE_BYTES = 8192;

/** Why a session could not go on; probes turn each kind into their own words. */
export type LineFailure =
  /** Never connected (refused, unreachable, implicit TLS handshake failed). */
  | { kind: 'connect'; reason: string }
  /** The check's signal aborted (its timeout). */
  | { kind: 'timeout' }
  /** The server closed the connection; `partial` is an unfinished line it left ('' if none). */
  | { kind: 'closed'; partial: string }
  /** A line longer than the limit; `partial` is its beginning. */
  | { kind: 'too-long'; partial: string; limit: number }
  /** The connection broke after it was made (reset by peer ...). */
  | { kind: 'broken'; reason: string; partial: string }
  /** An upgrade to TLS failed. */
  | { kind: 'tls'; reason: string };

/** A session's failure as a value: `failure.kind` says what happened, the probe picks the words. */
export class LineError extends Error {
  constructor(readonly failure: LineFailure) {
    super(failure.kind === 'connect' || failure.kind === 'broken' || failure.kind === 'tls' ? failure.reason : failure.kind);
    this.name = 'LineError';
  }
}

/** Where and how LineSession.open() connects. */
export interface OpenOptions {
  host: string;
  port: number;
  /** TLS from the first byte (pop3s, imaps, ftps on 990, smtps). */
  implicitTls: boolean;
  signal: AbortSignal;
  /** @defaultValue MAX_LINE_BYTES */
  maxLineBytes?: number;
}

const LF = 0x0a;

/**
 * One connection read line by line. A single reader at a time (these protocols are lock-step);
 * every failure after the first is the same failure.
 */
export class LineSession {
  private socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private waiter: { resolve: (line: string) => void; reject: (e: LineError) => void } | undefined;
  private ended = false;
  private failure: LineFailure | undefined;
  private readonly t0 = performance.now();
  private readonly maxLine: number;
  private readonly onAbort = () => this.fail({ kind: 'timeout' });

  /** Settles open()'s promise; cleared once it has. */
  private connecting: ((err?: LineError) => void) | undefined;

  private constructor(
    private readonly o: OpenOptions,
    connected: (err?: LineError) => void,
  ) {
    this.maxLine = o.maxLineBytes ?? MAX_LINE_BYTES;
    this.connecting = connected;
    const { host, port } = o;
    this.socket = o.implicitTls ? tls.connect({ host, port, rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) }) : net.connect(port, host);
    const onError = (err: Error) => this.fail({ kind: 'connect', reason: describeConnectError(err, host, port) });
    this.socket.once('error', onError);
    this.socket.once(o.implicitTls ? 'secureConnect' : 'connect', () => {
      this.socket.off('error', onError);
      this.attach(this.socket);
      const done = this.connecting;
      this.connecting = undefined;
      done?.();
    });
    o.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Connects; rejects with a LineError of kind `connect` or `timeout`. */
  static open(o: OpenOptions): Promise<LineSession> {
    if (o.signal.aborted) return Promise.reject(new LineError({ kind: 'timeout' }));
    return new Promise((resolve, reject) => {
      const s: LineSession = new LineSession(o, (err) => (err ? reject(err) : resolve(s)));
    });
  }

  /** Milliseconds since the connection was started. */
  elapsedMs(): number {
    return performance.now() - this.t0;
  }

  /** The next line without its CR LF, decoded as UTF-8. */
  readLine(): Promise<string> {
    if (this.waiter) return Promise.reject(new Error('LineSession: one reader at a time'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  /**
   * Lines up to and including the one `isLast` accepts (a multi-line reply such as FTP's
   * `220-` ... `220 `). At most `maxLines` lines: a server that never ends its reply is cut off
   * as an over-long reply.
   */
  async readReply(isLast: (line: string) => boolean, maxLines = 100): Promise<string[]> {
    const lines: string[] = [];
    for (;;) {
      const line = await this.readLine();
      lines.push(line);
      if (isLast(line)) return lines;
      if (lines.length >= maxLines) throw this.fail({ kind: 'too-long', partial: lines.slice(0, 3).join(' / '), limit: this.maxLine });
    }
  }

  /** Sends one command line; CR LF is added. */
  send(line: string): void {
    if (!this.failure) this.socket.write(`${line}\r\n`);
  }

  /** Sends a command and reads its reply (see readReply). */
  async command(line: string, isLast: (line: string) => boolean = () => true): Promise<string[]> {
    this.send(line);
    return this.readReply(isLast);
  }

  /**
   * Upgrades the connection to TLS in place, after the server agreed to a STARTTLS-like
   * command. Bytes the server sent before the handshake are refused, not read as if they had
   * come through TLS (the STARTTLS command-injection flaw).
   */
  startTls(): Promise<void> {
    if (this.failure) return Promise.reject(new LineError(this.failure));
    if (this.buf.length > 0) return Promise.reject(this.fail({ kind: 'tls', reason: 'the server sent more after agreeing to TLS, before the handshake (refused: it could be injected)' }));
    const { host, port } = this.o;
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('error');
    plain.on('error', () => {});
    const secure = tls.connect({ socket: plain, rejectUnauthorized: false, ...(net.isIP(host) ? {} : { servername: host }) });
    this.socket = secure;
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(this.fail({ kind: 'tls', reason: describeConnectError(err, host, port).replace(/^connect to address \S+ and port \d+: /, `TLS handshake with ${host} port ${port} failed: `) }));
      secure.once('error', onError);
      // Destroyed without an error (the timeout): the upgrade ends with the session's failure.
      secure.once('close', () => reject(new LineError(this.failure ?? { kind: 'closed', partial: '' })));
      secure.once('secureConnect', () => {
        secure.off('error', onError);
        this.attach(secure);
        resolve();
      });
      // Whatever ended the session while handshaking (the timeout) ends the upgrade too.
      if (this.failure) reject(new LineError(this.failure));
    });
  }

  /**
   * Ends the session: sends `quit` if given (QUIT, LOGOUT), half-closes, and destroys the socket
   * shortly after so a server that never closes cannot hold it.
   */
  close(quit?: string): void {
    this.o.signal.removeEventListener('abort', this.onAbort);
    if (this.failure || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    this.failure = { kind: 'closed', partial: '' };
    // Whatever comes after the goodbye is not kept.
    this.socket.removeAllListeners('data');
    this.socket.on('data', () => {});
    this.socket.resume();
    if (quit === undefined) this.socket.end();
    else this.socket.end(`${quit}\r\n`);
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  private attach(socket: net.Socket): void {
    socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      // Enough is waiting for a whole line or a verdict: let the kernel hold the rest.
      if (this.buf.length > this.maxLine) socket.pause();
      this.deliver();
    });
    socket.on('end', () => {
      this.ended = true;
      this.deliver();
    });
    socket.on('error', (err: Error) => {
      const e = err as NodeJS.ErrnoException;
      const reason = e.code === 'ECONNRESET' ? 'Connection reset by peer' : e.code === 'EPIPE' ? 'Broken pipe' : e.message;
      this.fail({ kind: 'broken', reason, partial: this.partial() });
    });
  }

  private partial(): string {
    return this.buf.subarray(0, this.maxLine).toString('utf8');
  }

  private deliver(): void {
    const w = this.waiter;
    if (!w) return;
    const nl = this.buf.subarray(0, this.maxLine + 2).indexOf(LF);
    if (nl !== -1) {
      this.waiter = undefined;
      const end = nl > 0 && this.buf[nl - 1] === 0x0d ? nl - 1 : nl;
      const line = this.buf.subarray(0, end).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      if (this.buf.length <= this.maxLine && !this.failure) this.socket.resume();
      if (end > this.maxLine) return w.reject(this.fail({ kind: 'too-long', partial: line.slice(0, this.maxLine), limit: this.maxLine }));
      return w.resolve(line);
    }
    if (this.buf.length > this.maxLine) return void this.fail({ kind: 'too-long', partial: this.partial(), limit: this.maxLine });
    if (this.failure) return void this.fail(this.failure);
    if (this.ended) return void this.fail({ kind: 'closed', partial: this.partial() });
  }

  /** Records the first failure, ends the socket, rejects a waiting reader; returns the error. */
  private fail(f: LineFailure): LineError {
    this.failure ??= f;
    this.o.signal.removeEventListener('abort', this.onAbort);
    this.socket.destroy();
    const err = new LineError(this.failure);
    const c = this.connecting;
    this.connecting = undefined;
    c?.(err);
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
    return err;
  }
}

// ---------------------------------------------------------------------------------------------
// The check the greeting protocols share.

/** What a protocol brings to runGreetingCheck(). */
export interface GreetingProtocol {
  /** First word of every text, as the Nagios plugin prints it: 'POP', 'IMAP', 'FTP', 'SMTP'. */
  label: string;
  /** The upgrade command as texts name it: 'STLS', 'STARTTLS', 'AUTH TLS'. */
  startTlsName: string;
  /** Reads the greeting: one line, or a multi-line reply. */
  readGreeting(s: LineSession): Promise<string[]>;
  /** Asks for TLS; resolves to undefined when the server agreed, else to its refusal. */
  requestTls(s: LineSession): Promise<string | undefined>;
  /** Logs in; resolves to undefined when accepted, else to the server's refusal. */
  login(s: LineSession, username: string, password: string): Promise<string | undefined>;
  /** The goodbye command sent before closing. */
  quit: string;
}

/** The options every greeting probe has (see greetingSchema in the probes). */
export interface GreetingOptions {
  port: number;
  tls: TlsMode;
  expect: string;
  warning?: number | undefined;
  critical?: number | undefined;
  username?: string | undefined;
  password_secret?: string | undefined;
}

/** The parts of the probe context the shared check uses. */
export interface GreetingContext {
  signal: AbortSignal;
  timeoutMs: number;
  secret: (name: string) => string;
}

/** Printable, bounded excerpt of a line the server sent. */
function shown(line: string, max = 200): string {
  // eslint-disable-next-line no-control-regex
  const clean = line.replace(/[\x00-\x08\x0a-\x1f\x7f\ufffd]/g, '.');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}

const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

/** Runs the shared check: connect, greeting, expected prefix, thresholds, TLS upgrade, login. */
export async function runGreetingCheck(p: GreetingProtocol, host: string, o: GreetingOptions, ctx: GreetingContext): Promise<ProbeOutcome> {
  const say = (state: NagiosState, text: string, perf: PerfDatum[] = []) => outcome(state, `${p.label} ${stateName(state)} - ${text}`, perf);
  // The secret first: a missing one is the config's problem (UNKNOWN from the runner), found
  // before anything is sent to the server.
  const password = o.password_secret === undefined ? undefined : ctx.secret(o.password_secret);
  if (password !== undefined && /[\r\n\0]/.test(password)) return say(NagiosState.UNKNOWN, `the password in secret "${o.password_secret}" contains a line break or NUL`);

  const timeout = () => say(NagiosState.CRITICAL, `Socket timeout after ${timeoutSeconds(ctx.timeoutMs)} seconds`);
  /** A failure after the greeting, while doing `what`. */
  const during = (e: unknown, what: string): ProbeOutcome => {
    if (!(e instanceof LineError)) throw e;
    const f = e.failure;
    if (f.kind === 'timeout') return timeout();
    if (f.kind === 'tls') return say(NagiosState.CRITICAL, f.reason);
    if (f.kind === 'closed') return say(NagiosState.CRITICAL, `Connection closed by the server during ${what}${f.partial ? `: ${shown(f.partial)}` : ''}`);
    if (f.kind === 'too-long') return say(NagiosState.CRITICAL, `Reply longer than ${f.limit} bytes during ${what}: ${shown(f.partial, 80)}`);
    return say(NagiosState.CRITICAL, `${f.reason} during ${what}`);
  };

  let session: LineSession;
  try {
    session = await LineSession.open({ host, port: o.port, implicitTls: o.tls === 'implicit', signal: ctx.signal });
  } catch (e) {
    if (!(e instanceof LineError)) throw e;
    return e.failure.kind === 'connect' ? say(NagiosState.CRITICAL, e.failure.reason) : timeout();
  }
  try {
    let greeting: string;
    try {
      greeting = (await p.readGreeting(session))[0]!;
    } catch (e) {
      if (!(e instanceof LineError)) throw e;
      const f = e.failure;
      if (f.kind === 'timeout') return timeout();
      if (f.kind === 'too-long') return say(NagiosState.WARNING, `Unexpected response from host/socket (a line longer than ${f.limit} bytes): ${shown(f.partial, 80)}`);
      const partial = f.kind === 'closed' || f.kind === 'broken' ? f.partial : '';
      // check_tcp's verdicts: nothing at all is CRITICAL, the wrong words are WARNING.
      if (partial && !partial.startsWith(o.expect)) return say(NagiosState.WARNING, `Unexpected response from host/socket: ${shown(partial)}`);
      if (partial) return say(NagiosState.CRITICAL, `Connection closed in the middle of the greeting: ${shown(partial)}`);
      if (f.kind === 'broken') return say(NagiosState.CRITICAL, `${f.reason} before the greeting`);
      return say(NagiosState.CRITICAL, 'No data received from host');
    }
    const seconds = session.elapsedMs() / 1000;
    const perf: PerfDatum[] = [{ label: 'time', value: Number(seconds.toFixed(6)), unit: 's', warn: upTo(o.warning), crit: upTo(o.critical), min: 0, max: ctx.timeoutMs / 1000 }];
    if (!greeting.startsWith(o.expect)) return say(NagiosState.WARNING, `Unexpected response from host/socket: ${shown(greeting)}`, perf);

    const notes: string[] = [];
    if (o.tls === 'starttls') {
      try {
        const refusal = await p.requestTls(session);
        if (refusal !== undefined) return say(NagiosState.CRITICAL, `${p.startTlsName} refused by the server: ${shown(refusal)}`, perf);
        await session.startTls();
      } catch (e) {
        return during(e, p.startTlsName);
      }
      notes.push(`TLS via ${p.startTlsName}`);
    }
    if (o.username !== undefined && password !== undefined) {
      try {
        const refusal = await p.login(session, o.username, password);
        if (refusal !== undefined) return say(NagiosState.CRITICAL, `Login failed for user "${o.username}": ${shown(refusal)}`, perf);
      } catch (e) {
        return during(e, 'login');
      }
      notes.push(`logged in as ${o.username}`);
    }
    const state =
      o.critical !== undefined && seconds > o.critical ? NagiosState.CRITICAL : o.warning !== undefined && seconds > o.warning ? NagiosState.WARNING : NagiosState.OK;
    const extra = notes.length ? `, ${notes.join(', ')}` : '';
    return say(state, `${seconds.toFixed(3)} second response time on ${host} port ${o.port} [${shown(greeting)}]${extra}`, perf);
  } finally {
    session.close(p.quit);
  }
}

/**
 * The options schema of a greeting probe: port (its default depends on `tls`, so it is filled
 * in at run time with withDefaultPort), tls, expect, thresholds and the optional login.
 */
export function greetingSchema(d: { ports: { plain: number; implicit: number }; expect: string; startTlsName: string }) {
  return z
    .strictObject({
      port: port().optional().meta({ description: `TCP port; default ${d.ports.plain}, or ${d.ports.implicit} with tls: implicit` }),
      tls: z.enum(['none', 'implicit', 'starttls']).default('none').meta({ description: `none, implicit (TLS from the first byte) or starttls (upgrade with ${d.startTlsName})` }),
      expect: z.string().min(1).default(d.expect).meta({ description: 'what the greeting must start with' }),
      warning: seconds('response time above which the state is WARNING').optional(),
      critical: seconds('response time above which the state is CRITICAL').optional(),
      username: z
        .string()
        .min(1)
        .regex(/^[^\r\n\0]*$/, 'a user name has no line breaks')
        .optional()
        .meta({ description: 'log in as this user (needs password_secret)' }),
      password_secret: z.string().min(1).optional().meta({ description: 'name of the secret holding the password for username' }),
    })
    .superRefine((o, ctx) => {
      if (o.username !== undefined && o.password_secret === undefined) ctx.addIssue({ code: 'custom', path: ['password_secret'], message: 'username needs password_secret (the secret holding its password)' });
      if (o.password_secret !== undefined && o.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'password_secret needs username' });
    });
}

/** The options with the port filled in: the implicit-TLS port when TLS starts at once. */
export function withDefaultPort<T extends { port?: number | undefined; tls: TlsMode }>(o: T, ports: { plain: number; implicit: number }): T & { port: number } {
  return { ...o, port: o.port ?? (o.tls === 'implicit' ? ports.implicit : ports.plain) };
}
