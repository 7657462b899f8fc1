/**
 * `mamoru doctor [-c FILE] [--json] [--user NAME]`: checks this machine and the config and
 * prints a checklist (✓ ✗ !) with what to fix for each ✗ (src/doctor/). Exit 0 without a ✗, 1
 * with one, 2 for bad usage. Nothing is sent anywhere the config does not name.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { formatReport, runDoctor } from '../doctor/run.ts';
import { account } from '../doctor/types.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

interface Options {
  config: string;
  json?: boolean;
  user?: string;
  timeout: string;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check this machine and the config (firewall, ICMP, logs, SSH keys, SMTP, webhooks, store, clock, port) and say what to fix')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .option('--json', 'print the findings as JSON')
    .option('--user <name>', 'try file access as this user, the one the service runs as (needs root)')
    .option('--timeout <seconds>', 'bound on each connection and program', '3')
    .action(async (o: Options) => {
      const seconds = Number(o.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 60) throw new UsageError(`--timeout "${o.timeout}": expected seconds from 0.1 to 60`);
      const timeoutMs = Math.round(seconds * 1000);
      let user;
      if (o.user !== undefined) {
        if (process.getuid?.() !== 0) throw new UsageError('--user needs root (files are tried as that user through setpriv)');
        if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(o.user)) throw new UsageError(`--user "${o.user.slice(0, 40)}": expected a user name`);
        user = await account(o.user, timeoutMs);
        if (!user) throw new UsageError(`--user ${o.user}: no such user; \`mamoru install-service --create-user\` creates it`);
      }
      const report = await runDoctor({ configFile: o.config, user, timeoutMs });
      process.stdout.write(o.json ? JSON.stringify(report, null, 2) + '\n' : formatReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
}
