/**
 * The `mamoru` command line: one file per command, wired here. Exit codes: 0 fine, 2 for bad
 * usage or configuration; `mamoru check` exits with the Nagios state (3 UNKNOWN on bad usage).
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, UsageError } from '../core/errors.ts';
import { registerCheck } from './check.ts';
import { registerConfig } from './config.ts';
import { registerExplain } from './explain.ts';
import { registerLogtest } from './logtest.ts';
import { registerStart } from './start.ts';
import { registerIncidents } from './incidents.ts';
import { registerNotify } from './notify.ts';
import { registerAck } from './ack.ts';
import { registerBans } from './bans.ts';
import { registerIngest } from './ingest.ts';
import { registerApprovals } from './approvals.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

export function buildProgram(): Command {
  const program = new Command('mamoru')
    .description(`mamoru (守る, "to protect"): ${pkg.description}`)
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerStart(program);
  registerCheck(program);
  registerConfig(program);
  registerExplain(program);
  registerLogtest(program);
  registerIncidents(program);
  registerNotify(program);
  registerAck(program);
  registerBans(program);
  registerIngest(program);
  registerApprovals(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') process.exit(0);
      // Inside `mamoru check`, a usage problem is the plugin's UNKNOWN (already printed).
      process.exit(argv[2] === 'check' ? 3 : 2);
    }
    if (e instanceof ConfigError || e instanceof UsageError) {
      process.stderr.write(`mamoru: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
}
