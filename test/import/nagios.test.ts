/**
 * `mamoru import nagios` through the real CLI: on the sample objects Debian's nagios4-common
 * ships (/etc/nagios4/objects, with the command definitions of monitoring-plugins in
 * /etc/nagios-plugins/config), on nagios.cfg itself, and on a config written here with
 * templates, groups, macros and parents. Every output is loaded with mamoru's real loader.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mamoru } from '../helpers/cli.ts';
import { loadConfigFile, parseConfig } from '../../src/config/load.ts';
import type { TargetConfig } from '../../src/config/schema.ts';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'mamoru-import-nagios-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const check = (t: TargetConfig | undefined, name: string) => t?.checks.find((c) => c.name === name) as Record<string, unknown> | undefined;

test("Debian's sample objects: hosts with their groups, native probes where the options map, the rest as nagios-plugin argv", async () => {
  for (const f of ['/etc/nagios4/objects/localhost.cfg', '/etc/nagios-plugins/config/ping.cfg']) assert.ok(existsSync(f), `${f} is missing (.ci/run installs nagios4-common and monitoring-plugins-basic)`);
  const out = join(dir, 'debian.yaml');
  const r = await mamoru(['import', 'nagios', '/etc/nagios4/objects', '/etc/nagios-plugins/config', '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const { config } = loadConfigFile(out);
  const by = new Map(config.targets.map((t) => [t.name, t]));
  assert.deepEqual([...by.keys()].sort(), ['hplj2605dn', 'linksys-srw224p', 'localhost', 'winserver']);
  assert.deepEqual(by.get('winserver')!.tags, ['windows-servers'], 'the hostgroups of the windows-server template');
  assert.equal(by.get('linksys-srw224p')!.address, '192.168.1.253');

  const local = by.get('localhost')!;
  assert.equal(local.host_check, 'host-alive');
  assert.deepEqual(pick(check(local, 'host-alive')!, ['type', 'packets', 'warning', 'critical', 'interval', 'retry_interval', 'max_attempts']), {
    type: 'ping', packets: 1, warning: { rtaMs: 5000, lossPct: 100 }, critical: { rtaMs: 5000, lossPct: 100 }, interval: 5 * 60_000, retry_interval: 60_000, max_attempts: 10,
  }, 'check-host-alive from ping.cfg, timing from the linux-server template');
  const disk = check(local, 'Root-Partition')!;
  assert.deepEqual([disk.type, disk.warning, disk.critical, disk.path], ['disk', 80, 90, ['/']], 'check_local_disk!20%!10%!/ : 20% free is 80% used');
  assert.equal(disk.interval, 5 * 60_000, 'local-service: check_interval 5');
  assert.equal(disk.max_attempts, 4);
  assert.deepEqual([check(local, 'Total-Processes')!.type, check(local, 'Total-Processes')!.warning, check(local, 'Total-Processes')!.state], ['process', { start: 0, end: 250, inside: false }, 'RSZDT']);
  assert.deepEqual([check(local, 'SSH')!.type, check(local, 'SSH')!.port, check(local, 'SSH')!.expect], ['tcp', 22, 'SSH-']);
  assert.equal(check(local, 'HTTP')!.type, 'http');
  assert.deepEqual(check(local, 'Current-Load')!.command, ['/usr/lib/nagios/plugins/check_load', '-w', '5.0,4.0,3.0', '-c', '10.0,6.0,4.0']);

  const sw = by.get('linksys-srw224p')!;
  assert.deepEqual([check(sw, 'Uptime')!.type, check(sw, 'Uptime')!.oid], ['snmp', ['1.3.6.1.2.1.1.3.0']], 'sysUpTime.0 without MIB files');
  assert.deepEqual([check(sw, 'Port-1-Link-Status')!.oid, check(sw, 'Port-1-Link-Status')!.regex], [['1.3.6.1.2.1.2.2.1.8.1'], '1']);
  assert.deepEqual(check(by.get('winserver'), 'CPU-Load')!.command, ['/usr/lib/nagios/plugins/check_nt', '-H', '$ADDRESS', '-v', 'CPULOAD']);

  for (const said of [r.stderr, readFileSync(out, 'utf8')]) {
    assert.match(said, /service "winserver\/CPU Load": command "check_nt" uses no \$ARG2\$: "-l 5,80,90" is dropped, as Nagios drops it \(\/etc\/nagios4\/objects\/windows\.cfg:\d+\)/);
    assert.match(said, /service "localhost\/Current Load": runs as nagios-plugin \(check_load has no native probe\)/);
    assert.match(said, /contact "nagiosadmin": email "nagios@localhost" is not an address mamoru sends to/);
  }
  assert.match(r.stderr, /^nagios: 4 targets, 25 checks \(13 native, 12 nagios-plugin\), 0 contacts/m);
});

test("nagios.cfg itself: its cfg_file and cfg_dir lines and resource.cfg's $USER1$ are followed", async () => {
  const r = await mamoru(['import', 'nagios', '/etc/nagios4/nagios.cfg']);
  assert.equal(r.code, 0, r.stderr);
  const config = parseConfig(r.stdout, 'stdout');
  assert.deepEqual(config.targets.map((t) => t.name), ['localhost'], 'nagios.cfg lists localhost.cfg only');
  assert.equal(config.targets[0]!.checks.length, 9);
});

const OBJECTS = `
define timeperiod {
  timeperiod_name  workhours
  monday           09:00-17:00
}
define command {
  command_name  check_ping
  command_line  $USER1$/check_ping -H $HOSTADDRESS$ -w $ARG1$ -c $ARG2$ -p 3
}
define command {
  command_name  check_tcp
  command_line  $USER1$/check_tcp -H '$HOSTADDRESS$' -p '$ARG1$' $ARG2$
}
define command {
  command_name  check_web
  command_line  $USER1$/check_http -I $HOSTADDRESS$ -H $ARG1$ -u $ARG2$ -p 8443 -S -e 200,301 -s "Welcome home" -w 2 -c 5 -t 20
}
define command {
  command_name  check_snmp_community
  command_line  $USER1$/check_snmp -H $HOSTADDRESS$ -C $_HOSTSNMP_COMMUNITY$ -o $ARG1$ -w $ARG2$ -c $ARG3$
}
define command {
  command_name  check_mail
  command_line  $USER1$/check_$ARG1$ -H $HOSTADDRESS$ $ARG2$
}
define command {
  command_name  check_dig
  command_line  $USER1$/check_dig -H $HOSTADDRESS$ -l $ARG1$ -T MX -a $ARG2$
}
define command {
  command_name  check_mysql
  command_line  $USER1$/check_mysql -H $HOSTADDRESS$ -u monitor -p $ARG1$ -d shop
}
define command {
  command_name  check_mailq
  command_line  $USER1$/check_mailq -w $ARG1$ -c $ARG2$ -M postfix
}
define command {
  command_name  check_sshd_procs
  command_line  $USER1$/check_procs -C sshd -c 1:
}
define command {
  command_name  check_raid
  command_line  /usr/local/lib/check_raid --controller "$_SERVICECONTROLLER$" --verbose
}
define command {
  command_name  piped
  command_line  /usr/bin/printf "%b" "x" | /usr/bin/mail root
}
define host {
  name                 base-host
  check_command        check_ping!200.0,20%!600.0,60%
  max_check_attempts   5
  check_interval       2
  contact_groups       ops
  register             0
}
define host {
  name                 snmp-host
  _SNMP_COMMUNITY      s3cret-community
  hostgroups           snmp-devices
  check_interval       9
  register             0
}
define host {
  use                  snmp-host,base-host
  host_name            gw
  alias                Gateway
  address              192.0.2.1
}
define host {
  use                  base-host
  host_name            mail
  address              192.0.2.25
  parents              gw
  hostgroups           +mailservers
}
define host {
  use                  base-host
  host_name            db
  address              192.0.2.33
  parents              gw
  hostgroups           mailservers
  contact_groups       dba
}
define host {
  use                  base-host
  host_name            self
  address              127.0.0.1
}
define hostgroup {
  hostgroup_name  mailservers
  members         self
}
define service {
  name                 svc
  max_check_attempts   2
  check_interval       1
  retry_interval       0.5
  register             0
}
define service {
  use                  svc
  hostgroup_name       mailservers
  host_name            !self
  service_description  SMTP
  check_command        check_mail!smtp!-p 587 -S
}
define service {
  use                  svc
  hostgroup_name       mailservers
  service_description  IMAP
  check_command        check_mail!imap!-p 993 -S
}
define service {
  use                  svc
  host_name            mail
  service_description  POP3
  check_command        check_mail!pop
  check_period         workhours
}
define service {
  use                  svc
  host_name            mail
  service_description  Web
  check_command        check_web!www.example.com!/health
}
define service {
  use                  svc
  host_name            mail
  service_description  Submission
  check_command        check_tcp!587!-e 220
}
define service {
  use                  svc
  host_name            mail
  service_description  MX
  check_command        check_dig!example.com!mail.example.com
}
define service {
  use                  svc
  host_name            gw
  service_description  Uptime
  check_command        check_snmp_community!1.3.6.1.2.1.1.3.0!10:!1:
}
define service {
  use                  svc
  host_name            db
  service_description  MySQL
  check_command        check_mysql!db-pass
}
define service {
  use                  svc
  host_name            self
  service_description  Queue
  check_command        check_mailq!50!100
}
define service {
  use                  svc
  host_name            self
  service_description  sshd
  check_command        check_sshd_procs
}
define service {
  use                  svc
  host_name            self
  service_description  RAID
  _CONTROLLER          0
  check_command        check_raid
}
define service {
  use                  svc
  host_name            self
  service_description  Piped
  check_command        piped
}
define contactgroup {
  contactgroup_name  ops
  members            alice,bob
}
define contactgroup {
  contactgroup_name  dba
  members            carol
}
define contact {
  name   person
  email  nobody@example.org
  register 0
}
define contact {
  use           person
  contact_name  alice
  email         alice@example.com
}
define contact {
  use           person
  contact_name  carol
}
define contact {
  contact_name  bob
  pager         555-0100
}
define servicedependency {
  host_name  mail
}
`;

test('templates (several, ordered), groups with exclusions, custom macros, parents, $ARGn$ and every native mapping', async () => {
  const file = join(dir, 'objects.cfg');
  writeFileSync(file, OBJECTS);
  const out = join(dir, 'written.yaml');
  const r = await mamoru(['import', 'nagios', file, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  const { config } = loadConfigFile(out);
  const by = new Map(config.targets.map((t) => [t.name, t]));
  const gw = by.get('gw')!;
  const mail = by.get('mail')!;
  const db = by.get('db')!;
  const self = by.get('self')!;
  assert.deepEqual(mail.parents, ['gw']);
  assert.deepEqual(gw.tags, ['snmp-devices']);
  assert.deepEqual(mail.tags, ['mailservers']);
  // use snmp-host,base-host: snmp-host's check_interval 9 wins, base-host gives the check command
  assert.equal(check(gw, 'host-alive')!.interval, 9 * 60_000);
  assert.equal(check(mail, 'host-alive')!.interval, 2 * 60_000);
  assert.deepEqual([check(gw, 'host-alive')!.type, check(gw, 'host-alive')!.packets, check(gw, 'host-alive')!.max_attempts], ['ping', 3, 5]);

  assert.deepEqual(pick(check(mail, 'SMTP')!, ['type', 'port', 'tls', 'max_attempts', 'interval', 'retry_interval']), { type: 'smtp', port: 587, tls: 'starttls', max_attempts: 2, interval: 60_000, retry_interval: 30_000 });
  assert.equal(check(self, 'SMTP'), undefined, 'host_name !self excludes it from the group');
  assert.deepEqual(pick(check(self, 'IMAP')!, ['type', 'port', 'tls']), { type: 'imap', port: 993, tls: 'implicit' });
  assert.deepEqual(pick(check(db, 'IMAP')!, ['type']), { type: 'imap' });
  assert.equal(check(mail, 'POP3')!.type, 'pop3');
  assert.deepEqual(pick(check(mail, 'Web')!, ['type', 'host_header', 'path', 'port', 'tls', 'expect_status', 'body_regex', 'warning', 'critical', 'timeout']), {
    type: 'http', host_header: 'www.example.com', path: '/health', port: 8443, tls: true, expect_status: [200, 301], body_regex: 'Welcome home', warning: 2, critical: 5, timeout: 20_000,
  });
  assert.deepEqual(pick(check(mail, 'Submission')!, ['type', 'port', 'expect']), { type: 'tcp', port: 587, expect: '220' });
  assert.deepEqual(pick(check(mail, 'MX')!, ['type', 'query', 'server', 'record_type', 'expect']), { type: 'dns', query: 'example.com', server: '192.0.2.25', record_type: 'MX', expect: ['mail.example.com'] });
  assert.deepEqual(pick(check(gw, 'Uptime')!, ['type', 'oid', 'warning', 'critical', 'community_secret']), { type: 'snmp', oid: ['1.3.6.1.2.1.1.3.0'], warning: { start: 10, end: Infinity, inside: false }, critical: { start: 1, end: Infinity, inside: false }, community_secret: 'snmp-community-1' });
  assert.deepEqual(pick(check(db, 'MySQL')!, ['type', 'username', 'database', 'password_secret']), { type: 'mysql', username: 'monitor', database: 'shop', password_secret: 'mysql-password-2' });
  assert.deepEqual(config.secrets, { 'snmp-community-1': { env: 'MAMORU_SNMP_COMMUNITY_1' }, 'mysql-password-2': { env: 'MAMORU_MYSQL_PASSWORD_2' } });
  assert.deepEqual(pick(check(self, 'Queue')!, ['type', 'warning', 'critical']), { type: 'mailq', warning: 50, critical: 100 });
  assert.deepEqual(pick(check(self, 'sshd')!, ['type', 'command', 'critical']), { type: 'process', command: 'sshd', critical: { start: 1, end: Infinity, inside: false } });
  assert.deepEqual(check(self, 'RAID')!.command, ['/usr/local/lib/check_raid', '--controller', '0', '--verbose'], 'a plugin without a native probe keeps its argv, macros filled');
  assert.equal(check(self, 'Piped'), undefined);

  assert.deepEqual(config.contacts.map((c) => [c.name, c.targets, (c.channels[0] as { to: string[] }).to]), [
    ['alice', ['gw', 'mail', 'self'], ['alice@example.com']],
    ['carol', ['db'], ['nobody@example.org']],
  ]);
  const text = readFileSync(out, 'utf8');
  assert.ok(!text.includes('s3cret-community') && !text.includes('db-pass'), 'no secret is written into the config');
  assert.ok(!r.stderr.includes('s3cret-community') && !r.stderr.includes('db-pass'));
  for (const said of [r.stderr, text]) {
    assert.match(said, /service "self\/Piped": command "piped" is a shell command line \("\|"\); mamoru runs one program with its arguments, never a shell; left out/);
    assert.match(said, /service "mail\/POP3": check_period workhours: mamoru checks at all times/);
    assert.match(said, /contact "bob": has no email address/);
    assert.match(said, /1 "define servicedependency": no counterpart in mamoru \(.*objects\.cfg:\d+\)/);
    assert.match(said, /secret "snmp-community-1": .* set the environment variable MAMORU_SNMP_COMMUNITY_1/);
  }
});

test('unreadable input: exit 2 with the file and line', async () => {
  const open = join(dir, 'open.cfg');
  writeFileSync(open, 'define host {\n  host_name a\n  address 192.0.2.1\n');
  let r = await mamoru(['import', 'nagios', open]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /open\.cfg:1: "define host \{" is never closed/);
  const unknownTemplate = join(dir, 'use.cfg');
  writeFileSync(unknownTemplate, '# a comment\ndefine host {\n  use nowhere\n  host_name a\n}\n');
  r = await mamoru(['import', 'nagios', unknownTemplate]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /use\.cfg:2: uses the host template "nowhere", which is not defined/);
  const binary = join(dir, 'binary.cfg');
  writeFileSync(binary, 'define host {\n\0\0\0');
  r = await mamoru(['import', 'nagios', binary]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /binary\.cfg:2: holds NUL bytes/);
});

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
}
