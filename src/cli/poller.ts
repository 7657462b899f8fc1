/**
 * `mamoru poller --zone NAME`: run the checks of the targets that list this zone and publish
 * their results on the bus for the brain (daemon/poller.ts). Same config file as the brain.
 * SIGHUP reloads the config; SIGINT/SIGTERM stop after handing over what is queued.
 */
import type { Command } from 'commander';
import type { Poller } from '../daemon/poller.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerPoller(program: Command): void {
  program
    .command('poller')
    .description("run one zone's checks and publish their results on the bus (needs bus: { type: nats } in the config; the brain is mamoru start with the same file)")
    .requiredOption('--zone <zone>', 'the zone this poller stands in (targets list it in zones:)')
    .option('--name <name>', 'this poller among the zone\'s pollers (default: the host name)')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .action(async (opts: { zone: string; name?: string; config: string }) => {
      const { Poller: P } = await import('../daemon/poller.ts');
      let poller: Poller | undefined;
      let asked: string | undefined;
      const stop = (signal: string) => {
        if (!poller) {
          asked ??= signal;
          return;
        }
        const p = poller;
        p.log.info(`${signal}: stopping`);
        p.stop().then(
          () => process.exit(0),
          (err) => {
            p.log.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGHUP', () => poller?.reload());
      poller = await P.start({ configFile: opts.config, zone: opts.zone, name: opts.name });
      // The poller's timers are referenced: the process runs until a signal stops it.
      if (asked) stop(asked);
    });
}
