/**
 * dry-run: a firewall that changes nothing. Every ban and unban is logged as what would have been
 * done and kept in memory, expiring on time like the kernel's sets would, so `mamoru bans list`
 * and reconcile behave as with a real backend. For trying jails on a live server before trusting
 * them, and for tests of everything above the firewall.
 */
import { z } from 'zod';
import { formatCidr } from '../guard/address.ts';
import { checkAddress, checkBan, ruleKey, toRule } from './rule.ts';
import { serialized } from './serial.ts';
import { defineFirewall, type BanRule, type Firewall } from './types.ts';

export const schema = z.strictObject({});

/** What a dry-run firewall was asked to do, in order (the tests and `mamoru bans` read it). */
export interface DryRunAction {
  action: 'setup' | 'ban' | 'unban' | 'flush' | 'teardown';
  at: number;
  rule?: BanRule | undefined;
  address?: string | undefined;
}

/** What create() returns: a Firewall that also shows what it was asked (cast to it where needed). */
export type DryRunFirewall = Firewall & { actions: DryRunAction[] };

const dryRun = defineFirewall({
  type: 'dry-run',
  summary: 'records and logs what it would do, touches no rules',
  schema,
  create(_o, deps) {
    const now = deps.now ?? Date.now;
    const log = deps.log.child({ firewall: 'dry-run' });
    const rules = new Map<string, BanRule>();
    const actions: DryRunAction[] = [];
    const live = () => {
      const t = now();
      for (const [k, r] of rules) if (r.until !== undefined && r.until <= t) rules.delete(k);
      return [...rules.values()];
    };
    const fw: DryRunFirewall = {
      /** Everything asked of this firewall so far (not part of the Firewall interface). */
      actions,
      async setup() {
        actions.push({ action: 'setup', at: now() });
        log.info('dry run: would set up the firewall');
      },
      async ban(request) {
        const rule = toRule(checkBan('dry-run', request));
        actions.push({ action: 'ban', at: now(), rule });
        if (rule.until !== undefined && rule.until <= now()) return;
        rules.set(ruleKey(rule), rule);
        log.info({ address: rule.address, until: rule.until, port: rule.port, proto: rule.proto }, 'dry run: would ban');
      },
      async unban(address) {
        const text = formatCidr(checkAddress('dry-run', address));
        actions.push({ action: 'unban', at: now(), address: text });
        for (const [k, r] of rules) if (r.address === text) rules.delete(k);
        log.info({ address: text }, 'dry run: would unban');
      },
      async list() {
        return live();
      },
      async flush() {
        actions.push({ action: 'flush', at: now() });
        rules.clear();
        log.info('dry run: would flush all bans');
      },
      async teardown() {
        actions.push({ action: 'teardown', at: now() });
        rules.clear();
        log.info('dry run: would remove the firewall setup');
      },
    };
    return serialized(fw);
  },
});

export default dryRun;
