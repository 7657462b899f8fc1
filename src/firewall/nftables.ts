/**
 * nftables (the default backend): one table of mamoru's own (`inet mamoru`), four sets with the
 * `timeout` flag so the kernel expires each ban by itself (`add element ... { 1.2.3.4 timeout
 * 600s }`) and the `interval` flag so networks (an IPv6 /64) are elements too: whole-address
 * bans for IPv4 and IPv6, and per-port bans keyed by address . protocol . port (the runbook's
 * `iptables -I INPUT -s X -p tcp --dport 110 -j DROP`). An input chain hooked before the
 * filter priority drops first; optionally a forward chain too (containers, routed hosts).
 *
 * Reads with `nft -j list table`, writes with a generated script on `nft -f -` (one atomic
 * transaction per change); the script is built only from parsed numbers (rule.ts), never from
 * the caller's text. Each element carries `comment "mamoru:until=<ms>"` so list() returns the
 * exact end, not the kernel's rounded seconds.
 */
import { z } from 'zod';
import { containsCidr, formatCidr, parseCidr, type Cidr } from '../guard/address.ts';
import { localRunner } from './run.ts';
import { elementKey, elementText, setOf, SETS, setupLines, type SetName } from './nft-script.ts';
import { checkAddress, checkBan, parseUntilComment, type CheckedBan } from './rule.ts';
import { serialized } from './serial.ts';
import { defineFirewall, FirewallError, type BanRule, type Proto } from './types.ts';

export const schema = z.strictObject({
  table: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,31}$/, 'expected a table name of letters, digits and _ (at most 32)')
    .default('mamoru')
    .meta({ description: 'name of mamoru\'s own table in the inet family; nothing outside it is touched' }),
  priority: z
    .number()
    .int()
    .min(-400)
    .max(400)
    .default(-10)
    .meta({ description: 'hook priority of the drop chains; below 0 (filter) so bans drop before other rules accept' }),
  forward: z.boolean().default(false).meta({ description: 'also drop banned sources in the forward hook (Docker containers, routed hosts)' }),
});

type Options = z.output<typeof schema>;

interface Held extends BanRule {
  set: SetName;
  cidr: Cidr;
}

/** One nft JSON element value: a string, a prefix, or a concatenation of them. */
type NftVal = string | number | { prefix?: { addr: string; len: number }; concat?: NftVal[]; range?: unknown };

function valAddress(v: NftVal | undefined): Cidr | undefined {
  if (typeof v === 'string') return parseCidr(v);
  if (v && typeof v === 'object' && v.prefix) return parseCidr(`${v.prefix.addr}/${v.prefix.len}`);
  return undefined;
}

/** Elements of our sets from `nft -j list table`; elements we cannot read (ranges) are skipped. */
export function parseNftTable(json: string, now: number): Held[] {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const out: Held[] = [];
  for (const item of doc.nftables ?? []) {
    const set = item.set as { name?: string; elem?: unknown[] } | undefined;
    if (!set || !SETS.includes(set.name as SetName)) continue;
    for (const raw of set.elem ?? []) {
      const e = (typeof raw === 'object' && raw !== null && 'elem' in raw ? (raw as { elem: Record<string, unknown> }).elem : { val: raw }) as {
        val: NftVal;
        expires?: number;
        comment?: string;
      };
      let cidr: Cidr | undefined;
      let port: number | undefined;
      let proto: Proto | undefined;
      if (typeof e.val === 'object' && e.val.concat) {
        const [a, p, n] = e.val.concat;
        cidr = valAddress(a);
        proto = p === 'tcp' || p === 6 ? 'tcp' : p === 'udp' || p === 17 ? 'udp' : undefined;
        port = typeof n === 'number' ? n : Number(n);
        if (!proto || !Number.isInteger(port)) continue;
      } else cidr = valAddress(e.val);
      if (!cidr) continue;
      const c = parseUntilComment(e.comment);
      const until = c.found ? c.until : e.expires !== undefined ? now + e.expires * 1000 : undefined;
      out.push({
        set: set.name as SetName,
        cidr,
        address: formatCidr(cidr),
        ...(until !== undefined ? { until } : {}),
        ...(port !== undefined ? { port, proto } : {}),
      });
    }
  }
  return out;
}

/** Rules each drop chain holds (setup() adds them): ip, ip6, and their per-port forms. */
const RULES_PER_CHAIN = 4;

/** What is missing from the table's structure, from `nft -j list table` (empty: all there). */
export function nftStructureProblems(json: string, forward: boolean): string[] {
  const doc = JSON.parse(json) as { nftables?: Record<string, unknown>[] };
  const sets = new Set<string>();
  const chains = new Map<string, boolean>();
  const rules = new Map<string, number>();
  for (const item of doc.nftables ?? []) {
    const set = item.set as { name?: string } | undefined;
    if (set?.name) sets.add(set.name);
    const chain = item.chain as { name?: string; hook?: string } | undefined;
    if (chain?.name) chains.set(chain.name, chain.hook !== undefined);
    const rule = item.rule as { chain?: string } | undefined;
    if (rule?.chain) rules.set(rule.chain, (rules.get(rule.chain) ?? 0) + 1);
  }
  const out: string[] = [];
  for (const s of SETS) if (!sets.has(s)) out.push(`set ${s} is gone`);
  for (const c of ['input', ...(forward ? ['forward'] : [])]) {
    if (!chains.has(c)) out.push(`chain ${c} is gone`);
    else if (!chains.get(c)) out.push(`chain ${c} lost its hook`);
    else if ((rules.get(c) ?? 0) !== RULES_PER_CHAIN) out.push(`chain ${c} has ${rules.get(c) ?? 0} of ${RULES_PER_CHAIN} rules`);
  }
  return out;
}

