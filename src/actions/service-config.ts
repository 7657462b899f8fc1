/**
 * What mamoru knows about one service on a target: how it is controlled (systemd, SysV init, or
 * the operator's own commands), which processes and ports are its, where its files are, and the
 * bounds of what may be done to it. Runbooks read it to look, actions to act. Every command is
 * an argv list from the config file, never text from an alert or a log.
 */
import { z } from 'zod';
import { absolutePath, duration, port } from '../core/schema.ts';

/** A command as a list: program, then each argument. */
const argv = (description: string) => z.array(z.string()).min(1, 'expected the program and its arguments as a list').meta({ description });

export const workerLimitSchema = z
  .strictObject({
    target: z.number().int().min(1).optional().meta({ description: 'raise the worker limit to this (default: double the current one)' }),
    maximum: z.number().int().min(1).default(1024).meta({ description: 'never raise the worker limit above this' }),
    memory_reserve_mb: z.number().int().min(0).default(256).meta({ description: 'memory kept free for everything else when bounding the limit by memory (MiB)' }),
    backup_dir: absolutePath('where config files are backed up before a change (outside the config tree, so no Include reads a backup); root alone may write it').default('/var/backups/mamoru').meta({ description: 'where config files are backed up before a change (outside the config tree, so no Include reads a backup)' }),
  })
  .prefault({});

export const attackSchema = z
  .strictObject({
    max_sources: z.number().int().min(1).default(3).meta({ description: 'at most this many addresses holding most connections is an attack, not a surge' }),
    share: z.number().gt(0).max(1).default(0.5).meta({ description: 'share of all connections those few addresses must hold' }),
    min_connections: z.number().int().min(1).default(10).meta({ description: 'connections each of them must hold (a browser opens about 6)' }),
    min_auth_failures: z.number().int().min(1).default(10).meta({ description: 'failed logins from one address within auth_window that make it an attacker' }),
    auth_window: duration('how far back the mail log is read for failed logins').prefault('15m'),
  })
  .prefault({});

export const serviceSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9@._+-]+$/, 'expected a unit or init script name (letters, digits and @._+- only)')
    .meta({ description: 'the unit (systemd) or init script (SysV) name: apache2, httpd, mysql, vsftpd' }),
  manager: z.enum(['auto', 'systemd', 'sysv', 'command']).default('auto').meta({ description: 'how the service is controlled; `command` uses start/stop/... below' }),
  init_dir: absolutePath('where SysV init scripts are').default('/etc/init.d'),
  processes: z.array(z.string().min(1)).optional().meta({ description: 'process names of the service (default: its name)' }),
  process_match: z.string().min(1).optional().meta({ description: "only processes whose command line contains this (one instance of several: its config file)" }),
  ports: z.array(port()).default([]).meta({ description: 'TCP ports the service listens on' }),
  udp_ports: z.array(port()).default([]).meta({ description: 'UDP ports the service listens on' }),
  start: argv('command that starts the service (manager `command`, or instead of the manager)').optional(),
  stop: argv('command that stops the service').optional(),
  restart: argv('command that restarts the service (default: stop, then start)').optional(),
  reload: argv('command that reloads its configuration (for Apache: a graceful restart)').optional(),
  status: argv('command whose exit code says whether it runs (LSB: 0 running, 3 stopped)').optional(),
  config_test: argv('command that tests the configuration (default for Apache: apache2ctl -t, apachectl -t, httpd -t)').optional(),
  start_detached: z.boolean().default(false).meta({ description: 'the start command stays in the foreground: run it detached (its own session, output discarded)' }),
  pid_file: absolutePath('pid file; a stale one (a small regular file holding the pid of a process that is gone) is removed before a start, as init scripts do').optional(),
  config_file: absolutePath('the main config file (Apache: what `-f` names), as an absolute path').optional(),
  server_root: absolutePath("Apache's ServerRoot when the config file does not set it").optional(),
  error_log: absolutePath('the error log to read (default: from the config, where mamoru can tell)').optional(),
  mail_log: absolutePath('the mail log with authentication failures (POP3, IMAP, SMTP)').optional(),
  url: z.string().url().optional().meta({ description: 'page that must answer after an action (default: http://ADDRESS:PORT/ for web services)' }),
  domain: z.string().optional().meta({ description: 'domain name the site is served under (the page is also opened by name)' }),
  page_timeout: duration('how long a page may take before it counts as not answering').prefault('10s'),
  start_timeout: duration('how long after a start or reload the service may take to listen and answer').prefault('30s'),
  command_timeout: duration('how long one control command (start, reload, config test) may run').prefault('60s'),
  mail_queue: argv('command that lists the mail queue (postqueue -p output)').default(['postqueue', '-p']),
  disk_paths: z.array(absolutePath('a filesystem the disk runbook looks into')).default([]).meta({ description: 'filesystems the disk runbook looks into (default: those in the alert, else /)' }),
  worker_limit: workerLimitSchema,
  attack: attackSchema,
});

export type ServiceConfig = z.output<typeof serviceSchema>;
export type ServiceConfigInput = z.input<typeof serviceSchema>;

/** Process names of the service. */
export const processNames = (s: ServiceConfig): string[] => s.processes ?? [s.name];

/** Apache by its usual names: what decides the graceful reload and the config test. */
export function isApache(s: ServiceConfig): boolean {
  return [s.name, ...(s.processes ?? [])].some((n) => /^(apache2?|httpd)$/.test(n));
}
