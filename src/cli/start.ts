/**
 * `mamoru start` (and `npm start`): run the daemon. With no config file, write one that watches
 * this machine first. SIGHUP reloads the config; SIGINT/SIGTERM stop cleanly.
 */
import { existsSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Option } from 'commander';
import type { Daemon } from '../daemon.ts';
import { restoreEarly, storeDirOf } from '../firewall/restore-early.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run mamoru: checks, state, store and the web UI (writes a config for this machine when there is none)')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .addOption(new Option('--port <port>', 'serve the web UI on this port instead of web.port').argParser((v) => Number(v)))
    .action(async (opts: { config: string; port?: number }) => {
      // The stored bans go back into the kernel first, from a few small modules, while the rest
      // of mamoru (the daemon, loaded below) is not loaded yet: the fork of nft is cheap now, and
      // the kernel holds them within a fraction of a second of the spawn (firewall/restore-early.ts).
      const early = existsSync(opts.config) ? restoreEarly(opts.config) : undefined;
      if (!existsSync(opts.config)) {
        const [{ createLogger }, { defaultConfigText, discoverThisMachine }] = await Promise.all([import('../core/log.ts'), import('../config/discover.ts')]);
        const bootLog = createLogger();
        const web = { host: '127.0.0.1', port: opts.port ?? 8484 };
        bootLog.info(`no config at ${opts.config}: looking at this machine to write one`);
        const found = await discoverThisMachine({ skipPorts: [web.port] });
        writeFileSync(opts.config, defaultConfigText(found, web), { flag: 'wx', mode: 0o640 });
        bootLog.info({ ports: found.ports.map((p) => `${p.port}${p.http ? '/http' : ''}`) }, `wrote ${opts.config}: ping, disk and ${found.ports.length} listening ports`);
      }
      // The first admin's password goes to a terminal only: a redirected stdout is a log file.
      const tty = process.stdout.isTTY ? process.stdout : process.stderr.isTTY ? process.stderr : undefined;
      // Signals are taken from the first instant: one that arrives while the daemon is still
      // starting stops it as soon as it has started (a kill during start-up is a clean stop too).
      let daemon: Daemon | undefined;
      let asked: string | undefined;
      let stopping = false;
      // A brain standing by for the lead (bus: nats) has not started: a signal ends the wait.
      const standby = new AbortController();
      const stop = (signal: string) => {
        if (!daemon) {
          asked ??= signal;
          standby.abort();
          return;
        }
        const d = daemon;
        if (stopping) {
          d.log.warn(`${signal} again: exiting now`);
          process.exit(1);
        }
        stopping = true;
        d.log.info(`${signal}: stopping`);
        d.stop().then(
          () => process.exit(0),
          (err) => {
            d.log.error({ err }, 'error while stopping');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', () => stop('SIGINT'));
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGHUP', () => daemon?.reload());
      const { Daemon } = await import('../daemon.ts');
      const started = Daemon.start({
        configFile: opts.config,
        signal: standby.signal,
        // The lead lost (another brain took it, or the bus went away): stop, and exit 75 so the
        // service manager starts this brain again, standing by.
        onLeadLost: () => void daemon?.stop().finally(() => process.exit(75)),
        ...(early ? { early } : {}),
        configCacheDir: storeDirOf(opts.config),
        ...(opts.port !== undefined ? { webPort: opts.port } : {}),
        ...(tty ? { announce: (text: string) => void tty.write(`\n${text}\n`) } : {}),
      });
      try {
        daemon = await started;
      } catch (e) {
        // Stopped while standing by: a clean stop.
        if (asked && standby.signal.aborted) process.exit(0);
        throw e;
      }
      if (asked) stop(asked);
    });
}
