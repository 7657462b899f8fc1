/**
 * `mamoru approvals`, `mamoru approve <id>`, `mamoru deny <id>`: the actions the guard policy
 * holds for a person (mode `ask`, e.g. raising Apache's worker limit), answered through the
 * running daemon. Unanswered ones expire and are not carried out.
 */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import type { ApprovalView } from '../web/types.ts';
import { callDaemon, daemonTarget } from './daemon-api.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerApprovals(program: Command): void {
  program
    .command('approvals')
    .description('actions waiting for your approval')
    .option('-c, --config <file>', 'the config file (names the web address)', DEFAULT_CONFIG_FILE)
    .option('--url <url>', "the daemon's web address")
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; url?: string; json?: boolean }) => {
      const list = await callDaemon<ApprovalView[]>(daemonTarget(opts.config, opts.url), '/api/approvals');
      if (opts.json) process.stdout.write(JSON.stringify(list, null, 2) + '\n');
      else process.stdout.write(list.length ? list.map((a) => `${a.id}  ${a.target}/${a.service}  ${a.action}: ${a.text}  (expires ${a.expires_at})`).join('\n') + '\n' : 'nothing waits for approval\n');
    });
  for (const [name, verb] of [['approve', 'approved'], ['deny', 'denied']] as const)
    program
      .command(name)
      .description(`${name} an action waiting for approval`)
      .argument('<id>', 'the id "mamoru approvals" shows')
      .option('-c, --config <file>', 'the config file (names the web address)', DEFAULT_CONFIG_FILE)
      .option('--url <url>', "the daemon's web address")
      .option('--by <name>', 'who decides (default: your login name)')
      .action(async (id: string, opts: { config: string; url?: string; by?: string }) => {
        const by = opts.by ?? userInfo().username;
        await callDaemon(daemonTarget(opts.config, opts.url), `/api/approvals/${encodeURIComponent(id)}/${name}`, { body: { by } });
        process.stdout.write(`${id} ${verb} by ${by}\n`);
      });
}
