/**
 * `mamoru users [list|add|passwd|remove]`: the console's accounts, in the store the config names
 * (opened directly: no daemon needed). Changes are in the audit trail as done by `cli`.
 */
import type { Command } from 'commander';
import { describeScope, newPassword, scopeFromOptions, table, when, withAuthService } from '../auth/cli-support.ts';
import type { UserRecord } from '../auth/types.ts';
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../core/errors.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

const CLI = { cli: true } as const;
const config = (file: string) => loadConfigFile(file).config;

export function registerUsers(program: Command): void {
  const users = program.command('users').description('list, add, remove users of the web console and API, or set their passwords');
  users
    .command('list', { isDefault: true })
    .description('every user, with role and scope (the default)')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const list = await withAuthService(config(opts.config), (a) => a.users());
      if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else if (list.length === 0) process.stdout.write('no users (the first start of the daemon creates "admin")\n');
      else process.stdout.write(table(['NAME', 'ROLE', 'SEES', 'CREATED', 'PASSWORD SET'], list.map((u) => [u.name, u.role, describeScope(u.scope), when(u.createdAt), when(u.passwordChangedAt)])));
    });
  users
    .command('add')
    .description('add a user; the password comes from --password-stdin, MAMORU_PASSWORD, or is asked twice on the terminal')
    .argument('<name>', 'login name: lowercase letters, digits, ".", "_" or "-"')
    .requiredOption('--role <role>', 'viewer (reads), operator (also acts), or admin (also manages users and tokens)')
    .option('--targets <names>', 'sees only these targets (comma-separated)')
    .option('--tags <tags>', 'sees only targets with one of these tags (comma-separated)')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the new user as JSON')
    .action(async (name: string, opts: { role: string; targets?: string; tags?: string; passwordStdin?: boolean; config: string; json?: boolean }) => {
      const cfg = config(opts.config);
      const password = await newPassword(opts, name);
      const scope = scopeFromOptions(opts);
      const user = await withAuthService(cfg, (a) => a.addUser(CLI, { name, role: opts.role as UserRecord['role'], ...(scope ? { scope } : {}), password }));
      const { passwordHash: _h, ...shown } = user;
      if (opts.json) process.stdout.write(JSON.stringify(shown, null, 2) + '\n');
      else process.stdout.write(`added user ${user.name} (${user.role}, sees ${describeScope(user.scope)})\n`);
    });
  users
    .command('passwd')
    .description("set a user's password (ends every session of the user)")
    .argument('<name>', 'login name')
    .option('--password-stdin', 'read the password from the first line of standard input')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .action(async (name: string, opts: { passwordStdin?: boolean; config: string }) => {
      const cfg = config(opts.config);
      // Asked only for a user who exists: nobody types a password twice for a typo.
      const exists = await withAuthService(cfg, async (a) => (await a.users()).some((u) => u.name === name));
      if (!exists) throw new UsageError(`no user named ${JSON.stringify(name.slice(0, 64))}; "mamoru users list" shows them`);
      const password = await newPassword(opts, name);
      await withAuthService(cfg, (a) => a.setPassword(CLI, name, password));
      process.stdout.write(`password of ${name} set; their sessions were ended\n`);
    });
  users
    .command('remove')
    .description('remove a user with their sessions and tokens')
    .argument('<name>', 'login name')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .action(async (name: string, opts: { config: string }) => {
      const removed = await withAuthService(config(opts.config), (a) => a.removeUser(CLI, name));
      if (!removed) throw new UsageError(`no user named ${JSON.stringify(name.slice(0, 64))}; "mamoru users list" shows them`);
      process.stdout.write(`removed user ${name} with their sessions and tokens\n`);
    });
}
