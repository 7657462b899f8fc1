/**
 * `mamoru bans [list|add|remove|flush] [--json]`: the guard's bans, in the store and in the
 * firewall the config names (root is needed to change the firewall). A ban added here is kept
 * like the jails' bans: re-applied at the next start, ended on time.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import type { BanRecord } from '../core/ban.ts';
import { parseDuration } from '../core/duration.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import { port as portSchema } from '../core/schema.ts';
import { allowListOf, createFirewall } from '../daemon-guard.ts';
import { formatCidr, parseCidr } from '../guard/address.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';
import { withStore } from './store.ts';

const when = (ms: number | undefined) => (ms === undefined ? 'no end' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'));

function line(b: BanRecord): string {
  const who = b.enrichment && typeof b.enrichment.country === 'string' ? ` [${b.enrichment.country}${typeof b.enrichment.owner === 'string' ? `, ${b.enrichment.owner}` : ''}]` : '';
  return `${b.address}${b.port ? ` port ${b.proto ?? 'tcp'}/${b.port}` : ''}  until ${when(b.until)}  jail ${b.jail}  ban #${b.banCount}${who}  ${b.reason}`;
}

export function registerBans(program: Command): void {
  const bans = program.command('bans').description('list, add, remove or flush the guard\'s bans (store and firewall)');
  const list = async (opts: { config: string; json?: boolean }) => {
    const { config } = loadConfigFile(opts.config);
    const now = Date.now();
    const active = await withStore(config, (s) => s.bans({ activeAt: now }));
    if (opts.json) process.stdout.write(JSON.stringify(active, null, 2) + '\n');
    else process.stdout.write(active.length ? active.map(line).join('\n') + '\n' : 'no bans\n');
  };
  // `mamoru bans` alone lists (a default subcommand, so `-c` always belongs to the subcommand).
  bans.command('list', { isDefault: true }).description('the bans in force (the default)').option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE).option('--json', 'print JSON').action((opts) => list(opts));
  bans
    .command('add')
    .description('ban an address or network by hand')
    .argument('<address>', 'IP address or network (CIDR)')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .option('--for <duration>', 'how long (e.g. 1h, 7d); without it the ban has no end')
    .option('--port <port>', 'only this port')
    .option('--udp', 'the port is UDP')
    .option('--reason <text>', 'why', 'added by hand')
    .action(async (addr: string, opts: { config: string; for?: string; port?: string; udp?: boolean; reason: string }) => {
      const cidr = parseCidr(addr);
      if (!cidr) throw new UsageError(`"${addr}" is not an IP address or network`);
      const address = formatCidr(cidr);
      const { config } = loadConfigFile(opts.config);
      let until: number | undefined;
      try {
        until = opts.for === undefined ? undefined : Date.now() + parseDuration(opts.for);
      } catch (e) {
        throw new UsageError(`--for: ${(e as Error).message}`);
      }
      const p = opts.port === undefined ? undefined : portSchema().safeParse(Number(opts.port));
      if (p && !p.success) throw new UsageError(`--port: expected a port number from 1 to 65535, got "${opts.port}"`);
      const port = p?.data;
      const why = allowListOf(config.guard).refusal(address);
      if (why) throw new UsageError(`not banning ${why}`);
      const fw = createFirewall(config.guard, createLogger('warn'));
      await fw.setup();
      await fw.ban({ address, until, port, proto: port === undefined ? undefined : opts.udp ? 'udp' : 'tcp' });
      await withStore(config, (s) => s.saveBan({ address, port, proto: port === undefined ? undefined : opts.udp ? 'udp' : 'tcp', jail: 'manual', reason: opts.reason, createdAt: Date.now(), until, banCount: 1 }));
      process.stdout.write(`banned ${address}${port ? ` port ${port}` : ''} until ${when(until)}\n`);
    });
  bans
    .command('remove')
    .description('lift every ban of an address or network')
    .argument('<address>', 'IP address or network (CIDR)')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .action(async (addr: string, opts: { config: string }) => {
      const cidr = parseCidr(addr);
      if (!cidr) throw new UsageError(`"${addr}" is not an IP address or network`);
      const address = formatCidr(cidr);
      const { config } = loadConfigFile(opts.config);
      await createFirewall(config.guard, createLogger('warn')).unban(address);
      const n = await withStore(config, (s) => s.removeBans(address));
      process.stdout.write(n ? `lifted ${n} ban${n === 1 ? '' : 's'} of ${address}\n` : `no stored ban of ${address} (removed from the firewall if it was there)\n`);
    });
  bans
    .command('flush')
    .description('lift every ban')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .action(async (opts: { config: string }) => {
      const { config } = loadConfigFile(opts.config);
      await createFirewall(config.guard, createLogger('warn')).flush();
      const n = await withStore(config, async (s) => {
        const all = await s.bans();
        for (const a of new Set(all.map((b) => b.address))) await s.removeBans(a);
        return all.length;
      });
      process.stdout.write(`lifted ${n} ban${n === 1 ? '' : 's'}\n`);
    });
}
