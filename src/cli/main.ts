/**
 * The `mamoru` command line: one file per command, wired here. Exit codes: 0 fine, 2 for bad
 * usage or configuration; `mamoru check` exits with the Nagios state (3 UNKNOWN on bad usage).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { ConfigError, UsageError } from '../core/errors.ts';

type Register = (program: Command) => void;

/**
 * Each command's module, loaded only when needed: `mamoru check` (a Nagios plugin, run thousands
 * of times) must not pay for loading the daemon, the store and every room. The whole list is
 * loaded for help and for unknown commands (commander then lists them all).
 */
const commands: Record<string, () => Promise<Register>> = {
  start: async () => (await import('./start.ts')).registerStart,
  poller: async () => (await import('./poller.ts')).registerPoller,
  check: async () => (await import('./check.ts')).registerCheck,
  config: async () => (await import('./config.ts')).registerConfig,
  explain: async () => (await import('./explain.ts')).registerExplain,
  logtest: async () => (await import('./logtest.ts')).registerLogtest,
  incidents: async () => (await import('./incidents.ts')).registerIncidents,
  notify: async () => (await import('./notify.ts')).registerNotify,
  ack: async () => (await import('./ack.ts')).registerAck,
  bans: async () => (await import('./bans.ts')).registerBans,
  ingest: async () => (await import('./ingest.ts')).registerIngest,
  approvals: async () => (await import('./approvals.ts')).registerApprovals,
  users: async () => (await import('./users.ts')).registerUsers,
  tokens: async () => (await import('./tokens.ts')).registerTokens,
  audit: async () => (await import('./audit.ts')).registerAudit,
  import: async () => (await import('./import.ts')).registerImport,
  'install-service': async () => (await import('./install-service.ts')).registerInstallService,
  doctor: async () => (await import('./doctor.ts')).registerDoctor,
  helper: async () => (await import('./helper.ts')).registerHelper,
  store: async () => (await import('./store.ts')).registerStore,
  agent: async () => (await import('./agent.ts')).registerAgent,
  agents: async () => (await import('./agent.ts')).registerAgents,
};
/** Commands registered by another command's module. */
const aliases: Record<string, string> = { incident: 'incidents', approve: 'approvals', deny: 'approvals' };

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; description: string };

/** The program with the commands `argv` needs (all of them when it names none we know). */
export async function buildProgram(argv: string[] = []): Promise<Command> {
  const program = new Command('mamoru')
    .description(`mamoru (守る, "to protect"): ${pkg.description}`)
    .version(pkg.version, '-V, --version', 'print the version')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  const name = argv[2] === undefined ? undefined : (aliases[argv[2]] ?? argv[2]);
  const wanted = name === '-V' || name === '--version' ? [] : name !== undefined && name in commands ? [name] : Object.keys(commands);
  for (const register of await Promise.all(wanted.map((n) => commands[n]!()))) register(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = await buildProgram(argv);
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

// Run as a script (`node dist/cli/main.js ...`, as a service unit may): the same as bin/mamoru.js
// without its freshness check. Imported (by bin/mamoru.js, by tests), it only exports.
const script = (() => {
  try {
    return process.argv[1] === undefined ? undefined : pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return undefined; // `node -e ... arg`: not a file
  }
})();
if (script === import.meta.url) await main(process.argv);
