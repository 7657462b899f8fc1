/** `mamoru config validate [FILE]` and `mamoru config schema`: check a config, or print its JSON Schema. */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { configJsonSchema } from '../config/schema.ts';
import { planChecks } from '../config/checks.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('check the configuration, or print its JSON Schema');
  config
    .command('validate')
    .description('check a config file and report every problem at once (exit 2 when there are any)')
    .argument('[file]', 'the config file', DEFAULT_CONFIG_FILE)
    .action((file: string) => {
      const { config: cfg } = loadConfigFile(file);
      const checks = planChecks(cfg);
      process.stdout.write(`${file}: OK (${cfg.targets.length} target${cfg.targets.length === 1 ? '' : 's'}, ${checks.length} check${checks.length === 1 ? '' : 's'})\n`);
    });
  config
    .command('schema')
    .description('print the JSON Schema of the config file (for editor completion and checking)')
    .action(() => {
      process.stdout.write(JSON.stringify(configJsonSchema(), null, 2) + '\n');
    });
}
