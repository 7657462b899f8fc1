/**
 * The lab's daemons described as mamoru's service config, the way an operator would write it
 * for a server whose daemons are started by their own commands (manager `command`): the same
 * argv the lab uses to start each one, run over SSH inside the server namespace. Shared by the
 * action and runbook tests.
 */
import { join } from 'node:path';
import { serviceSchema, type ServiceConfig, type ServiceConfigInput } from '../../src/actions/service-config.ts';
import type { LabApache } from '../lab/daemons/apache.ts';
import type { LabMariadb } from '../lab/daemons/mariadb.ts';
import type { LabVsftpd } from '../lab/daemons/vsftpd.ts';
import type { Lab } from '../lab/network.ts';

const regexEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Apache as the lab starts it: `apache2 -f CONF -k start|stop|graceful`, `-t`, under Debian's envvars. */
export function apacheService(lab: Lab, apache: LabApache, over: Partial<ServiceConfigInput> = {}): ServiceConfig {
  return serviceSchema.parse(apacheServiceInput(lab, apache, over));
}

/** The same as the operator writes it in the config (before defaults are filled in). */
export function apacheServiceInput(lab: Lab, apache: LabApache, over: Partial<ServiceConfigInput> = {}): ServiceConfigInput {
  const env = Object.entries(apache.env)
    .filter(([k]) => k.startsWith('APACHE_'))
    .map(([k, v]) => `${k}=${v}`);
  const ctl = (...args: string[]) => ['env', ...env, 'apache2', '-f', apache.configFile, ...args];
  return {
    name: 'apache2',
    manager: 'command',
    processes: ['apache2'],
    process_match: apache.configFile,
    ports: [apache.port],
    start: ctl('-k', 'start'),
    stop: ctl('-k', 'stop'),
    reload: ctl('-k', 'graceful'),
    config_test: ctl('-t'),
    pid_file: apache.pidFile,
    config_file: apache.configFile,
    error_log: apache.errorLog,
    page_timeout: '3s',
    start_timeout: '15s',
    ...over,
    worker_limit: { backup_dir: join(lab.dir, 'backups'), ...over.worker_limit },
  };
}

/** MariaDB as the lab starts it: mariadbd in the foreground on its own datadir, detached by mamoru. */
export function mariadbService(lab: Lab, db: LabMariadb, over: Partial<ServiceConfigInput> = {}): ServiceConfig {
  const dir = join(lab.dir, 'mariadb');
  const datadir = join(dir, 'data');
  return serviceSchema.parse({
    name: 'mariadb',
    manager: 'command',
    processes: ['mariadbd'],
    process_match: `--datadir=${datadir}`,
    ports: [db.port],
    start: [
      'mariadbd',
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${db.socket}`,
      `--pid-file=${join(dir, 'mysqld.pid')}`,
      `--log-error=${db.logFile}`,
      `--port=${db.port}`,
      `--bind-address=${lab.server.ip}`,
      '--user=root',
      '--skip-name-resolve',
      '--innodb-buffer-pool-size=16M',
      '--max-connections=50',
    ],
    start_detached: true,
    stop: ['pkill', '-TERM', '-f', `^mariadbd --no-defaults --datadir=${regexEscape(datadir)} `],
    error_log: db.logFile,
    page_timeout: '3s',
    start_timeout: '30s',
    ...over,
  });
}

/** vsftpd as the lab starts it: `vsftpd CONF` in the foreground (background=NO), detached by mamoru. */
export function vsftpdService(lab: Lab, ftp: LabVsftpd, over: Partial<ServiceConfigInput> = {}): ServiceConfig {
  const conf = join(lab.dir, 'vsftpd', 'vsftpd.conf');
  return serviceSchema.parse({
    name: 'vsftpd',
    manager: 'command',
    processes: ['vsftpd'],
    process_match: conf,
    ports: [ftp.port],
    start: ['vsftpd', conf],
    start_detached: true,
    // Anchored: the remote `timeout` wrapper's own command line holds the pattern too.
    stop: ['pkill', '-TERM', '-f', `^vsftpd ${regexEscape(conf)}$`],
    error_log: ftp.logFile,
    page_timeout: '3s',
    start_timeout: '15s',
    ...over,
  });
}
