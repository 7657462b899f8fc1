/**
 * The recorded alerts (`test/fixtures/alerts/*.txt`, see record.ts there) and what each one is,
 * written from the condition that produced it (the fault injected, the check run), not from what
 * the classifier answers. Shared by the fixture test and the live test, which runs some of the
 * same commands again and must get the same answers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AlertKind, RunbookName, Service } from '../../src/triage/index.ts';

export const FIXTURES = fileURLToPath(new URL('../fixtures/alerts/', import.meta.url));

export interface AlertFixture {
  /** The file name without `.txt`: `<condition>.<command>`. */
  name: string;
  condition: string;
  /** The command run; undefined for texts not recorded from a command (the field runbook's, notifications). */
  argv?: string[] | undefined;
  /** Its exit code (the Nagios state); undefined when there was none. */
  exit?: number | undefined;
  output: string;
}

export function parseFixture(name: string, text: string): AlertFixture {
  const [head, ...rest] = text.split('\n--- output\n');
  const field = (key: string) => new RegExp(`^${key}: (.*)$`, 'm').exec(head ?? '')?.[1];
  const argv = field('argv');
  const exit = field('exit');
  const condition = field('condition');
  if (!condition || argv === undefined || exit === undefined || rest.length !== 1) throw new Error(`${name}: not a fixture (condition:, argv:, exit:, --- output)`);
  return {
    name,
    condition,
    argv: argv === '-' ? undefined : (JSON.parse(argv) as string[]),
    exit: exit === '-' ? undefined : Number(exit),
    output: rest[0]!.replace(/\n$/, ''),
  };
}

export function loadFixtures(): AlertFixture[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.txt'))
    .sort()
    .map((f) => parseFixture(f.slice(0, -4), readFileSync(join(FIXTURES, f), 'utf8')));
}

/**
 * What Nagios would know besides the text: the check command's name (`check_pop`; `mamoru-pop3`
 * for `mamoru check pop3`).
 */
export function checkCommandOf(f: AlertFixture): string | undefined {
  if (!f.argv) return undefined;
  return f.argv[0] === 'mamoru' ? `mamoru-${f.argv[2]}` : basename(f.argv[0]!);
}

/**
 * The Nagios state the fixture's exit code stands for: a plugin's (and mamoru's) exit code is one;
 * net-snmp's tools are not plugins (snmpget exits 0 after "No Such Object available"), so theirs
 * says nothing and undefined is returned.
 */
export function pluginStateOf(f: AlertFixture): 0 | 1 | 2 | 3 | undefined {
  if (!f.argv || f.exit === undefined || f.exit > 3 || /^snmp/.test(basename(f.argv[0]!))) return undefined;
  return f.exit as 0 | 1 | 2 | 3;
}

/** For `mamoru check <type>` fixtures: the probe type. */
export function probeTypeOf(f: AlertFixture): string | undefined {
  const c = checkCommandOf(f);
  return c?.startsWith('mamoru-') ? c.slice('mamoru-'.length) : undefined;
}

/**
 * The check command as Nagios hands it to a notification (`$SERVICECHECKCOMMAND$`): the command's
 * name, then its arguments after a `!` (one ARG1 holding the plugin's flags, as many configs do).
 * Lab secrets are already masked in the fixture.
 */
export function nagiosCommandOf(f: AlertFixture): string | undefined {
  if (!f.argv) return undefined;
  return `${checkCommandOf(f)}!${f.argv.slice(f.argv[0] === 'mamoru' ? 3 : 1).join(' ')}`;
}

/** For `mamoru check snmp` fixtures: the check's options as the config would plan them (oid, label). */
export function optionsOf(f: AlertFixture): Record<string, unknown> | undefined {
  if (!f.argv || f.argv[0] !== 'mamoru') return undefined;
  const oid: string[] = [];
  const label: string[] = [];
  f.argv.forEach((a, i) => {
    if (a === '-o' || a === '--oid') oid.push(f.argv![i + 1]!);
    if (a === '--label') label.push(f.argv![i + 1]!);
  });
  return { ...(oid.length ? { oid } : {}), ...(label.length ? { label } : {}) };
}

