/**
 * `mamoru ack <incident> [--comment TEXT] [--by NAME]`: take an open incident, through the running
 * daemon's API (the web room, loopback by default): no reminders or escalations until it recovers,
 * and the timeline says who took it.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { callDaemon, daemonTarget } from './daemon-api.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerAck(program: Command): void {
  program
    .command('ack')
    .description('acknowledge an open incident (the running daemon is told through its API)')
    .argument('<id>', 'incident number (as in "#12" or "12")')
    .option('-c, --config <file>', 'the config file (names the web address)', DEFAULT_CONFIG_FILE)
    .option('--comment <text>', 'why, or what you are doing about it', '')
    .option('--by <name>', 'who takes it (default: your login name)')
    .option('--url <url>', "the daemon's web address, instead of web.host and web.port from the config")
    .action(async (idText: string, opts: { config: string; comment: string; by?: string; url?: string }) => {
      const id = idText.replace(/^#/, '');
      if (!/^\d+$/.test(id)) throw new UsageError(`"${idText}" is not an incident number; expected something like 12 or #12`);
      const by = opts.by ?? userInfo().username;
      await callDaemon(daemonTarget(opts.config, opts.url), `/api/incidents/${id}/ack`, { body: { by, comment: opts.comment } });
      process.stdout.write(`incident #${id} acknowledged by ${by}\n`);
    });
}
