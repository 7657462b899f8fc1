/**
 * `mamoru incidents [--open] [--json]` and `mamoru incident <id> [--json]`: read incidents and
 * their timelines from the store the config names (safe while the daemon runs: SQLite in WAL
 * mode lets readers in).
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { UsageError } from '../core/errors.ts';
import { incidentLine, incidentReport } from '../incidents/format.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';
import { withStore } from './store.ts';

export function registerIncidents(program: Command): void {
  program
    .command('incidents')
    .description('list incidents, newest first')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--open', 'only open incidents')
    .option('--limit <n>', 'at most this many', (v) => Number(v), 50)
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; open?: boolean; limit: number; json?: boolean }) => {
      if (!Number.isInteger(opts.limit) || opts.limit < 1) throw new UsageError('--limit expects a whole number above 0');
      const list = await withStore(loadConfigFile(opts.config).config, (s) => s.incidents({ ...(opts.open ? { status: 'open' as const } : {}), limit: opts.limit }));
      if (opts.json) {
        process.stdout.write(JSON.stringify(list, null, 2) + '\n');
        return;
      }
      if (list.length === 0) {
        process.stdout.write(opts.open ? 'no open incidents\n' : 'no incidents\n');
        return;
      }
      const now = Date.now();
      process.stdout.write(list.map((i) => incidentLine(i, now)).join('\n') + '\n');
    });
  program
    .command('incident')
    .description('show one incident and its timeline')
    .argument('<id>', 'incident number (as in "#12" or "12")')
    .option('-c, --config <file>', 'the config file (names the store)', DEFAULT_CONFIG_FILE)
    .option('--json', 'print JSON')
    .action(async (idText: string, opts: { config: string; json?: boolean }) => {
      const id = Number(idText.replace(/^#/, ''));
      if (!Number.isInteger(id) || id < 1) throw new UsageError(`"${idText}" is not an incident number; expected something like 12 or #12`);
      const found = await withStore(loadConfigFile(opts.config).config, async (s) => {
        const inc = await s.incident(id);
        return inc ? { inc, events: await s.incidentEvents(id) } : undefined;
      });
      if (!found) throw new UsageError(`no incident #${id}; "mamoru incidents" lists them`);
      if (opts.json) process.stdout.write(JSON.stringify({ ...found.inc, timeline: found.events }, null, 2) + '\n');
      else process.stdout.write(incidentReport(found.inc, found.events, Date.now()));
    });
}
