/**
 * Which service an alert concerns, from what tells it: mamoru's probe type; the plugin's own
 * prefix (`HTTP CRITICAL`, `POP WARNING`); the service description or check command an operator
 * gave (`Web`, `check_pop`, `Mail Queue`); a well-known port in the text (`port 110`); a process
 * or daemon name (`command name 'apache2'`). Tables, not code: a new word is one line.
 */
import type { ProbeType } from '../probes/index.ts';
import type { Service } from './types.ts';

/**
 * mamoru's probe types. `null`: the probe says nothing about a service by itself (ping is the
 * host; tcp, process and nagios-plugin are told by their text). Keys are checked against the
 * probe registry; a probe not listed is judged by its text.
 */
export const serviceOfProbe = {
  http: 'http',
  pop3: 'pop3',
  imap: 'imap',
  ftp: 'ftp',
  smtp: 'smtp',
  mailq: 'smtp',
  mysql: 'mysql',
  snmp: 'snmp',
  disk: 'disk',
  'disk-snmp': 'disk',
  dns: 'dns',
  ping: null,
  tcp: null,
  process: null,
  'nagios-plugin': null,
} as const satisfies Partial<Record<ProbeType, Service | null>>;

/** Probe types that are host checks: any problem they report means the host cannot be reached. */
export const hostProbes: readonly string[] = ['ping'];

/** Words naming a service in hints (service descriptions, check commands), daemon and process names. */
const serviceWords: Record<string, Service> = {
  http: 'http', https: 'http', web: 'http', www: 'http', apache: 'http', apache2: 'http', httpd: 'http', nginx: 'http', lighttpd: 'http', curl: 'http',
  pop: 'pop3', pop3: 'pop3', pop3s: 'pop3', spop: 'pop3',
  imap: 'imap', imaps: 'imap', simap: 'imap',
  ftp: 'ftp', ftps: 'ftp', vsftpd: 'ftp', proftpd: 'ftp', 'pure-ftpd': 'ftp',
  smtp: 'smtp', smtps: 'smtp', ssmtp: 'smtp', submission: 'smtp', postfix: 'smtp', sendmail: 'smtp', exim: 'smtp', exim4: 'smtp', mailq: 'smtp', mail: 'smtp', qmail: 'smtp',
  mysql: 'mysql', mysqld: 'mysql', mariadb: 'mysql', mariadbd: 'mysql', mysqld_safe: 'mysql',
  ssh: 'ssh', sshd: 'ssh',
  snmp: 'snmp', snmpd: 'snmp', snmpget: 'snmp', snmpbulkget: 'snmp', snmpwalk: 'snmp', snmpbulkwalk: 'snmp',
  disk: 'disk', df: 'disk', filesystem: 'disk', storage: 'disk',
  dns: 'dns', dig: 'dns', named: 'dns', bind: 'dns', bind9: 'dns', dnsmasq: 'dns', unbound: 'dns',
};

/** Well-known ports (the plugins' defaults and the usual TLS variants). */
const servicePorts: Record<number, Service> = {
  80: 'http', 443: 'http', 8080: 'http', 8443: 'http',
  110: 'pop3', 995: 'pop3',
  143: 'imap', 993: 'imap',
  21: 'ftp', 990: 'ftp',
  25: 'smtp', 465: 'smtp', 587: 'smtp',
  3306: 'mysql',
  22: 'ssh',
  161: 'snmp',
  53: 'dns',
};

/** The first word of the list (split at anything but letters, digits, `_` and `-`) that names a service. */
export function serviceFromWords(text: string | undefined): Service | undefined {
  if (!text) return undefined;
  for (const word of text.toLowerCase().split(/[^a-z0-9_-]+/)) {
    // check_http, check-pop: the part after the plugin family's prefix.
    const bare = word.replace(/^check[_-]/, '');
    const s = serviceWords[bare] ?? serviceWords[word];
    if (s) return s;
  }
  return undefined;
}

/** Ways a port appears in plugin and tool output: `port 110`, `10.0.0.5:161`, `[::1]:25`, dig's `10.0.0.5#53`. */
const PORT_PATTERNS = [/\bport (\d{1,5})\b/i, /\b(?:\d{1,3}\.){3}\d{1,3}(?::|#)(\d{1,5})\b/, /\]:(\d{1,5})\b/];

export function serviceFromPort(text: string): Service | undefined {
  for (const re of PORT_PATTERNS) {
    const m = re.exec(text);
    const s = m ? servicePorts[Number(m[1])] : undefined;
    if (s) return s;
  }
  return undefined;
}

/** The plugin's own name at the start of its output: `HTTP CRITICAL`, `POP WARNING`, `SNMP problem`. */
const PREFIX = /^\s*([A-Za-z][A-Za-z0-9]*)\s+(?:OK|WARNING|CRITICAL|UNKNOWN|problem)\b/;

/** Plugin prefixes that are not service words (check_mysql_query says `QUERY CRITICAL`). */
const prefixWords: Record<string, Service> = { query: 'mysql' };

/** The service the plugin names itself by (`HTTP CRITICAL`, `POP WARNING`, `QUERY CRITICAL`). */
export function serviceFromPrefix(text: string): Service | undefined {
  const prefix = PREFIX.exec(text)?.[1]?.toLowerCase();
  return prefix ? (serviceWords[prefix] ?? prefixWords[prefix]) : undefined;
}

/**
 * What the rest of the text tells: MySQL's and net-snmp's own words, a well-known port, a process
 * or daemon named in quotes (check_procs' `command name 'apache2'`).
 */
export function serviceFromContent(text: string): Service | undefined {
  // libmariadb 3 drops "MySQL" from its errors: "Can't connect to server on '10.0.0.5' (111)".
  if (/\b(?:MySQL|MariaDB)\b|Can't connect to (?:local )?server\b/i.test(text)) return 'mysql';
  if (/\bsnmp(?:get|bulkget|walk|bulkwalk|getnext|table)\b/i.test(text)) return 'snmp';
  return serviceFromPort(text) ?? serviceFromWords(/'([^']+)'/.exec(text)?.[1]);
}
