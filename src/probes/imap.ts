/**
 * imap: the IMAP greeting (`* OK`) and its response time like check_imap, over plain text,
 * implicit TLS (993) or STARTTLS, with an optional LOGIN that check_imap does not have.
 */
import { greetingSchema, runGreetingCheck, withDefaultPort, type GreetingProtocol } from './greeting.ts';
import type { LineSession } from './line-session.ts';
import { defineProbe } from './types.ts';

const PORTS = { plain: 143, implicit: 993 };

/**
 * Sends a tagged command whose arguments are IMAP strings (RFC 3501 4.3): quoted when they are
 * plain ASCII, otherwise synchronizing literals, so any user name or password gets through
 * unchanged. Resolves to the tagged reply without its tag (`OK ...`, `NO ...`, `BAD ...`).
 */
async function tagged(s: LineSession, tag: string, command: string, args: string[] = []): Promise<string> {
  const isTagged = (line: string) => line.startsWith(`${tag} `);
  let line = `${tag} ${command}`;
  for (const arg of args) {
    if (/^[\x20-\x7e]*$/.test(arg)) {
      line += ` "${arg.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
      continue;
    }
    s.send(`${line} {${Buffer.byteLength(arg)}}`);
    const go = await s.readLine();
    // The server may refuse the literal outright with the tagged reply.
    if (!go.startsWith('+')) return isTagged(go) ? go.slice(tag.length + 1) : go;
    line = arg;
  }
  const reply = await s.command(line, isTagged);
  return reply[reply.length - 1]!.slice(tag.length + 1);
}

const okReply = (reply: string) => /^OK\b/i.test(reply);

/** IMAP4rev1 in the words of RFC 3501. */
const imap: GreetingProtocol = {
  label: 'IMAP',
  startTlsName: 'STARTTLS',
  quit: 'a9 LOGOUT',
  readGreeting: async (s) => [await s.readLine()],
  async requestTls(s) {
    const reply = await tagged(s, 'a1', 'STARTTLS');
    return okReply(reply) ? undefined : reply;
  },
  async login(s, username, password) {
    const reply = await tagged(s, 'a2', 'LOGIN', [username, password]);
    return okReply(reply) ? undefined : reply;
  },
};

export const schema = greetingSchema({ ports: PORTS, expect: '* OK', startTlsName: 'STARTTLS' });

export default defineProbe({
  type: 'imap',
  summary: 'IMAP greeting and response time, STARTTLS/implicit TLS, optional login (like check_imap)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', expect: 'e' },
  run(target, options, ctx) {
    return runGreetingCheck(imap, target.address, withDefaultPort(options, PORTS), ctx);
  },
});