export interface Expected {
  /** The kind; a list where the words are the same for two conditions (any of them is right). */
  kind: AlertKind | readonly AlertKind[];
  service: Service | null;
  runbook: RunbookName | null;
  /** The service description an operator gives this check, where the command's name says nothing (check_tcp). */
  hint?: string;
  /** The kind needs the hint or state (the text alone cannot tell). */
  needsHint?: boolean;
  /** Why the expectation is what it is, where that is not obvious. */
  why?: string;
}

const e = (kind: Expected['kind'], service: Service | null, runbook: RunbookName | null, more: Partial<Expected> = {}): Expected => ({ kind, service, runbook, ...more });
const ok = (service: Service | null) => e('ok', service, null);
const refused = (service: Service | null, runbook: RunbookName, more: Partial<Expected> = {}) => e('service-refused', service, runbook, more);
const timeout = (service: Service | null, runbook: RunbookName, more: Partial<Expected> = {}) => e('service-timeout', service, runbook, more);
const slow = (service: Service | null, runbook: RunbookName, more: Partial<Expected> = {}) => e('service-slow', service, runbook, more);
const hostDown = (more: Partial<Expected> = {}) => e('host-unreachable', null, 'host-unreachable', more);
const snmpAgent = () => e('snmp-agent-error', 'snmp', 'snmp-agent-error');
const diskFull = () => e('disk-full', 'disk', 'disk-full');
const mailQueue = (more: Partial<Expected> = {}) => e('mail-queue', 'smtp', 'mail-queue', more);
/** A value read over SNMP that no runbook answers (processes, memory, load): a person looks. */
const snmpValue = () => e('unknown', 'snmp', null);
/** A service check on a silent host sees only its own timeout; the host check is what tells the host is down. */
const silentHost = 'a service check on a host that drops everything sees its own timeout; the host check (check_ping) says the host is down';
const dnsNoResponse = 'check_dns prints "No response from DNS <ip>" both for a stopped server and for a silent one (nslookup gives up first)';

