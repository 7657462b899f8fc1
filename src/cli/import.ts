/**
 * `mamoru import fail2ban <jail.local|dir>` and `mamoru import nagios <objects.cfg|dir>...`:
 * another program's config as a mamoru config that validates, printed (or written with -o),
 * with what could not be carried over listed on stderr and as a comment block at its top.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { formatNotes, renderConfig } from '../import/common.ts';
import { importFail2ban } from '../import/fail2ban.ts';
import { importNagios } from '../import/nagios.ts';

interface OutputOptions {
  output?: string;
  force?: boolean;
}

/** Prints or writes the config; a file that exists is kept unless --force. */
function emit(text: string, opts: OutputOptions): void {
  if (opts.output === undefined || opts.output === '-') {
    process.stdout.write(text);
    return;
  }
  try {
    writeFileSync(opts.output, text, { flag: opts.force ? 'w' : 'wx', mode: 0o640 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new UsageError(`${opts.output} exists; add --force to replace it`);
    throw new UsageError(`cannot write ${opts.output}: ${(e as Error).message}`);
  }
  process.stderr.write(`wrote ${opts.output}\n`);
}

export function registerImport(program: Command): void {
  const cmd = program.command('import').description('turn another program\'s config into a mamoru config (fail2ban jails, Nagios/Icinga objects)');
  cmd
    .command('fail2ban')
    .argument('<path>', "fail2ban's folder (/etc/fail2ban) or its jail.local / jail.conf")
    .description("fail2ban's enabled jails as mamoru guard jails (read as fail2ban reads them: jail.conf, jail.d/*.conf, jail.local, jail.d/*.local)")
    .option('-o, --output <file>', 'write the config here instead of printing it')
    .option('--force', 'replace the -o file if it exists')
    .action((path: string, opts: OutputOptions) => {
      const r = importFail2ban(path);
      const header = [
        `Imported by "mamoru import fail2ban" from ${r.files.length} file${r.files.length === 1 ? '' : 's'}: ${r.files.join(', ')}`,
        `Enabled jails: ${r.enabled.join(', ') || 'none'}; carried over: ${r.mapped.join(', ') || 'none'}.`,
      ];
      emit(renderConfig(r.config, header, r.notes), opts);
      process.stderr.write(`fail2ban: ${r.mapped.length} of ${r.enabled.length} enabled jails carried over; ${formatNotes(r.notes)}`);
    });
  cmd
    .command('nagios')
    .argument('<paths...>', 'object files (*.cfg), folders of them, or nagios.cfg (its cfg_file/cfg_dir are followed)')
    .description('Nagios / Icinga 1 object definitions (hosts, groups, services, commands, contacts, templates) as mamoru targets, checks and contacts')
    .option('-o, --output <file>', 'write the config here instead of printing it')
    .option('--force', 'replace the -o file if it exists')
    .action((paths: string[], opts: OutputOptions) => {
      const r = importNagios(paths);
      const header = [
        `Imported by "mamoru import nagios" from ${r.files.length} file${r.files.length === 1 ? '' : 's'}.`,
        `${r.targets} targets, ${r.checks} checks (${r.native} native, ${r.plugins} run as nagios-plugin), ${r.contacts} contacts.`,
      ];
      emit(renderConfig(r.config, header, r.notes), opts);
      process.stderr.write(`nagios: ${r.targets} targets, ${r.checks} checks (${r.native} native, ${r.plugins} nagios-plugin), ${r.contacts} contacts; ${formatNotes(r.notes)}`);
    });
}
