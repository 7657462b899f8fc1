/**
 * ftp: the FTP greeting (`220`) and its response time like check_ftp, over plain text, implicit
 * TLS (990) or AUTH TLS (RFC 4217), with an optional USER/PASS login that check_ftp does not have.
 */
import { greetingSchema, runGreetingCheck, withDefaultPort, type GreetingProtocol } from './greeting.ts';
import { LineError, type LineSession } from './line-session.ts';
import { defineProbe } from './types.ts';

const PORTS = { plain: 21, implicit: 990 };

/** The last line of a reply: `230 text` (a `230-` line means more follow, RFC 959 4.2). */
const isFinal = (line: string) => /^\d{3}(?: |$)/.test(line);
const code = (reply: string[]) => reply[reply.length - 1]!.slice(0, 3);
/** A multi-line reply shown as one: its first and last lines. */
const text = (reply: string[]) => (reply.length > 1 ? `${reply[0]} ... ${reply[reply.length - 1]}` : reply[0]!);

const ftp: GreetingProtocol = {
  label: 'FTP',
  startTlsName: 'AUTH TLS',
  quit: 'QUIT',
  async readGreeting(s: LineSession) {
    // Only a `220-` line promises more: anything else is the whole greeting, right or wrong.
    const first = await s.readLine();
    if (!/^\d{3}-/.test(first)) return [first];
    try {
      return [first, ...(await s.readReply(isFinal))];
    } catch (e) {
      // Closed between the lines of the greeting: it did start, and that is what to report.
      if (e instanceof LineError && e.failure.kind === 'closed' && !e.failure.partial) throw new LineError({ kind: 'closed', partial: first });
      throw e;
    }
  },
  async requestTls(s) {
    const reply = await s.command('AUTH TLS', isFinal);
    return code(reply) === '234' ? undefined : text(reply);
  },
  async login(s, username, password) {
    const user = await s.command(`USER ${username}`, isFinal);
    if (code(user) === '230') return undefined;
    if (code(user) !== '331') return text(user);
    const pass = await s.command(`PASS ${password}`, isFinal);
    return code(pass) === '230' ? undefined : text(pass);
  },
};

export const schema = greetingSchema({ ports: PORTS, expect: '220', startTlsName: 'AUTH TLS' });

export default defineProbe({
  type: 'ftp',
  summary: 'FTP greeting and response time, AUTH TLS/implicit TLS, optional login (like check_ftp)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', expect: 'e' },
  run(target, options, ctx) {
    return runGreetingCheck(ftp, target.address, withDefaultPort(options, PORTS), ctx);
  },
});