export default defineFirewall({
  type: 'nftables',
  summary: 'nftables sets with per-ban timeouts in mamoru\'s own table (default)',
  schema,
  create(o: Options, deps) {
    const run = deps.run ?? localRunner();
    const now = deps.now ?? Date.now;
    const log = deps.log.child({ firewall: 'nftables' });
    const t = `inet ${o.table}`;

    async function nft(script: string, what: string): Promise<void> {
      const argv = ['nft', '-f', '-'];
      const r = await run(argv, { input: script });
      if (r.status !== 0) throw new FirewallError('nftables', `${what} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}; is nftables installed and mamoru running as root?`, argv, r.stderr);
    }

    async function held(): Promise<Held[]> {
      const argv = ['nft', '-j', 'list', 'table', 'inet', o.table];
      const r = await run(argv);
      if (r.status !== 0) {
        if (/No such file or directory/i.test(r.stderr)) return [];
        throw new FirewallError('nftables', `reading table ${t} failed: ${r.stderr.trim()}`, argv, r.stderr);
      }
      return parseNftTable(r.stdout, now());
    }

    /**
     * Plain deletes: the add-then-delete idiom would keep the old interval in the kernel's
     * overlap check for the rest of the transaction. An element that expires between reading
     * and writing fails the transaction, so changes are planned from a fresh read and tried
     * once more (plan() reads again) before giving up.
     */
    const removal = (e: Held) => `delete element ${t} ${e.set} { ${elementKey(e)} }`;

    async function change(what: string, plan: (current: Held[]) => string[]): Promise<boolean> {
      for (let attempt = 1; ; attempt++) {
        const lines = plan(await held());
        if (lines.length === 0) return false;
        try {
          await nft(lines.join('\n') + '\n', what);
          return true;
        } catch (e) {
          if (attempt >= 2) throw e;
          // Someone deleted the table: put it back (empty) before the second try.
          if ((await run(['nft', 'list', 'table', 'inet', o.table])).status !== 0) await setup();
        }
      }
    }

    function element(b: CheckedBan): string {
      return elementText(b, now());
    }

    async function setup(): Promise<void> {
      await nft(setupLines(o).join('\n') + '\n', `setting up table ${t}`);
      log.info({ table: t, priority: o.priority, forward: o.forward }, 'nftables table ready');
    }

    return serialized({
      setup,

      async ban(request) {
        const b = checkBan('nftables', request);
        if (b.until !== undefined && b.until <= now()) return log.info({ address: b.address }, 'ban already over, not applied');
        const set = setOf(b.cidr, b.port);
        const changed = await change(`ban of ${b.address}`, (all) => {
          const current = all.filter((h) => h.set === set && h.port === b.port && h.proto === b.proto);
          // An interval set cannot hold overlapping networks: a wider ban replaces the ones it
          // covers, and an address inside a wider ban extends that one rather than fail.
          const wider = current.find((h) => h.cidr.prefix < b.cidr.prefix && containsCidr(h.cidr, b.cidr));
          if (wider) {
            if (wider.until === undefined || (b.until !== undefined && wider.until >= b.until)) return [];
            const w = checkBan('nftables', { address: wider.address, until: b.until, port: b.port, proto: b.proto });
            log.info({ address: b.address, within: wider.address }, 'extending the wider ban that covers this address');
            return [removal(wider), `add element ${t} ${set} { ${element(w)} }`];
          }
          // Deleted before the add, in the same transaction: the kernel checks overlaps in order.
          // A wider ban lasts as long as the longest narrower one it replaces, so none is
          // shortened; the same address banned again simply gets the new end.
          const replaced = current.filter((h) => containsCidr(b.cidr, h.cidr));
          const ends = [b.until, ...replaced.filter((h) => h.address !== b.address).map((h) => h.until)];
          const until = ends.includes(undefined) ? undefined : Math.max(...(ends as number[]));
          return [...replaced.map(removal), `add element ${t} ${set} { ${element({ ...b, until })} }`];
        });
        if (changed) log.info({ address: b.address, until: b.until, port: b.port, proto: b.proto }, 'banned');
        else log.info({ address: b.address }, 'already banned by a wider ban that lasts as long');
      },

      async unban(address) {
        const text = formatCidr(checkAddress('nftables', address));
        if (await change(`unban of ${text}`, (all) => all.filter((h) => h.address === text).map(removal))) log.info({ address: text }, 'unbanned');
      },

      async list() {
        return (await held()).map(({ set: _set, cidr: _cidr, ...rule }) => rule);
      },

      /** Bans and structure from one read: a flushed chain or a deleted set is drift too. */
      async state() {
        const argv = ['nft', '-j', 'list', 'table', 'inet', o.table];
        const r = await run(argv);
        if (r.status !== 0) {
          if (/No such file or directory/i.test(r.stderr)) return { rules: [], problems: [`table ${t} is gone`] };
          throw new FirewallError('nftables', `reading table ${t} failed: ${r.stderr.trim()}`, argv, r.stderr);
        }
        const rules = parseNftTable(r.stdout, now()).map(({ set: _set, cidr: _cidr, ...rule }) => rule);
        return { rules, problems: nftStructureProblems(r.stdout, o.forward) };
      },

      async flush() {
        if ((await run(['nft', 'list', 'table', 'inet', o.table])).status !== 0) return;
        await nft(SETS.map((s) => `flush set ${t} ${s}`).join('\n') + '\n', `flushing table ${t}`);
        log.info({ table: t }, 'all bans flushed');
      },

      async teardown() {
        // `add table` first makes the delete succeed whether or not the table is there.
        await nft(`add table ${t}\ndelete table ${t}\n`, `removing table ${t}`);
        log.info({ table: t }, 'nftables table removed');
      },
    });
  },
});
