/**
 * Which runbook answers which alert, and what each runbook does, in words. The steps are the
 * field runbook's (`shared/docs/field-runbook.md`), said as mamoru carries them out; they are what
 * `mamoru explain` prints and what an incident shows before the runbook has run. The runbooks
 * themselves live in `src/runbooks/`.
 */
import type { AlertKind, RunbookName, Service } from './types.ts';

/** Each runbook's steps, in order. */
export const runbookSteps = {
  'host-unreachable': [
    'Ping the host again from the monitor',
    'Ping it from the other probe locations (zones), where there are any, so trouble near the monitor is not reported as the server being down',
    "For a cloud instance: link the provider's console and read the instance state where an API is configured",
    "Keep the host's service alerts in this one incident while it is down",
  ],
  'http-down': [
    'Open the page by IP (http://IP/, https://IP/) and by domain name',
    'Is the web port (80/443) listening?',
    "Is Apache's master process running?",
    'Apache not running: start it (systemd, SysV init or the configured command), then check that the page answers',
    'Apache running: compare running workers with the worker limit (MaxRequestWorkers, MaxClients) and read recent error-log lines',
  ],
  'http-slow': [
    'Open the page by IP and by domain name and time it',
    'Count running workers against the worker limit (MaxRequestWorkers, or MaxClients on Apache 2.2), across Included files',
    'Look for "AH00161: server reached MaxRequestWorkers setting" in the error log',
    'See who holds the workers: many distinct clients is a surge, a few sources holding many slow connections is an attack',
    'Surge: raise the limit one step (256 to 512) after backing up the config, test it (apachectl -t), reload gracefully only if the test passed, then verify',
    'Attack: do not raise the limit (it would only feed the attack); hand the sources to the guard as attack evidence',
    'Failed config test or reload: restore the backup, leave Apache running as it was, escalate to a person',
  ],
  'mysql-down': [
    'Is port 3306 listening?',
    'Is mysqld running?',
    'Not running: start it (/etc/init.d/mysql start, or systemd), then check that it answers',
  ],
  'ftp-down': [
    'Connect to the FTP port and read the greeting',
    'Is port 21 listening?',
    'Is vsftpd running?',
    'Not running: start vsftpd, then check the greeting again',
  ],
  'pop3-slow': [
    'Connect to port 110 and time the +OK greeting',
    'Count SYN_RECV connections on :110 per remote address',
    'Count authentication failures per source address in the mail log',
    'Look up who and where the busiest sources are (network owner, country)',
    'Many from one address: record it as attack evidence for the guard (block it on port 110)',
  ],
  'mail-queue': [
    'Read the size of the mail queue',
    'List the top senders in the queue',
    'List the deferral reasons (why mail is not leaving)',
  ],
  'snmp-agent-error': [
    'Is the SNMP agent process (snmpd) running?',
    'Is UDP port 161 open?',
    'Not running: start snmpd, then read the agent again',
  ],
  'disk-full': [
    'Find the largest directories on the full filesystem',
    'Find deleted files still held open by processes',
    'Find the directories holding the most inodes',
  ],
  'service-down': [
    "Connect to the service's port",
    'Is the port listening?',
    "Is the service's process running?",
    'Read recent lines of its error log',
    'Not running: start it, then check that it answers',
  ],
} as const satisfies Record<RunbookName, readonly string[]>;

/** One row of the choice: these kinds, for these services (any service when absent), run this runbook. */
export interface RunbookChoice {
  kinds: readonly AlertKind[];
  services?: readonly Service[];
  runbook: RunbookName;
}

const down = ['service-refused', 'service-timeout', 'service-slow'] as const;

/**
 * Kind and service to runbook; the first row that fits wins. A timeout is the field runbook's
 * slow-service case ("takes longer than x s to answer"). A service without a runbook of its own
 * gets the generic service runbook. `ok` and `unknown` have none.
 */
export const runbookChoices: readonly RunbookChoice[] = [
  { kinds: ['host-unreachable'], runbook: 'host-unreachable' },
  { kinds: ['mail-queue'], runbook: 'mail-queue' },
  { kinds: ['snmp-agent-error'], runbook: 'snmp-agent-error' },
  { kinds: ['disk-full'], runbook: 'disk-full' },
  { kinds: ['service-refused'], services: ['http'], runbook: 'http-down' },
  { kinds: ['service-timeout', 'service-slow'], services: ['http'], runbook: 'http-slow' },
  { kinds: down, services: ['mysql'], runbook: 'mysql-down' },
  { kinds: down, services: ['ftp'], runbook: 'ftp-down' },
  { kinds: ['service-timeout', 'service-slow'], services: ['pop3'], runbook: 'pop3-slow' },
  // An SNMP agent that is not there (its process gone, nothing on UDP 161) is the agent runbook's.
  { kinds: ['service-refused', 'service-timeout'], services: ['snmp'], runbook: 'snmp-agent-error' },
  { kinds: down, runbook: 'service-down' },
];

export function chooseRunbook(kind: AlertKind, service: Service | null): RunbookName | null {
  const row = runbookChoices.find((r) => r.kinds.includes(kind) && (!r.services || (service !== null && r.services.includes(service))));
  return row?.runbook ?? null;
}
