/**
 * `mamoru tokens [list|create|revoke]`: API tokens (`Authorization: Bearer TOKEN`), in the store
 * the config names. A token is printed once, at creation, alone on standard output so a script
 * can take it; only its hash is kept.
 */
import type { Command } from 'commander';
import { describeScope, scopeFromOptions, table, when, withAuthService } from '../auth/cli-support.ts';
import type { Role, TokenRecord } from '../auth/types.ts';
import { loadConfigFile } from '../config/load.ts';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

const CLI = { cli: true } as const;
const config = (file: string) => loadConfigFile(file).config;

function state(t: Omit<TokenRecord, 'hash'>, now: number): string {
  if (t.revokedAt !== null) return `revoked ${when(t.revokedAt)}`;
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  return 'live';
}

export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('create, list or revoke API tokens');
  tokens
    .command('list', { isDefault: true })
    .description('every token, revoked ones too (the default); never the tokens themselves')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const { list, users } = await withAuthService(config(opts.config), async (a) => ({ list: await a.tokens(), users: await a.users() }));
      if (opts.json) {
        process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      if (list.length === 0) {
        process.stdout.write('no tokens\n');
        return;
      }
      const names = new Map(users.map((u) => [u.id, u.name]));
      const now = Date.now();
      const rows = list.map((t) => [String(t.id), t.name, t.role, t.userId === null ? '-' : (names.get(t.userId) ?? `#${t.userId}`), describeScope(t.scope), when(t.createdAt), t.expiresAt === null ? 'never' : when(t.expiresAt), when(t.lastUsedAt), state(t, now)]);
      process.stdout.write(table(['ID', 'NAME', 'ROLE', 'USER', 'SEES', 'CREATED', 'EXPIRES', 'LAST USED', 'STATE'], rows));
    });
  tokens
    .command('create')
    .description('create a token and print it once')
    .argument('<name>', 'what the token is for, e.g. ci-ingest or grafana')
    .requiredOption('--role <role>', 'viewer, operator, admin, or ingest (may only post alerts)')
    .option('--user <name>', 'act for this user (the token can do no more than the user)')
    .option('--expires <duration>', 'stop working after this long, e.g. 30d or 12h (default: never)')
    .option('--targets <names>', 'sees only these targets (comma-separated)')
    .option('--tags <tags>', 'sees only targets with one of these tags (comma-separated)')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the token and its record as JSON')
    .action(async (name: string, opts: { role: string; user?: string; expires?: string; targets?: string; tags?: string; config: string; json?: boolean }) => {
      let expiresAt: number | null = null;
      if (opts.expires !== undefined) {
        try {
          expiresAt = Date.now() + parseDuration(opts.expires);
        } catch (e) {
          throw new UsageError(`--expires: ${(e as Error).message}`);
        }
      }
      const scope = scopeFromOptions(opts);
      const { token, record } = await withAuthService(config(opts.config), (a) =>
        a.createToken(CLI, { name, role: opts.role as Role, ...(opts.user !== undefined ? { user: opts.user } : {}), ...(scope ? { scope } : {}), expiresAt }),
      );
      if (opts.json) {
        process.stdout.write(JSON.stringify({ token, ...record }, null, 2) + '\n');
        return;
      }
      process.stdout.write(`${token}\n`);
      process.stderr.write(`token ${record.name} (id ${record.id}, role ${record.role}${opts.user ? `, for ${opts.user}` : ''}, expires ${record.expiresAt === null ? 'never' : when(record.expiresAt)}): keep it now, it is not shown again. Send it as "Authorization: Bearer TOKEN".\n`);
    });
  tokens
    .command('revoke')
    .description('stop a token from working, by id or name')
    .argument('<token>', 'the id (as in "tokens list") or the name of a live token')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .action(async (key: string, opts: { config: string }) => {
      const done = await withAuthService(config(opts.config), (a) => a.revokeToken(CLI, key));
      if (!done) throw new UsageError(`no live token with id or name ${JSON.stringify(key.slice(0, 64))}; "mamoru tokens list" shows them`);
      process.stdout.write(`revoked token ${key}\n`);
    });
}
