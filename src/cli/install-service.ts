/**
 * `mamoru install-service [--print] [--unit-dir DIR] [--user NAME] [--create-user] [--force]`:
 * writes the hardened systemd unit (src/service/unit.ts) for the config at /etc/mamoru/mamoru.yaml,
 * and the root helper's (src/service/helper-unit.ts) when the config has local services, or prints them. It does not start anything: the operator runs systemctl.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { PATHS } from '../service/needs.ts';
import { buildUnit, createSystemUser, writeUnit } from '../service/install.ts';

interface Options {
  config: string;
  print?: boolean;
  unitDir: string;
  user: string;
  createUser?: boolean;
  force?: boolean;
}

export function registerInstallService(program: Command): void {
  program
    .command('install-service')
    .description('write the systemd unit that runs mamoru as its own user with least privilege (--print shows it)')
    .option('-c, --config <file>', 'the config file the service runs with', PATHS.configFile)
    .option('--print', 'print the unit instead of writing it')
    .option('--unit-dir <dir>', 'where the unit is written', PATHS.unitDir)
    .option('--user <name>', 'the user the daemon runs as', 'mamoru')
    .option('--create-user', 'create that user (useradd --system) when it does not exist')
    .option('--force', 'replace a different mamoru.service that is already there')
    .action(async (o: Options) => {
      // The service starts in its state directory: a relative config path is made absolute here.
      const { text, helper, note } = buildUnit({ configFile: resolve(o.config), user: o.user, unitDir: o.unitDir });
      if (o.print) {
        // With local services, the root helper's unit follows (its first line names it).
        process.stdout.write(helper ? `${text}\n${helper}` : text);
        if (note) process.stderr.write(`mamoru: ${note}\n`);
        return;
      }
      if (o.createUser) {
        const how = await createSystemUser(o.user);
        process.stdout.write(how === 'created' ? `created system user ${o.user} (home ${PATHS.stateDir}, no login shell)\n` : `user ${o.user} already exists\n`);
      }
      for (const [unit, name] of [[text, 'mamoru.service'], ...(helper ? [[helper, 'mamoru-helper.service']] : [])] as [string, string][]) {
        const { path, changed } = writeUnit(o.unitDir, unit, o.force === true, name);
        process.stdout.write(changed ? `wrote ${path}\n` : `${path} is already this unit\n`);
      }
      if (note) process.stdout.write(`note: ${note}\n`);
      process.stdout.write(`next: systemctl daemon-reload && systemctl enable --now ${helper ? 'mamoru-helper mamoru' : 'mamoru'}\n`);
    });
}
