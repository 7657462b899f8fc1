/**
 * smtp: the greeting of a mail server with its timing, EHLO, optional STARTTLS or implicit TLS
 * (smtps, 465), and an optional login (AUTH PLAIN or LOGIN) with a password from the secrets,
 * in check_smtp's words and states: `SMTP OK - 0.004 sec. response time`, a wrong greeting is
 * WARNING, refused and timed-out are CRITICAL, a failed login is CRITICAL. The time is the
 * whole dialogue's, as check_smtp's: a slow EHLO or login is a slow server too.
 *
 * The connection is line-session.ts's LineSession (bounded lines, STARTTLS without injected bytes);
 * the dialogue is SMTP's own, since its texts and verdicts are check_smtp's, not check_pop's.
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { NagiosState, stateName } from '../core/nagios.ts';
import type { PerfDatum } from '../core/perfdata.ts';
import type { Range } from '../core/range.ts';
import { outcome, type ProbeOutcome } from '../core/result.ts';
import { port, seconds } from '../core/schema.ts';
import { withDefaultPort } from './greeting.ts';
import { LineError, LineSession } from './line-session.ts';
import { excerpt, timeoutSeconds } from './tcp-errors.ts';
import { defineProbe, type ProbeContext } from './types.ts';

const PORTS = { plain: 25, implicit: 465 };

/** The same keys as the other greeting probes (pop3, imap, ftp), plus SMTP's own. */
export const schema = z
  .strictObject({
    port: port().optional().meta({ description: 'TCP port; default 25, or 465 with tls: implicit' }),
    tls: z.enum(['none', 'implicit', 'starttls']).default('none').meta({ description: 'none, implicit (smtps: TLS from the first byte) or starttls (upgrade after EHLO; WARNING when not offered)' }),
    expect: z.string().min(1).default('220').meta({ description: 'string the greeting must contain' }),
    fqdn: z.string().min(1).regex(/^[^\s]+$/, 'a host name has no spaces').optional().meta({ description: "name sent with EHLO (default: this machine's host name)" }),
    username: z.string().min(1).optional().meta({ description: 'log in as this user (AUTH); needs password_secret' }),
    password_secret: z.string().min(1).optional().meta({ description: 'name of the secret holding the password for username' }),
    auth_mechanism: z.enum(['plain', 'login']).optional().meta({ description: 'SASL mechanism (default: PLAIN when offered, else LOGIN)' }),
    warning: seconds('response time above which the state is WARNING').optional(),
    critical: seconds('response time above which the state is CRITICAL').optional(),
  })
  .superRefine((o, ctx) => {
    if (o.username !== undefined && o.password_secret === undefined) ctx.addIssue({ code: 'custom', path: ['password_secret'], message: 'username needs password_secret (the secret holding its password)' });
    if (o.password_secret !== undefined && o.username === undefined) ctx.addIssue({ code: 'custom', path: ['username'], message: 'password_secret needs username' });
  });

type Options = z.output<typeof schema> & { port: number };

/** One SMTP reply: its code (NaN when the line has none) and its lines. */
interface Reply {
  code: number;
  lines: string[];
  text: string;
}

// RFC 5321 multi-line replies: "250-..." continues, anything else ends the reply (garbage too,
// as check_smtp reads it).
const isLast = (line: string) => !/^\d{3}-/.test(line);

function toReply(lines: string[]): Reply {
  const m = /^(\d{3})/.exec(lines[lines.length - 1] ?? '');
  return { code: m ? Number(m[1]) : NaN, lines, text: lines.join(' / ') };
}

const upTo = (limit: number | undefined): Range | undefined => (limit === undefined ? undefined : { start: 0, end: limit, inside: false });

function timePerf(secs: number, o: Options): PerfDatum[] {
  return [{ label: 'time', value: Number(secs.toFixed(6)), unit: 's', warn: upTo(o.warning), crit: upTo(o.critical), min: 0 }];
}

