/**
 * `mamoru ingest nagios`: a notification command for Nagios or Icinga. It reads the standard
 * macros from the environment (NAGIOS_HOSTNAME, NAGIOS_SERVICEDESC, NAGIOS_SERVICESTATE,
 * NAGIOS_SERVICEOUTPUT, NAGIOS_NOTIFICATIONTYPE, the HOST* ones for host alerts, or the same with
 * ICINGA_), or flags, and hands the alert to the running daemon, which opens or resolves the
 * incident and starts the runbook. The token comes from MAMORU_INGEST_TOKEN or --token-file.
 *
 *   define command { command_name notify-mamoru  command_line /usr/bin/mamoru ingest nagios }
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { fromEnvironment, fromNagiosJson, IngestError } from '../incidents/ingest.ts';
import { callDaemon, daemonTarget } from './daemon-api.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerIngest(program: Command): void {
  program
    .command('ingest')
    .description('hand an alert from Nagios or Icinga (a notification command) to the running daemon')
    .argument('<source>', 'nagios or icinga')
    .option('-c, --config <file>', 'the config file (names the web address)', DEFAULT_CONFIG_FILE)
    .option('--url <url>', "the daemon's web address, instead of web.host and web.port from the config")
    .option('--token-file <file>', 'file holding the ingest token (default: $MAMORU_INGEST_TOKEN)')
    .option('--host <name>', 'host name (default: $NAGIOS_HOSTNAME)')
    .option('--service <description>', 'service description (default: $NAGIOS_SERVICEDESC)')
    .option('--state <state>', 'OK, WARNING, CRITICAL, UNKNOWN, UP, DOWN (default: $NAGIOS_SERVICESTATE or $NAGIOS_HOSTSTATE)')
    .option('--output <text>', 'the plugin output (default: $NAGIOS_SERVICEOUTPUT or $NAGIOS_HOSTOUTPUT)')
    .option('--type <type>', 'PROBLEM, RECOVERY... (default: $NAGIOS_NOTIFICATIONTYPE)')
    .action(async (source: string, opts: { config: string; url?: string; tokenFile?: string; host?: string; service?: string; state?: string; output?: string; type?: string }) => {
      if (source !== 'nagios' && source !== 'icinga') throw new UsageError(`unknown source "${source}"; expected nagios or icinga (Alertmanager posts to /api/ingest/alertmanager itself)`);
      const env = fromEnvironment(process.env);
      let alert;
      try {
        alert = fromNagiosJson({ host: opts.host ?? env.host, service: opts.service ?? env.service, state: opts.state ?? env.state, output: opts.output ?? env.text, type: opts.type ?? env.type, check_command: env.command }, source);
      } catch (e) {
        if (e instanceof IngestError) throw new UsageError(`${e.message}: run as a notification command (NAGIOS_* or ICINGA_* macros in the environment) or give --host and --state`);
        throw e;
      }
      const token = opts.tokenFile ? readFileSync(opts.tokenFile, 'utf8').trim() : process.env.MAMORU_INGEST_TOKEN;
      if (!token) throw new UsageError('no ingest token: set MAMORU_INGEST_TOKEN or give --token-file');
      const body = await callDaemon<{ incidents?: number[] }>(daemonTarget(opts.config, opts.url), `/api/ingest/${source}`, {
        token,
        tokenHint: 'missing or wrong ingest token (MAMORU_INGEST_TOKEN, --token-file): it must be the secret ingest.token_secret names, or a token made with "mamoru tokens create NAME --role ingest"',
        body: { host: alert.host, service: alert.service, state: alert.state, output: alert.text, type: alert.type, check_command: alert.command },
      });
      process.stdout.write(body.incidents?.length ? `incident #${body.incidents.join(', #')}\n` : 'taken (no incident)\n');
    });
}
