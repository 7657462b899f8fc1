/**
 * `mamoru start` (and `npm start`): run the daemon. With no config file, write one that watches
 * this machine first. SIGHUP reloads the config; SIGINT/SIGTERM stop cleanly.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import { defaultConfigText, discoverThisMachine } from '../config/discover.ts';
import { createLogger } from '../core/log.ts';
import { Daemon } from '../daemon.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run mamoru: checks, state, store and the web UI (writes a config for this machine when there is none)')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .addOption(new Option('--port <port>', 'serve the web UI on this port instead of web.port').argParser((v) => Number(v)))
    .action(async (opts: { config: string; port?: number }) => {
      const bootLog = createLogger();
      if (!existsSync(opts.config)) {
        const web = { host: '127.0.0.1', port: opts.port ?? 8484 };
        bootLog.info(`no config at ${opts.config}: looking at this machine to write one`);
        const found = await discoverThisMachine({ skipPorts: [web.port] });
        writeFileSync(opts.config, defaultConfigText(found, web), { flag: 'wx', mode: 0o640 });
        bootLog.info({ ports: found.ports.map((p) => `${p.port}${p.http ? '/http' : ''}`) }, `wrote ${opts.config}: ping, disk and ${found.ports.length} listening ports`);
      }
      const daemon = await Daemon.start({ configFile: opts.config, ...(opts.port !== undefined ? { webPort: opts.port } : {}) });
      process.on('SIGHUP', () => daemon.reload());
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) {
          daemon.log.warn(`${signal} again: exiting now`);
          process.exit(1);
        }
        stopping = true;
        daemon.log.info(`${signal}: stopping`);
        daemon.stop().then(
          () => process.exit(0),
          (err) => {
            daemon.log.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
    });
}