export const expected: Record<string, Expected> = {
  // every daemon up
  'up.check_ping': ok(null),
  'up.check_icmp': ok(null),
  'up.check_http': ok('http'),
  'up.check_curl': ok('http'),
  'up.check_pop': ok('pop3'),
  'up.check_ftp': ok('ftp'),
  'up.check_smtp': ok('smtp'),
  'up.check_ssh': ok('ssh'),
  'up.check_mysql': ok('mysql'),
  'up.check_snmp': ok('snmp'),
  'up.check_dig': ok('dns'),
  'up.check_mailq': ok('smtp'),
  'up.check_procs': ok('http'),
  'up.mamoru-pop3': ok('pop3'),

  // daemons stopped: nothing listens
  'stopped.check_tcp': refused('http', 'http-down', { hint: 'HTTP' }),
  'stopped.check_http': refused('http', 'http-down'),
  'stopped.check_curl': refused('http', 'http-down'),
  'stopped.check_pop': refused('pop3', 'service-down'),
  'stopped.check_imap': refused('imap', 'service-down'),
  'stopped.check_ftp': refused('ftp', 'ftp-down'),
  'stopped.check_smtp': refused('smtp', 'service-down'),
  'stopped.check_ssh': refused('ssh', 'service-down'),
  'stopped.check_mysql': refused('mysql', 'mysql-down'),
  'stopped.check_dig': refused('dns', 'service-down'),
  'stopped.check_dns': e(['service-refused', 'service-timeout'], 'dns', 'service-down', { why: dnsNoResponse }),
  'stopped.check_procs': refused('http', 'http-down', { why: 'no apache2 process: the web server is down' }),
  'stopped.mamoru-tcp': refused('pop3', 'service-down', { hint: 'POP3' }),
  'stopped.mamoru-http': refused('http', 'http-down'),
  'stopped.mamoru-pop3': refused('pop3', 'service-down'),
  'stopped.mamoru-ftp': refused('ftp', 'ftp-down'),
  'stopped.mamoru-smtp': refused('smtp', 'service-down'),
  'stopped.mamoru-mysql': refused('mysql', 'mysql-down'),
  'stopped.mamoru-dns': refused('dns', 'service-down'),
  'stopped.mamoru-process': refused('mysql', 'mysql-down', { why: 'no mariadbd process: the database is down' }),

  // the server drops every packet
  'host-down.check_ping': hostDown(),
  'host-down.check_icmp': hostDown(),
  'host-down.check_tcp': timeout('http', 'http-slow', { hint: 'HTTP', why: silentHost }),
  'host-down.check_http': timeout('http', 'http-slow', { why: silentHost }),
  'host-down.check_curl': timeout('http', 'http-slow', { why: silentHost }),
  'host-down.check_pop': timeout('pop3', 'pop3-slow', { why: silentHost }),
  'host-down.check_ftp': timeout('ftp', 'ftp-down', { why: silentHost }),
  'host-down.check_smtp': timeout('smtp', 'service-down', { why: silentHost }),
  'host-down.check_ssh': timeout('ssh', 'service-down', { why: silentHost }),
  'host-down.check_snmp': snmpAgent(),
  'host-down.snmpget': snmpAgent(),
  'host-down.snmpbulkget': snmpAgent(),
  'host-down.check_dig': timeout('dns', 'service-down', { why: silentHost }),
  'host-down.check_dns': timeout('dns', 'service-down', { why: silentHost }),
  'host-down.check_dns-long': e(['service-refused', 'service-timeout'], 'dns', 'service-down', { why: dnsNoResponse }),
  'host-down.mamoru-ping': hostDown(),
  'host-down.mamoru-tcp': timeout('ftp', 'ftp-down', { hint: 'FTP', why: silentHost }),
  'host-down.mamoru-http': timeout('http', 'http-slow', { why: silentHost }),
  'host-down.mamoru-mysql': timeout('mysql', 'mysql-down', { why: silentHost }),
  'host-down.mamoru-snmp': snmpAgent(),

  // an address nobody has
  'absent-host.check_ping': hostDown(),
  'absent-host.check_tcp': hostDown(),
  'absent-host.check_http': hostDown(),
  'absent-host.check_curl': hostDown(),
  'absent-host.mamoru-tcp': hostDown(),

  // answers 3 s late, 1 s warning threshold
  'slow.check_http': slow('http', 'http-slow'),
  'slow.check_curl': slow('http', 'http-slow'),
  'slow.check_tcp': slow('pop3', 'pop3-slow', { hint: 'POP3' }),
  'slow.check_pop': slow('pop3', 'pop3-slow'),
  'slow.check_imap': slow('imap', 'service-down'),
  'slow.check_ftp': slow('ftp', 'ftp-down'),
  'slow.check_smtp': slow('smtp', 'service-down'),
  'slow.mamoru-http': slow('http', 'http-slow'),
  'slow.mamoru-pop3': slow('pop3', 'pop3-slow'),
  'slow.mamoru-smtp': slow('smtp', 'service-down'),
  'slow.mamoru-mysql': slow('mysql', 'mysql-down'),

  // answers 3 s late, 1 s timeout
  'timeout.check_http': timeout('http', 'http-slow'),
  'timeout.check_curl': timeout('http', 'http-slow'),
  'timeout.check_tcp': timeout('pop3', 'pop3-slow', { hint: 'POP3' }),
  'timeout.check_pop': timeout('pop3', 'pop3-slow'),
  'timeout.check_imap': timeout('imap', 'service-down'),
  'timeout.check_ftp': timeout('ftp', 'ftp-down'),
  'timeout.check_smtp': timeout('smtp', 'service-down'),
  'timeout.check_ssh': timeout('ssh', 'service-down'),
  'timeout.mamoru-http': timeout('http', 'http-slow'),
  'timeout.mamoru-pop3': timeout('pop3', 'pop3-slow'),
  'timeout.mamoru-ftp': timeout('ftp', 'ftp-down'),
  'timeout.mamoru-mysql': timeout('mysql', 'mysql-down'),

  // full filesystems
  'disk-full.check_disk': diskFull(),
  'disk-full.check_disk-inodes': diskFull(),
  'disk-full.mamoru-disk': diskFull(),
  'disk-full.mamoru-disk-inodes': diskFull(),
  'disk-full.mamoru-disk-snmp': diskFull(),

  // a filled mail queue
  'mail-queue.check_mailq-warning': mailQueue(),
  'mail-queue.check_mailq-critical': mailQueue(),
  'mail-queue.check_snmp': mailQueue(),
  'mail-queue.mamoru-mailq': mailQueue(),
  'mail-queue.mamoru-snmp': mailQueue({ hint: 'mail-queue', why: "the check's name says which value it reads; without its perfdata the transition's text does not show the OID" }),

  // the SNMP agent stopped, or refusing the request
  'snmpd-stopped.check_snmp': snmpAgent(),
  'snmpd-stopped.snmpget': snmpAgent(),
  'snmpd-stopped.snmpbulkget': snmpAgent(),
  'snmpd-stopped.snmpwalk': snmpAgent(),
  'snmpd-stopped.snmpbulkget-v3': snmpAgent(),
  'snmpd-stopped.check_procs': snmpAgent(),
  'snmpd-stopped.mamoru-snmp': snmpAgent(),
  'snmpd-stopped.mamoru-disk-snmp': snmpAgent(),
  'snmp-refused-user.snmpget-unknown-user': snmpAgent(),
  'snmp-refused-user.snmpbulkget-wrong-password': snmpAgent(),
  'snmp-refused-user.check_snmp-unknown-user': snmpAgent(),
  'snmp-refused-user.check_snmp-wrong-password': snmpAgent(),
  'snmp-refused-user.snmpget-authorization': snmpAgent(),
  'snmp-wrong-community.snmpget': snmpAgent(),
  'snmp-wrong-community.check_snmp': snmpAgent(),

  // the agent runs, but is asked for an object or MIB it cannot give
  'snmp-unknown-object.snmpget-unknown-object': snmpAgent(),
  'snmp-unknown-object.snmpbulkget-unknown-object': snmpAgent(),
  'snmp-unknown-object.snmpget-unknown-mib': snmpAgent(),
  'snmp-unknown-object.snmpbulkget-unknown-mib': snmpAgent(),
  'snmp-unknown-object.snmpget-no-such-object': snmpAgent(),
  'snmp-unknown-object.snmpget-no-such-instance': snmpAgent(),
  'snmp-unknown-object.snmpget-v1-no-such-name': snmpAgent(),
  'snmp-unknown-object.snmpbulkget-v1': snmpAgent(),
  'snmp-unknown-object.check_snmp-no-such-name': snmpAgent(),
  'snmp-unknown-object.check_snmp-no-such-object': snmpAgent(),
  'snmp-unknown-object.check_snmp-unknown-mib': snmpAgent(),
  'snmp-unknown-object.mamoru-snmp-no-such-object': snmpAgent(),
  'snmp-unknown-object.unknown-oid-written': snmpAgent(),

  // the mail queue over its threshold, its label or units naming it
  'mail-queue-labelled.check_snmp-label': mailQueue(),
  'mail-queue-labelled.check_snmp-label-words': mailQueue(),
  'mail-queue-labelled.check_snmp-units': mailQueue(),
  'mail-queue-labelled.mamoru-snmp-label': mailQueue(),

  // other values over their thresholds, read over SNMP: the OID says which (in the perfdata, the command, the config)
  'snmp-value.check_snmp-processes': snmpValue(),
  'snmp-value.check_snmp-memory': snmpValue(),
  'snmp-value.check_snmp-disk': diskFull(),
  'snmp-value.check_snmp-load': snmpValue(),
  'snmp-value.mamoru-snmp-processes': snmpValue(),

  // the field runbook's own alert table
  'field-runbook.ping-loss': hostDown(),
  'field-runbook.socket-timeout': timeout(null, 'service-down'),
  'field-runbook.refused': refused(null, 'service-down'),
  'field-runbook.snmp-mail-queue': mailQueue({ why: 'the runbook reads an SNMP threshold with nothing else known as the mail queue ("on the mail-queue OID")' }),
  'field-runbook.snmpbulkget-error': snmpAgent(),
  'field-runbook.disk': diskFull(),

  // notifications around plugin output
  'notification.nagios-service': timeout('http', 'http-slow'),
  'notification.nagios-host': hostDown(),
  'notification.nagios-recovery': ok('http'),
  'notification.nagios-mail-queue': mailQueue(),
  'notification.nagios-check-timeout': timeout('mysql', 'mysql-down'),
  'notification.icinga-service': refused('pop3', 'service-down'),
};
