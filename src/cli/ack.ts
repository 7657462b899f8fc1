/**
 * `mamoru ack <incident> [--comment TEXT] [--by NAME]`: take an open incident, through the running
 * daemon's API (the web room, loopback by default): no reminders or escalations until it recovers,
 * and the timeline says who took it.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../core/errors.ts';
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
      let base = opts.url;
      if (!base) {
        const { web } = loadConfigFile(opts.config).config;
        if (!web.enabled) throw new UsageError(`the web room is off in ${opts.config} (web.enabled: false); mamoru ack talks to the daemon through it`);
        const host = web.host === '0.0.0.0' ? '127.0.0.1' : web.host === '::' ? '[::1]' : web.host.includes(':') ? `[${web.host}]` : web.host;
        base = `http://${host}:${web.port}`;
      }
      const by = opts.by ?? userInfo().username;
      let res: Response;
      try {
        res = await fetch(new URL(`/api/incidents/${id}/ack`, base), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ by, comment: opts.comment }), signal: AbortSignal.timeout(10_000) });
      } catch (e) {
        throw new UsageError(`cannot reach the daemon at ${base}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}; is "mamoru start" running?`);
      }
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      if (!res.ok) throw new UsageError(body.error ?? `the daemon answered HTTP ${res.status}`);
      process.stdout.write(`incident #${id} acknowledged by ${by}\n`);
    });
}
