/**
 * iptables: the field runbook's rule form, `-s X [-p tcp --dport P] -j DROP`, kept in a chain
 * of mamoru's own (`MAMORU`, for IPv4 and through ip6tables for IPv6) that INPUT jumps to first,
 * and DOCKER-USER too when configured (traffic to containers never passes INPUT). iptables has no
 * timeouts, so each rule carries its end in a comment (`-m comment --comment
 * mamoru:until=<ms>`): list() reads it back and reconcile.ts removes the rules whose time is up.
 *
 * Every command is an argv array built from the parsed address (rule.ts), never a shell string.
 * Only the MAMORU chain and the jumps to it are ever changed; DOCKER-USER belongs to Docker and
 * is never created or removed here.
 */
import { z } from 'zod';
import { formatCidr, formatCidrWithPrefix, parseCidr, type Family } from '../guard/address.ts';
import { localRunner } from './run.ts';
import { checkAddress, checkBan, parseUntilComment, ruleKey, untilComment } from './rule.ts';
import { serialized } from './serial.ts';
import { defineFirewall, FirewallError, type BanRule } from './types.ts';
import { xtables } from './xtables.ts';

export const schema = z.strictObject({
  chain: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_-]{0,27}$/, 'expected a chain name of letters, digits, _ and - (at most 28)')
    .default('MAMORU')
    .meta({ description: "mamoru's own chain; nothing outside it is changed except the jumps to it" }),
  docker_user: z.boolean().default(false).meta({ description: 'also jump to the chain from DOCKER-USER (bans reach published container ports)' }),
  ipv6: z.boolean().default(true).meta({ description: 'ban IPv6 addresses through ip6tables' }),
});

type Options = z.output<typeof schema>;

interface Held extends BanRule {
  family: Family;
  /** The rule's words after `-A <chain>`, for deleting exactly it. */
  spec: string[];
}

/** A ban rule from the words of an `iptables -S` line; undefined for anything else in the chain. */
export function parseRule(words: string[], family: Family): Held | undefined {
  let source: string | undefined;
  let proto: string | undefined;
  let port: number | undefined;
  let comment: string | undefined;
  let target: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '!') return undefined; // a negated match is not a ban of an address
    if (w === '-s') source = words[++i];
    else if (w === '-p') proto = words[++i];
    else if (w === '--dport') port = Number(words[++i]);
    else if (w === '--comment') comment = words[++i];
    else if (w === '-j') target = words[++i];
  }
  const cidr = source === undefined ? undefined : parseCidr(source);
  if (!cidr || target !== 'DROP' || cidr.family !== family) return undefined;
  if (port !== undefined && (!Number.isInteger(port) || (proto !== 'tcp' && proto !== 'udp'))) return undefined;
  const c = parseUntilComment(comment);
  return {
    family,
    spec: words,
    address: formatCidr(cidr),
    ...(c.until !== undefined ? { until: c.until } : {}),
    ...(port !== undefined ? { port, proto: proto as 'tcp' | 'udp' } : {}),
  };
}

export default defineFirewall({
  type: 'iptables',
  summary: "iptables/ip6tables DROP rules in mamoru's own chain (the runbook's rule form)",
  schema,
  create(o: Options, deps) {
    const x = xtables(deps.run ?? localRunner(), 'iptables');
    const now = deps.now ?? Date.now;
    const log = deps.log.child({ firewall: 'iptables' });
    const families: Family[] = o.ipv6 ? [4, 6] : [4];
    const jump = ['-j', o.chain];

    async function setupFamily(family: Family): Promise<void> {
      await x.ensureChain(family, o.chain);
      await x.ensureFirst(family, 'INPUT', jump);
      if (!o.docker_user) return;
      if (await x.ok(family, ['-S', 'DOCKER-USER'])) await x.ensureFirst(family, 'DOCKER-USER', jump);
      else log.warn({ tool: x.tool(family) }, 'docker_user is set but there is no DOCKER-USER chain yet (is Docker running?); the jump is added at the next setup');
    }

    async function held(family: Family): Promise<Held[] | undefined> {
      const rules = await x.rules(family, o.chain);
      return rules?.map((w) => parseRule(w, family)).filter((r): r is Held => r !== undefined);
    }

    const remove = (h: Held) => x.must(h.family, ['-D', o.chain, ...h.spec], `removing the ban of ${h.address}`);

    return serialized({
      async setup() {
        for (const f of families) await setupFamily(f);
        log.info({ chain: o.chain, docker_user: o.docker_user, ipv6: o.ipv6 }, 'iptables chain ready');
      },

      async ban(request) {
        const b = checkBan('iptables', request);
        const family = b.cidr.family;
        if (family === 6 && !o.ipv6) throw new FirewallError('iptables', `cannot ban ${b.address}: ipv6 is off for this backend; set ipv6: true`);
        if (b.until !== undefined && b.until <= now()) return log.info({ address: b.address }, 'ban already over, not applied');
        let current = await held(family);
        if (current === undefined) {
          // Someone removed the chain: put it (and the jumps) back before banning.
          await setupFamily(family);
          current = [];
        }
        const key = ruleKey(b);
        const spec = [
          '-s',
          formatCidrWithPrefix(b.cidr),
          ...(b.port === undefined ? [] : ['-p', b.proto!, '-m', b.proto!, '--dport', String(b.port)]),
          '-m',
          'comment',
          '--comment',
          untilComment(b.until),
          '-j',
          'DROP',
        ];
        // Added before the old copy goes, so the address is never unbanned in between.
        await x.must(family, ['-A', o.chain, ...spec], `ban of ${b.address}`);
        for (const old of current.filter((h) => ruleKey(h) === key)) await remove(old);
        log.info({ address: b.address, until: b.until, port: b.port, proto: b.proto }, 'banned');
      },

      async unban(address) {
        const c = checkAddress('iptables', address);
        if (c.family === 6 && !o.ipv6) return;
        const text = formatCidr(c);
        const mine = ((await held(c.family)) ?? []).filter((h) => h.address === text);
        for (const h of mine) await remove(h);
        if (mine.length > 0) log.info({ address: text }, 'unbanned');
      },

      async list() {
        const out: BanRule[] = [];
        for (const f of families) for (const { family: _f, spec: _s, ...rule } of (await held(f)) ?? []) out.push(rule);
        return out;
      },

      async flush() {
        for (const f of families) if (await x.ok(f, ['-S', o.chain])) await x.must(f, ['-F', o.chain], `flushing chain ${o.chain}`);
        log.info({ chain: o.chain }, 'all bans flushed');
      },

      async teardown() {
        for (const f of families) {
          await x.removeAll(f, 'INPUT', jump);
          if (await x.ok(f, ['-S', 'DOCKER-USER'])) await x.removeAll(f, 'DOCKER-USER', jump);
          if (!(await x.ok(f, ['-S', o.chain]))) continue;
          await x.must(f, ['-F', o.chain], `flushing chain ${o.chain}`);
          await x.must(f, ['-X', o.chain], `removing chain ${o.chain}`);
        }
        log.info({ chain: o.chain }, 'iptables chain removed');
      },
    });
  },
});
