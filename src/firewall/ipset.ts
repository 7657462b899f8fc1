/**
 * ipset: hash:net sets with per-entry timeouts (the kernel expires each ban), one set per family
 * for whole-address bans and one hash:net,port set per family for the runbook's per-port form
 * (`1.2.3.4,tcp:110`), and one iptables/ip6tables rule per set that drops what matches
 * (`-m set --match-set mamoru-v4 src -j DROP`), in INPUT and, when configured, DOCKER-USER.
 * For hosts whose other tools already speak ipset; a set holds thousands of bans at the cost of
 * one rule. Entries carry `comment mamoru:until=<ms>` so list() returns the exact end.
 *
 * Argv only; the element text is built from the parsed address (rule.ts). Only the sets named
 * here and the rules matching them are ever changed.
 */
import { z } from 'zod';
import { formatCidr, parseCidr, type Cidr, type Family } from '../guard/address.ts';
import { localRunner } from './run.ts';
import { checkAddress, checkBan, isHost, parseUntilComment, secondsLeft, untilComment } from './rule.ts';
import { serialized } from './serial.ts';
import { defineFirewall, FirewallError, type BanRule } from './types.ts';
import { tokenize, xtables } from './xtables.ts';

/** ipset's largest timeout (seconds, about 24.8 days); longer bans are re-applied by reconcile. */
export const MAX_TIMEOUT_S = 2_147_483;

export const schema = z.strictObject({
  set: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,20}$/, 'expected a set name prefix of letters, digits, _ and - (at most 21)')
    .default('mamoru')
    .meta({ description: 'prefix of the set names: <set>-v4, <set>-v6, <set>-v4-port, <set>-v6-port' }),
  docker_user: z.boolean().default(false).meta({ description: 'also drop set members in DOCKER-USER (bans reach published container ports)' }),
  ipv6: z.boolean().default(true).meta({ description: 'ban IPv6 addresses (ipset family inet6 and ip6tables)' }),
  max_elements: z.number().int().min(1024).default(65536).meta({ description: 'most bans each set holds (ipset maxelem)' }),
});

type Options = z.output<typeof schema>;

interface Held extends BanRule {
  set: string;
  /** The element as ipset prints it, for deleting exactly it. */
  element: string;
}

