/**
 * `mamoru notify test <contact>`: sends a test message through every channel of a contact, in the
 * contact's language, and says for each channel whether it arrived (exit 0) or why not (exit 1).
 * `mamoru notify list` shows the contacts and their channels.
 */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.ts';
import { systemClock } from '../core/clock.ts';
import { UsageError } from '../core/errors.ts';
import { createLogger } from '../core/log.ts';
import { secretsFrom, secretsFromEnv } from '../core/secrets.ts';
import { channelLabel, type ChannelConfig } from '../notify/contacts.ts';
import { Dispatcher } from '../notify/dispatch.ts';
import { DEFAULT_CONFIG_FILE } from './paths.ts';

export function registerNotify(program: Command): void {
  const notify = program.command('notify').description('check the notification contacts and channels');
  notify
    .command('test')
    .description("send a test message to a contact through each of its channels, in the contact's language")
    .argument('<contact>', 'contact name from the config')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .option('--attempts <n>', 'attempts per channel', (v) => Number(v), 1)
    .action(async (name: string, opts: { config: string; attempts: number }) => {
      const { config } = loadConfigFile(opts.config);
      if (!config.contacts.some((c) => c.name === name))
        throw new UsageError(`unknown contact "${name}" in ${opts.config}; known: ${config.contacts.map((c) => c.name).join(', ') || '(none: add one under "contacts:")'}`);
      // The daemon's secrets; for a name the config does not define, MAMORU_SECRET_<NAME> as in `mamoru check`.
      const fromFile = secretsFrom(config.secrets);
      const dispatcher = new Dispatcher({
        contacts: config.contacts,
        templates: config.templates,
        settleMs: 0,
        delivery: { attempts: opts.attempts, baseDelayMs: 1000 },
        secret: (s) => (s in config.secrets ? fromFile(s) : secretsFromEnv(s)),
        log: createLogger(process.env.MAMORU_LOG_LEVEL ?? 'warn'),
        clock: systemClock,
        target: () => undefined,
        record: async () => {},
      });
      const results = await dispatcher.test(name);
      await dispatcher.stop(0);
      let failed = 0;
      for (const r of results) {
        const last = r.record.attempts[r.record.attempts.length - 1];
        if (r.record.ok) process.stdout.write(`OK    ${name} by ${r.channel}${last?.detail ? `: ${last.detail}` : ''}\n`);
        else {
          failed++;
          process.stdout.write(`FAIL  ${name} by ${r.channel}: ${r.record.error}\n`);
        }
      }
      if (failed) process.exitCode = 1;
    });
  notify
    .command('list')
    .description('list the contacts, their language, what they watch and their channels')
    .option('-c, --config <file>', 'the config file', DEFAULT_CONFIG_FILE)
    .action((opts: { config: string }) => {
      const { config } = loadConfigFile(opts.config);
      if (config.contacts.length === 0) process.stdout.write('no contacts: add them under "contacts:" in the config\n');
      for (const c of config.contacts) {
        const scope = c.targets.length === 0 && c.tags.length === 0 ? 'every target' : [...c.targets, ...c.tags.map((t) => `tag:${t}`)].join(', ');
        process.stdout.write(`${c.name} (${c.language}${c.escalation_level ? `, from escalation level ${c.escalation_level}` : ''}): ${scope}; channels: ${c.channels.map((ch) => channelLabel(ch as ChannelConfig)).join(', ')}\n`);
      }
    });
}
