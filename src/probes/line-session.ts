/**
 * A session for line-based protocols that greet first (POP3, IMAP, FTP, SMTP): it connects in
 * plain text or implicit TLS, upgrades in place (STARTTLS and its cousins), reads CRLF lines with
 * a bounded buffer and sends commands. Nothing here knows a protocol; the probes bring their
 * commands (greeting.ts runs the check most of them share).
 *
 * Memory stays bounded whatever the server sends: one line is at most `maxLineBytes`, and the
 * socket is paused while that much is waiting unread, so a 10 MB banner, an endless line or a
 * flood of short lines costs a few KiB, and the kernel's buffers hold the rest.
 */
import net from 'node:net';
import tls from 'node:tls';
import { describeConnectError } from './tcp-errors.ts';

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