export default defineFirewall({
  type: 'ipset',
  summary: 'ipset hash:net sets with per-ban timeouts and one iptables rule per set',
  schema,
  create(o: Options, deps) {
    const run = deps.run ?? localRunner();
    const x = xtables(run, 'ipset');
    const now = deps.now ?? Date.now;
    const log = deps.log.child({ firewall: 'ipset' });
    const families: Family[] = o.ipv6 ? [4, 6] : [4];
    const setName = (family: Family, port: boolean) => `${o.set}-v${family}${port ? '-port' : ''}`;
    const sets = families.flatMap((f) => [
      { family: f, port: false, name: setName(f, false) },
      { family: f, port: true, name: setName(f, true) },
    ]);
    const match = (name: string, port: boolean) => ['-m', 'set', '--match-set', name, port ? 'src,dst' : 'src', '-j', 'DROP'];
    const hooks = ['INPUT', ...(o.docker_user ? ['DOCKER-USER'] : [])];

    async function ipset(args: string[], what: string): Promise<string> {
      const argv = ['ipset', ...args];
      const r = await run(argv);
      if (r.status !== 0) throw new FirewallError('ipset', `${what} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}; is ipset installed and mamoru running as root?`, argv, r.stderr);
      return r.stdout;
    }

    async function held(): Promise<Held[]> {
      const out: Held[] = [];
      for (const s of sets) {
        const r = await run(['ipset', 'save', s.name]);
        if (r.status !== 0) continue; // the set is not there (yet, or any more)
        for (const line of r.stdout.split('\n')) {
          const w = tokenize(line);
          if (w[0] !== 'add' || w[1] !== s.name || w[2] === undefined) continue;
          // `1.2.3.4`, `2001:db8::/64`, or with a port `1.2.3.4,tcp:110`.
          const m = /^([^,]+)(?:,(tcp|udp):(\d+))?$/.exec(w[2]);
          const cidr: Cidr | undefined = m ? parseCidr(m[1]!) : undefined;
          if (!m || !cidr || (m[2] !== undefined) !== s.port) continue;
          const ci = w.indexOf('comment');
          const ti = w.indexOf('timeout');
          const c = parseUntilComment(ci > 0 ? w[ci + 1] : undefined);
          const left = ti > 0 ? Number(w[ti + 1]) : 0;
          const until = c.found ? c.until : left > 0 ? now() + left * 1000 : undefined;
          out.push({
            set: s.name,
            element: w[2],
            address: formatCidr(cidr),
            ...(until !== undefined ? { until } : {}),
            ...(m[2] !== undefined ? { port: Number(m[3]), proto: m[2] as 'tcp' | 'udp' } : {}),
          });
        }
      }
      return out;
    }

    async function setupFamily(family: Family): Promise<void> {
      for (const s of sets.filter((s) => s.family === family)) {
        const type = s.port ? 'hash:net,port' : 'hash:net';
        await ipset(['-exist', 'create', s.name, type, 'family', family === 4 ? 'inet' : 'inet6', 'timeout', '0', 'comment', 'maxelem', String(o.max_elements)], `creating set ${s.name}`);
        for (const hook of hooks) {
          if (hook === 'DOCKER-USER' && !(await x.ok(family, ['-S', 'DOCKER-USER']))) {
            log.warn({ tool: x.tool(family) }, 'docker_user is set but there is no DOCKER-USER chain yet (is Docker running?); the rule is added at the next setup');
            continue;
          }
          await x.ensureFirst(family, hook, match(s.name, s.port));
        }
      }
    }

    return serialized({
      async setup() {
        for (const f of families) await setupFamily(f);
        log.info({ sets: sets.map((s) => s.name), docker_user: o.docker_user }, 'ipset sets ready');
      },

      async ban(request) {
        const b = checkBan('ipset', request);
        const family = b.cidr.family;
        if (family === 6 && !o.ipv6) throw new FirewallError('ipset', `cannot ban ${b.address}: ipv6 is off for this backend; set ipv6: true`);
        if (b.until !== undefined && b.until <= now()) return log.info({ address: b.address }, 'ban already over, not applied');
        const name = setName(family, b.port !== undefined);
        // Someone destroyed the set: put it (and its rule) back before banning.
        if ((await run(['ipset', 'list', '-name', name])).status !== 0) await setupFamily(family);
        let timeout = 0;
        if (b.until !== undefined) {
          timeout = secondsLeft(b.until, now());
          if (timeout > MAX_TIMEOUT_S) {
            log.warn({ address: b.address, seconds: timeout }, 'ban longer than ipset allows; it is re-applied by reconcile when the kernel expires it');
            timeout = MAX_TIMEOUT_S;
          }
        }
        // hash:net stores a host without its /32 or /128; the port form is `net,proto:port`.
        const net = isHost(b.cidr) ? b.address : formatCidr(b.cidr);
        const element = b.port === undefined ? net : `${net},${b.proto}:${b.port}`;
        // -exist: banning again replaces the timeout and the comment.
        await ipset(['-exist', 'add', name, element, 'timeout', String(timeout), 'comment', untilComment(b.until)], `ban of ${b.address}`);
        log.info({ address: b.address, until: b.until, port: b.port, proto: b.proto }, 'banned');
      },

      async unban(address) {
        const text = formatCidr(checkAddress('ipset', address));
        const mine = (await held()).filter((h) => h.address === text);
        for (const h of mine) await ipset(['-exist', 'del', h.set, h.element], `unban of ${text}`);
        if (mine.length > 0) log.info({ address: text }, 'unbanned');
      },

      async list() {
        return (await held()).map(({ set: _s, element: _e, ...rule }) => rule);
      },

      async flush() {
        for (const s of sets) if ((await run(['ipset', 'list', '-name', s.name])).status === 0) await ipset(['flush', s.name], `flushing set ${s.name}`);
        log.info({ sets: sets.map((s) => s.name) }, 'all bans flushed');
      },

      async teardown() {
        for (const s of sets) {
          // The rules go first: the kernel refuses to destroy a set a rule still uses.
          for (const hook of ['INPUT', 'DOCKER-USER']) if (await x.ok(s.family, ['-S', hook])) await x.removeAll(s.family, hook, match(s.name, s.port));
          if ((await run(['ipset', 'list', '-name', s.name])).status === 0) await ipset(['destroy', s.name], `removing set ${s.name}`);
        }
        log.info({ sets: sets.map((s) => s.name) }, 'ipset sets removed');
      },
    });
  },
});
