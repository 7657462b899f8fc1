/**
 * pop3: the POP3 greeting (`+OK`) and its response time like check_pop, over plain text,
 * implicit TLS (995) or STLS, with an optional USER/PASS login that check_pop does not have.
 */
import { greetingSchema, runGreetingCheck, withDefaultPort, type GreetingProtocol } from './greeting.ts';
import { defineProbe } from './types.ts';

const PORTS = { plain: 110, implicit: 995 };
const ok = (reply: string) => reply.startsWith('+OK');

/** POP3 in the words of RFC 1939 and RFC 2595 (STLS). */
const pop3: GreetingProtocol = {
  label: 'POP',
  startTlsName: 'STLS',
  quit: 'QUIT',
  readGreeting: async (s) => [await s.readLine()],
  async requestTls(s) {
    const [reply] = await s.command('STLS');
    return ok(reply!) ? undefined : reply;
  },
  async login(s, username, password) {
    const [user] = await s.command(`USER ${username}`);
    if (!ok(user!)) return user;
    const [pass] = await s.command(`PASS ${password}`);
    return ok(pass!) ? undefined : pass;
  },
};

export const schema = greetingSchema({ ports: PORTS, expect: '+OK', startTlsName: 'STLS' });

export default defineProbe({
  type: 'pop3',
  summary: 'POP3 greeting and response time, STLS/implicit TLS, optional login (like check_pop)',
  schema,
  shortFlags: { port: 'p', warning: 'w', critical: 'c', expect: 'e' },
  run(target, options, ctx) {
    return runGreetingCheck(pop3, target.address, withDefaultPort(options, PORTS), ctx);
  },
});
