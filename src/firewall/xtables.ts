/**
 * What the iptables and ipset backends share: running iptables/ip6tables (`-w`, waiting for the
 * xtables lock instead of failing), making a chain or a jump exist exactly once, removing every
 * copy of a jump, and reading a chain back from `-S` output (tokenised like a shell would, but
 * without one).
 */
import type { Family } from '../guard/address.ts';
import { FirewallError, type RunResult, type Runner } from './types.ts';

/** Splits an `iptables -S` line into words; double quotes group, backslash escapes. */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inWord = false;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '\\' && i + 1 < line.length) cur += line[++i];
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') {
      quoted = true;
      inWord = true;
    } else if (ch === ' ' || ch === '\t') {
      if (inWord) out.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (inWord) out.push(cur);
  return out;
}

export interface Xtables {
  tool(family: Family): string;
  /** Runs and throws FirewallError (with the advice) when the status is not 0. */
  must(family: Family, args: string[], what: string): Promise<RunResult>;
  /** Runs and tells whether the status was 0 (for -C and -S probes). */
  ok(family: Family, args: string[]): Promise<boolean>;
  /** Creates the chain unless it exists. */
  ensureChain(family: Family, chain: string): Promise<void>;
  /** Inserts `-I from 1 <spec>` unless the rule is there already. */
  ensureFirst(family: Family, from: string, spec: string[]): Promise<void>;
  /** Deletes every copy of the rule in `from` (true when the chain exists). */
  removeAll(family: Family, from: string, spec: string[]): Promise<void>;
  /** The rules of a chain as word lists after `-A <chain>`; undefined when the chain is missing. */
  rules(family: Family, chain: string): Promise<string[][] | undefined>;
}

export function xtables(run: Runner, backend: string): Xtables {
  const tool = (family: Family) => (family === 4 ? 'iptables' : 'ip6tables');
  const x: Xtables = {
    tool,
    async must(family, args, what) {
      const argv = [tool(family), '-w', ...args];
      const r = await run(argv);
      if (r.status !== 0)
        throw new FirewallError(backend, `${what} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}; is ${tool(family)} installed and mamoru running as root?`, argv, r.stderr);
      return r;
    },
    async ok(family, args) {
      return (await run([tool(family), '-w', ...args])).status === 0;
    },
    async ensureChain(family, chain) {
      if (!(await x.ok(family, ['-S', chain]))) await x.must(family, ['-N', chain], `creating chain ${chain}`);
    },
    async ensureFirst(family, from, spec) {
      if (!(await x.ok(family, ['-C', from, ...spec]))) await x.must(family, ['-I', from, '1', ...spec], `adding ${spec.join(' ')} to ${from}`);
    },
    async removeAll(family, from, spec) {
      // Bounded: a rule that `-D` cannot remove must not loop forever.
      for (let i = 0; i < 100 && (await x.ok(family, ['-C', from, ...spec])); i++) await x.must(family, ['-D', from, ...spec], `removing ${spec.join(' ')} from ${from}`);
    },
    async rules(family, chain) {
      const r = await run([tool(family), '-w', '-S', chain]);
      if (r.status !== 0) return undefined;
      const head = `-A ${chain} `;
      return r.stdout
        .split('\n')
        .filter((l) => l.startsWith(head))
        .map((l) => tokenize(l.slice(head.length)));
    },
  };
  return x;
}
