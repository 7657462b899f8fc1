/**
 * `mamoru audit [--limit N] [--before ID] [--json]`: the audit trail (who logged in, acted,
 * changed a user or a token, when, from where), newest first, from the store the config names.
 */
import type { Command } from 'commander';
import { table, when, withAuthService } from '../auth/cli-support.ts';
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../core/errors.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

const whole = (flag: string, max: number) => (v: string) => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || n < 1 || n > max) throw new UsageError(`${flag} expects a whole number from 1 to ${max}, got ${JSON.stringify(v)}`);
  return n;
};

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('the audit trail, newest first: logins, acknowledgements, approvals, bans, user and token changes')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--limit <n>', 'at most this many (up to 1000)', whole('--limit', 1000), 50)
    .option('--before <id>', 'only records older than this id (the next page)', whole('--before', Number.MAX_SAFE_INTEGER))
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; limit: number; before?: number; json?: boolean }) => {
      const list = await withAuthService(loadConfigFile(opts.config).config, (a) => a.auditTrail({ limit: opts.limit, ...(opts.before !== undefined ? { before: opts.before } : {}) }));
      if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else if (list.length === 0) process.stdout.write('nothing in the audit trail\n');
      else process.stdout.write(table(['ID', 'AT', 'WHO', 'FROM', 'ACTION', 'SUBJECT', 'DETAIL'], list.map((r) => [String(r.id), when(r.at), r.actor, r.address ?? '-', r.action, r.subject, r.detail])));
    });
}
