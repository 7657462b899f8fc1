/**
 * The example config of each reference page: a whole mamoru.yaml that the real loader accepts
 * (test/docs/reference.test.ts parses every one with src/config/load.ts), showing the member
 * where the config file puts it. Required options come from SAMPLES; a required option without a
 * sample stops the generator with the key to add, so a new member cannot ship an example that
 * does not load. Secrets the example names are declared under `secrets:` as files.
 */
import { Document, isScalar, isSeq, visit } from 'yaml';
import type { OptionRow } from './options.ts';

type Obj = Record<string, unknown>;

/** Option values shown in the examples, per `family/member`: every required option, and a few telling ones. */
export const SAMPLES: Record<string, Obj> = {
  'probes/tcp': { port: 25 },
  'probes/http': { path: '/', expect_status: [200] },
  'probes/disk': { path: ['/var'], warning: 85, critical: 95 },
  'probes/nagios-plugin': { command: ['/usr/lib/nagios/plugins/check_load', '-w', '5,4,3', '-c', '10,8,6'] },
  'probes/mysql': { username: 'monitor', password_secret: 'mysql-monitor' },
  'probes/process': { command: 'apache2', warning: '1:', critical: '1:' },
  'probes/dns': { query: 'www.example.com', record_type: 'A' },
  'probes/snmp': { oid: ['1.3.6.1.2.1.1.3.0'], community_secret: 'snmp-community' },
  'probes/disk-snmp': { path: ['/'], community_secret: 'snmp-community' },
  'notifiers/email': { host: 'smtp.example.com', port: 587, tls: 'starttls', from: 'mamoru@example.com', to: ['owner@example.com'] },
  'notifiers/webhook': { url: 'https://hooks.example.com/mamoru', signing_secret: 'webhook-signing' },
  'notifiers/slack': { url_secret: 'slack-webhook' },
  'notifiers/discord': { url_secret: 'discord-webhook' },
  'notifiers/teams': { url_secret: 'teams-webhook' },
  'notifiers/chatwork': { room_id: 123456789, token_secret: 'chatwork-token' },
  'executors/ssh': { host: '192.0.2.10', user: 'root', private_key_file: '/etc/mamoru/id_ed25519', known_hosts_file: '/etc/mamoru/known_hosts' },
  'stores/sqlite': { path: '/var/lib/mamoru/mamoru.db' },
  'stores/postgres': { url: 'postgres://mamoru@db.example.com:5432/mamoru', password_secret: 'postgres-mamoru' },
  'firewalls/nftables': {},
};

/**
 * For each runbook: a check whose problem triage hands to it, and the service it acts on. The
 * target reaches the server over SSH, as a monitor watching other servers does.
 */
export const RUNBOOK_SETUPS: Record<string, { check: Obj; service: Obj }> = {
  'host-unreachable': { check: { type: 'ping' }, service: { name: 'apache2', ports: [80] } },
  'http-down': { check: { type: 'http' }, service: { name: 'apache2', ports: [80, 443], domain: 'www.example.com' } },
  'http-slow': { check: { type: 'http', warning: 2, critical: 10 }, service: { name: 'apache2', ports: [80, 443], worker_limit: { maximum: 1024 } } },
  'mysql-down': { check: { type: 'mysql' }, service: { name: 'mariadb', processes: ['mariadbd'], ports: [3306] } },
  'ftp-down': { check: { type: 'ftp' }, service: { name: 'vsftpd', ports: [21] } },
  'pop3-slow': { check: { type: 'pop3', warning: 2, critical: 10 }, service: { name: 'dovecot', ports: [110, 995], mail_log: '/var/log/mail.log' } },
  'mail-queue': { check: { type: 'mailq', warning: 100, critical: 500 }, service: { name: 'postfix', checks: ['mailq'] } },
  'snmp-agent-error': { check: { type: 'snmp', oid: ['1.3.6.1.2.1.1.3.0'], community_secret: 'snmp-community' }, service: { name: 'snmpd', udp_ports: [161] } },
  'disk-full': { check: { type: 'disk', path: ['/var'], warning: 85, critical: 95 }, service: { name: 'disk', checks: ['disk'], disk_paths: ['/var'] } },
  'service-down': { check: { type: 'smtp' }, service: { name: 'postfix', ports: [25] } },
};

/** The SSH executor the remediation examples use. */
const SSH = { type: 'ssh', host: '192.0.2.10', private_key_file: '/etc/mamoru/id_ed25519', known_hosts_file: '/etc/mamoru/known_hosts' };

/** The member's options for its example: its samples, checked to hold every required option. */
export function sampleOptions(family: string, member: string, rows: readonly OptionRow[]): Obj {
  const sample = SAMPLES[`${family}/${member}`] ?? {};
  const missing = rows.filter((r) => r.required && !r.key.includes('.') && !(r.key in sample)).map((r) => r.key);
  if (missing.length) throw new Error(`scripts/reference/examples.ts: SAMPLES['${family}/${member}'] needs a value for ${missing.join(', ')}`);
  return sample;
}

/** Every `*_secret` option's value, anywhere in the object. */
function secretNames(v: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) for (const x of v) secretNames(x, out);
  else if (v && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) {
      if (k.endsWith('_secret') && typeof x === 'string') out.add(x);
      else secretNames(x, out);
    }
  return out;
}

/** The config as YAML, with `secrets:` first for the secrets it names. */
export function configYaml(config: Obj): string {
  const names = [...secretNames(config)].sort();
  const secrets = names.length ? { secrets: Object.fromEntries(names.map((n) => [n, { file: `/etc/mamoru/secrets/${n}` }])) } : {};
  const doc = new Document({ ...secrets, ...config });
  // Lists of plain values on one line (`ports: [80, 443]`), as people write them.
  visit(doc, { Seq: (_, node) => void (isSeq(node) && node.items.every(isScalar) && (node.flow = true)) });
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
}

const target = (extra: Obj): Obj => ({ name: 'web1', address: '192.0.2.10', ...extra });

export const exampleFor = {
  probes: (type: string, opts: Obj) => configYaml({ targets: [target({ checks: [{ type, ...opts }] })] }),
  executors: (type: string, opts: Obj) => configYaml({ targets: [target({ executor: { type, ...opts }, services: [{ name: 'apache2', ports: [80] }], checks: [{ type: 'http' }] })] }),
  stores: (type: string, opts: Obj) => configYaml({ store: { type, ...opts } }),
  firewalls: (type: string, opts: Obj) => configYaml({ guard: { firewall: { type, ...opts }, jails: [{ name: 'ssh', filters: ['sshd'], sources: [{ type: 'journald', units: ['ssh.service'] }], port: 22 }] } }),
  notifiers: (type: string, opts: Obj) => configYaml({ contacts: [{ name: 'owner', language: 'en', channels: [{ type, ...opts }] }] }),
  filters: (jail: Obj) => configYaml({ guard: { jails: [jail] } }),
  runbooks: (name: string) => {
    const setup = RUNBOOK_SETUPS[name];
    if (!setup) throw new Error(`scripts/reference/examples.ts: RUNBOOK_SETUPS needs an entry for the runbook "${name}"`);
    return configYaml({ targets: [target({ executor: SSH, services: [setup.service], checks: [setup.check] })] });
  },
  actions: (type: string, mode: string) =>
    configYaml({
      targets: [target({ executor: SSH, services: [{ name: 'apache2', ports: [80, 443] }], checks: [{ type: 'http' }] })],
      remediation: { policy: { modes: { [type]: mode }, rate_limit: { max_runs: 3, window: '10m' }, ask_timeout: '15m' } },
    }),
};
