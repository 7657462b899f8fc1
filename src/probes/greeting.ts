/**
 * The check that greeting-first protocols share (POP3, IMAP, FTP): connect, read the greeting,
 * time it, check its prefix, upgrade to TLS, log in, in check_pop/check_imap/check_ftp's words.
 * The connection itself is line-session.ts's LineSession.
 */
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, seconds } from '../core/schema.ts';
import { LineError, LineSession, type TlsMode } from './line-session.ts';
import { timeoutSeconds } from './tcp-errors.ts';


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
