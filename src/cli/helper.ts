/**
 * `mamoru helper [-c FILE] [--socket PATH] [--group NAME]`: the root helper (src/helper/) the
 * daemon asks to start, stop, restart, reload, test or ask the status of a configured service on
 * a local target. Run by `mamoru-helper.service` as root; it stops on SIGTERM or SIGINT.
 */
import { execFile } from 'node:child_process';
import type { Command } from 'commander';
import { ConfigError, UsageError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import { PATHS } from '../service/needs.ts';
import { startHelper } from '../helper/server.ts';

export const DEFAULT_SOCKET = '/run/mamoru/helper.sock';

/** A group's id from its name (through NSS, as `getent` reads it) or a number. */
function groupId(group: string): Promise<number> {
  if (/^\d{1,9}$/.test(group)) return Promise.resolve(Number(group));
  if (!/^[a-z_][a-z0-9_-]{0,31}\$?$/i.test(group)) return Promise.reject(new UsageError(`--group "${group.slice(0, 40)}": expected a group name or number`));
  return new Promise((resolve, reject) => {
    execFile('getent', ['group', '--', group], { timeout: 10_000 }, (err, stdout) => {
      const gid = Number(String(stdout).split(':')[2]);
      if (err || !Number.isInteger(gid)) reject(new UsageError(`no group "${group}": the socket's group is the daemon's (create the user with \`mamoru install-service --create-user\`)`));
      else resolve(gid);
    });
  });
}

export function registerHelper(program: Command): void {
  program
    .command('helper')
    .description("the root helper: starts, stops, restarts, reloads, tests and asks the status of the config's local services for the daemon, over a unix socket")
    .option('-c, --config <file>', 'the config file (read by the helper itself)', PATHS.configFile)
    .option('--socket <path>', "the unix socket (its directory writable by root alone)", DEFAULT_SOCKET)
    .option('--group <name>', "the group that may connect: the daemon's", 'mamoru')
    .action(async (o: { config: string; socket: string; group: string }) => {
      const log = createLogger().child({ room: 'helper' });
      const gid = await groupId(o.group);
      const helper = await startHelper({ socket: o.socket, configFile: o.config, gid, log }).catch((e: Error & { code?: string }) => {
        if (e instanceof UsageError || e instanceof ConfigError) throw e;
        throw new UsageError(`cannot listen on ${o.socket}: ${e.code ?? e.message}${e.code === 'EPERM' ? ' (run as root)' : ''}`);
      });
      log.info({ socket: o.socket, group: o.group, config: o.config }, `mamoru helper listening on ${o.socket} (root and group ${o.group} may connect)`);
      await new Promise<void>((resolve) => {
        const stop = () => void helper.close().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      log.info('mamoru helper stopped');
    });
}