/** A failure to report: its state and words (after "SMTP STATE - "). */
class Verdict {
  constructor(
    readonly state: NagiosState,
    readonly words: string,
  ) {}
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** check_smtp's words for a wrong greeting: "from host" on 25, "from host on port N" elsewhere. */
function invalidGreeting(portNo: number, reply: string): Verdict {
  const where = portNo === 25 ? 'from host' : `from host on port ${portNo}`;
  return new Verdict(NagiosState.WARNING, `Invalid SMTP response received ${where}: ${excerpt(reply)}`);
}

/**
 * What a broken read means at a step of the dialogue. check_smtp calls every failed read after
 * the connection "recv() failed", WARNING; only the clock (and a failed TLS upgrade) is CRITICAL.
 */
function readFailure(e: unknown, step: string, portNo: number, timeoutMs: number): Verdict {
  if (!(e instanceof LineError)) throw e;
  const f = e.failure;
  const when = step === 'greeting' ? 'before the greeting' : `after ${step}`;
  switch (f.kind) {
    case 'timeout':
      return new Verdict(NagiosState.CRITICAL, `Socket timeout after ${timeoutSeconds(timeoutMs)} seconds${step === 'greeting' ? '' : ` waiting for the reply to ${step}`}`);
    case 'connect':
    case 'tls':
      return new Verdict(NagiosState.CRITICAL, f.reason);
    case 'too-long':
      return step === 'greeting'
        ? invalidGreeting(portNo, `reply too long: ${f.partial}`)
        : new Verdict(NagiosState.WARNING, `Invalid response to ${step} (reply too long): ${excerpt(f.partial)}`);
    case 'closed':
      return new Verdict(NagiosState.WARNING, f.partial ? `recv() failed: connection closed mid-line ${when}: ${excerpt(f.partial)}` : `recv() failed: connection closed by server ${when}`);
    case 'broken':
      return new Verdict(NagiosState.WARNING, `recv() failed: ${f.reason} ${when}`);
  }
}

/** EHLO, falling back to HELO for a server that does not speak ESMTP; the capabilities it lists. */
async function hello(s: LineSession, name: string, at: (step: string) => void): Promise<Set<string>> {
  at('EHLO');
  const ehlo = toReply(await s.command(`EHLO ${name}`, isLast));
  if (ehlo.code === 250) return new Set(ehlo.lines.slice(1).map((l) => l.slice(4).trim().toUpperCase()));
  at('HELO');
  const helo = toReply(await s.command(`HELO ${name}`, isLast));
  if (helo.code !== 250) throw new Verdict(NagiosState.WARNING, `HELO rejected: ${excerpt(helo.text)}`);
  return new Set();
}

function offeredMechanisms(caps: Set<string>): string[] {
  for (const c of caps) if (/^AUTH[ =]/.test(c)) return c.slice(5).trim().split(/\s+/);
  return [];
}

async function login(s: LineSession, o: Options, password: string, caps: Set<string>, at: (step: string) => void): Promise<void> {
  const user = o.username!;
  const offered = offeredMechanisms(caps);
  if (offered.length === 0) throw new Verdict(NagiosState.CRITICAL, `server does not offer AUTH${o.tls === 'none' ? ' (some offer it only after STARTTLS)' : ''}`);
  const mech = o.auth_mechanism ?? (offered.includes('PLAIN') ? 'plain' : 'login');
  const refused = (r: Reply) => new Verdict(NagiosState.CRITICAL, `login as ${user} failed: ${excerpt(r.text)}`);
  const send = async (line: string) => toReply(await s.command(line, isLast));
  if (mech === 'plain') {
    at('AUTH PLAIN');
    const r = await send(`AUTH PLAIN ${b64(`\0${user}\0${password}`)}`);
    if (r.code !== 235) throw refused(r);
    return;
  }
  at('AUTH LOGIN');
  const start = await send('AUTH LOGIN');
  if (start.code !== 334) throw new Verdict(NagiosState.CRITICAL, `invalid response received after AUTH LOGIN: ${excerpt(start.text)}`);
  at('the AUTH LOGIN user name');
  const u = await send(b64(user));
  if (u.code !== 334) throw refused(u);
  at('the AUTH LOGIN password');
  const p = await send(b64(password));
  if (p.code !== 235) throw refused(p);
}

async function probeSmtp(host: string, o: Options, ctx: ProbeContext): Promise<ProbeOutcome> {
  // The secret first: a missing one is the config's problem (UNKNOWN from the runner), found
  // before anything is sent to the server.
  const password = o.password_secret === undefined ? undefined : ctx.secret(o.password_secret);
  const say = (state: NagiosState, words: string, perf: PerfDatum[] = []) => outcome(state, `SMTP ${stateName(state)} - ${words}`, perf);

  let s: LineSession;
  try {
    s = await LineSession.open({ host, port: o.port, implicitTls: o.tls === 'implicit', signal: ctx.signal });
  } catch (e) {
    const v = readFailure(e, 'greeting', o.port, ctx.timeoutMs);
    return say(v.state, v.words);
  }
  let step = 'greeting';
  let loggingIn = false;
  const at = (next: string) => (step = next);
  let quit = false;
  try {
    const greeting = toReply(await s.readReply(isLast));
    if (!greeting.text.includes(o.expect)) throw invalidGreeting(o.port, greeting.text);
    const name = o.fqdn ?? hostname();
    let caps = await hello(s, name, at);
    if (o.tls === 'starttls') {
      if (!caps.has('STARTTLS')) throw new Verdict(NagiosState.WARNING, 'TLS not supported by server');
      at('STARTTLS');
      const r = toReply(await s.command('STARTTLS', isLast));
      if (r.code !== 220) throw new Verdict(NagiosState.UNKNOWN, `Server does not support STARTTLS: ${excerpt(r.text)}`);
      await s.startTls();
      // RFC 3207: what the server said before TLS no longer counts; ask again.
      caps = await hello(s, name, at);
    }
    if (o.username !== undefined) {
      loggingIn = true;
      await login(s, o, password!, caps, at);
    }
    quit = true;
    const secs = s.elapsedMs() / 1000;
    const state = o.critical !== undefined && secs > o.critical ? NagiosState.CRITICAL : o.warning !== undefined && secs > o.warning ? NagiosState.WARNING : NagiosState.OK;
    return say(state, `${secs.toFixed(3)} sec. response time`, timePerf(secs, o));
  } catch (e) {
    const v = e instanceof Verdict ? e : readFailure(e, step, o.port, ctx.timeoutMs);
    quit = e instanceof Verdict;
    // A refused login still says how long the dialogue took, as check_smtp does.
    if (loggingIn && e instanceof Verdict) {
      const secs = s.elapsedMs() / 1000;
      return say(v.state, `${v.words}, ${secs.toFixed(3)} sec. response time`, timePerf(secs, o));
    }
    return say(v.state, v.words);
  } finally {
    s.close(quit ? 'QUIT' : undefined);
  }
}

export default defineProbe({
  type: 'smtp',
  summary: 'SMTP greeting and response time, EHLO, STARTTLS or implicit TLS, optional AUTH login (like check_smtp)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', expect: 'e', fqdn: 'F', username: 'U' },
  run(target, options, ctx) {
    return probeSmtp(target.address, withDefaultPort(options, PORTS), ctx);
  },
});
