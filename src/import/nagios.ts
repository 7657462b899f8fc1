/**
 * `mamoru import nagios`: Nagios / Icinga 1 objects as a mamoru config. Hosts become targets
 * (address, parents, host groups as tags, the host check), services checks on each host they
 * name directly or through host groups, contacts with an email address contacts for the hosts
 * that name them. Each check command is expanded as Nagios would ($ARGn$, $USERn$, custom
 * `_MACROS`, $HOSTADDRESS$), split into an argument list without a shell, and mapped to a
 * native probe when every option has a counterpart, else run as it is with nagios-plugin.
 */
import { InputBudget, durationText, safeName, unique, type ImportNote } from './common.ts';
import { splitCommandLine } from './argv.ts';
import { mapPlugin, type CheckContext } from './nagios-checks.ts';
import { list, NagiosObjects, type NagiosObject } from './nagios-objects.ts';
import { hostname } from 'node:os';
import { z } from 'zod';
import { ADDRESS_PATTERN } from '../config/address.ts';

export interface NagiosImport {
  config: Record<string, unknown>;
  notes: ImportNote[];
  files: string[];
  targets: number;
  checks: number;
  native: number;
  plugins: number;
  contacts: number;
}

const READ_TYPES = ['host', 'hostgroup', 'service', 'command', 'contact', 'contactgroup', 'timeperiod'];
const ALWAYS = new Set(['24x7', '24x7_sans_holidays']);
/** Debian's plugin folder, for $USER1$ when no resource.cfg says otherwise. */
const DEFAULT_USER1 = '/usr/lib/nagios/plugins';
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export function importNagios(paths: string[]): NagiosImport {
  const budget = new InputBudget();
  const db = new NagiosObjects(budget);
  for (const p of paths) db.add(p);
  const notes: ImportNote[] = [];
  const where = (o: NagiosObject) => `${o.file}:${o.line}`;
  const hosts = db.resolved('host').filter((h) => h.vars.has('host_name'));
  const groups = db.resolved('hostgroup');
  const commands = new Map(db.resolved('command').map((c) => [c.vars.get('command_name') ?? '', c] as const));
  const contactGroups = db.resolved('contactgroup');
  for (const f of db.skipped) notes.push({ item: `resource file ${f.file}`, why: `not read (${f.why}); $USER1$ is ${db.user.get('USER1') ?? DEFAULT_USER1}` });
  if (!db.user.has('USER1')) db.user.set('USER1', DEFAULT_USER1);
  const secrets: Record<string, { env: string }> = {};
  const secretNames = new Map<string, string>();

  // Host groups: members named by the group, by the host, and by nested groups.
  const members = new Map<string, Set<string>>();
  for (const g of groups) members.set(g.vars.get('hostgroup_name') ?? '', new Set(list(g.vars.get('members'))));
  for (const h of hosts) for (const g of list(h.vars.get('hostgroups'))) (members.get(g) ?? members.set(g, new Set()).get(g)!).add(h.vars.get('host_name')!);
  const groupHosts = (name: string, seen = new Set<string>()): string[] => {
    if (seen.has(name)) return [];
    seen.add(name);
    const g = groups.find((x) => x.vars.get('hostgroup_name') === name);
    return [...(members.get(name) ?? []), ...list(g?.vars.get('hostgroup_members')).flatMap((n) => groupHosts(n, seen))];
  };
  const allHosts = hosts.map((h) => h.vars.get('host_name')!);
  /** The hosts a service is on: host_name and hostgroup_name together, then the `!` exclusions of both. */
  const serviceHosts = (hostNames: string[], groupNames: string[]) => {
    const each = (names: string[], expand: (n: string) => string[], neg: boolean) => names.filter((n) => n.startsWith('!') === neg).flatMap((n) => (n === '*' ? allHosts : expand(neg ? n.slice(1) : n)));
    const minus = new Set([...each(hostNames, (n) => [n], true), ...each(groupNames, (g) => groupHosts(g), true)]);
    return [...new Set([...each(hostNames, (n) => [n], false), ...each(groupNames, (g) => groupHosts(g), false)])].filter((n) => !minus.has(n));
  };

  const targets: Record<string, unknown>[] = [];
  const byHost = new Map<string, { target: Record<string, unknown>; checks: Record<string, unknown>[]; names: Set<string>; address: string; contacts: Set<string> }>();
  const targetNames = new Set<string>();
  for (const h of hosts) {
    const hostName = h.vars.get('host_name')!;
    const address = h.vars.get('address') ?? hostName;
    if (!new RegExp(ADDRESS_PATTERN).test(address)) {
      notes.push({ item: `host "${hostName}"`, why: `address "${address.slice(0, 80)}" is not an IP address or a host name; left out`, where: where(h) });
      continue;
    }
    if (byHost.has(hostName)) {
      notes.push({ item: `host "${hostName}"`, why: 'defined twice; the second is left out', where: where(h) });
      continue;
    }
    const target: Record<string, unknown> = { name: unique(safeName(hostName, true), targetNames), address };
    const tags = [...members].filter(([, m]) => m.has(hostName)).map(([g]) => g);
    if (tags.length) target.tags = tags;
    targets.push(target);
    byHost.set(hostName, { target, checks: [], names: new Set(), address, contacts: new Set() });
  }
  for (const h of hosts) {
    const entry = byHost.get(h.vars.get('host_name')!);
    if (!entry) continue;
    const parents = list(h.vars.get('parents')).filter((p) => {
      if (byHost.has(p)) return true;
      notes.push({ item: `host "${h.vars.get('host_name')}": parent "${p}"`, why: 'no such host was imported', where: where(h) });
      return false;
    });
    if (parents.length) entry.target.parents = parents.map((p) => byHost.get(p)!.target.name);
  }

  let native = 0;
  let plugins = 0;
  const secret = (kind: string, value: string, at: string): string => {
    let name = secretNames.get(`${kind}\0${value}`);
    if (!name) {
      name = `${kind}-${secretNames.size + 1}`;
      secretNames.set(`${kind}\0${value}`, name);
      const env = `MAMORU_${name.toUpperCase().replace(/-/g, '_')}`;
      secrets[name] = { env };
      notes.push({ item: `secret "${name}"`, why: `a ${kind.replace('-', ' ')} from the Nagios config is not written here; set the environment variable ${env} to it`, where: at });
    }
    return name;
  };

  /** One check (a host's or a service's) on one host. */
  const addCheck = (hostObj: NagiosObject, owner: NagiosObject, label: string, commandText: string, isHost: boolean) => {
    const hostName = hostObj.vars.get('host_name')!;
    const entry = byHost.get(hostName)!;
    const item = isHost ? `host "${hostName}" check` : `service "${hostName}/${label}"`;
    const parts = splitBang(commandText);
    const command = commands.get(parts[0]!);
    if (!command) {
      notes.push({ item, why: `command "${parts[0]}" is not defined in the files read (add the file that defines it, e.g. /etc/nagios-plugins/config)`, where: where(owner) });
      return;
    }
    const macros = new Map<string, string>([['HOSTADDRESS', '$ADDRESS'], ['HOSTNAME', '$NAME'], ['HOSTALIAS', hostObj.vars.get('alias') ?? hostName]]);
    if (!isHost) macros.set('SERVICEDESC', label);
    for (const [k, v] of db.user) macros.set(k, v);
    parts.slice(1).forEach((a, i) => macros.set(`ARG${i + 1}`, a));
    for (const [k, v] of hostObj.vars) if (k.startsWith('_')) macros.set(`_HOST${k.slice(1).toUpperCase()}`, v);
    if (!isHost) for (const [k, v] of owner.vars) if (k.startsWith('_')) macros.set(`_SERVICE${k.slice(1).toUpperCase()}`, v);
    const used = Math.max(0, ...[...(command.vars.get('command_line') ?? '').matchAll(/\$ARG(\d+)\$/g)].map((m) => Number(m[1])));
    const dropped = parts.slice(1 + used).filter((a) => a !== '');
    if (dropped.length) notes.push({ item, why: `command "${parts[0]}" uses no $ARG${used + 1}$: "${dropped.join('!')}" is dropped, as Nagios drops it`, where: where(owner) });
    const unknown = new Set<string>();
    const line = (command.vars.get('command_line') ?? '').replace(/\$([A-Z0-9_]*)\$/gi, (all, name: string) => {
      if (name === '') return '$';
      const v = macros.get(name.toUpperCase());
      if (v !== undefined) return v;
      if (/^ARG\d+$/.test(name)) return '';
      unknown.add(name);
      return all;
    });
    const split = splitCommandLine(line);
    if ('why' in split) {
      notes.push({ item, why: `command "${parts[0]}" ${split.why}; left out`, where: where(command) });
      return;
    }
    if (unknown.size) {
      notes.push({ item, why: `command "${parts[0]}" uses macros mamoru does not fill (${[...unknown].map((u) => `$${u}$`).join(' ')}); left out`, where: where(command) });
      return;
    }
    const ctx: CheckContext = { address: entry.address, local: LOOPBACK.test(entry.address), secret: (kind, value) => secret(kind, value, where(owner)) };
    const mapped = mapPlugin(split.argv, ctx);
    let check: Record<string, unknown>;
    if ('check' in mapped) {
      check = mapped.check;
      native++;
    } else {
      check = { type: 'nagios-plugin', command: split.argv };
      notes.push({ item, why: `runs as nagios-plugin (${mapped.why})`, where: where(owner) });
      plugins++;
    }
    const name = unique(isHost ? 'host-alive' : safeName(label, true), entry.names);
    const ordered: Record<string, unknown> = { name, ...check };
    const minutes = (k: string) => {
      const v = owner.vars.get(k);
      return v !== undefined && /^\d+(\.\d+)?$/.test(v) && Number(v) > 0 ? durationText(Number(v) * db.intervalLength * 1000) : undefined;
    };
    const interval = minutes('check_interval') ?? minutes('normal_check_interval');
    const retry = minutes('retry_interval') ?? minutes('retry_check_interval');
    if (interval) ordered.interval = interval;
    if (retry) ordered.retry_interval = retry;
    const attempts = Number(owner.vars.get('max_check_attempts'));
    if (Number.isInteger(attempts) && attempts >= 1 && attempts <= 100) ordered.max_attempts = attempts;
    entry.checks.push(ordered);
    if (isHost) entry.target.host_check = name;
    const period = owner.vars.get('check_period');
    if (period && !ALWAYS.has(period)) notes.push({ item: `${item}: check_period ${period}`, why: 'mamoru checks at all times; use downtimes for windows without checks', where: where(owner) });
  };

  for (const h of hosts) {
    const cmd = h.vars.get('check_command');
    if (cmd && byHost.has(h.vars.get('host_name')!)) addCheck(h, h, 'host', cmd, true);
  }
  const hostObjs = new Map(hosts.map((h) => [h.vars.get('host_name')!, h]));
  const services = db.resolved('service');
  for (const s of services) {
    const desc = s.vars.get('service_description');
    const on = serviceHosts(list(s.vars.get('host_name')), list(s.vars.get('hostgroup_name')));
    if (!desc || !on.length) {
      notes.push({ item: `service "${desc ?? '?'}"`, why: desc ? 'names no host or host group that was imported' : 'has no service_description', where: where(s) });
      continue;
    }
    if (!s.vars.get('check_command')) {
      notes.push({ item: `service "${desc}"`, why: 'has no check_command (passive only); mamoru takes passive results through /api/ingest', where: where(s) });
      continue;
    }
    for (const hn of on) {
      const h = hostObjs.get(hn);
      if (!h || !byHost.has(hn)) continue;
      addCheck(h, s, desc, s.vars.get('check_command')!, false);
      for (const c of contactsOf(s)) byHost.get(hn)?.contacts.add(c);
    }
  }
  for (const h of hosts) for (const c of contactsOf(h)) byHost.get(h.vars.get('host_name')!)?.contacts.add(c);
  for (const [, e] of byHost) if (e.checks.length) e.target.checks = e.checks;

  function contactsOf(o: NagiosObject): string[] {
    const direct = list(o.vars.get('contacts'));
    const viaGroups = list(o.vars.get('contact_groups')).flatMap((g) => list(contactGroups.find((cg) => cg.vars.get('contactgroup_name') === g)?.vars.get('members')));
    return [...direct, ...viaGroups];
  }

  const contacts: Record<string, unknown>[] = [];
  const local = `mamoru@${hostname()}`;
  const sender = z.email().safeParse(local).success ? local : 'mamoru@localhost.localdomain';
  const contactNames = new Set<string>();
  for (const c of db.resolved('contact')) {
    const name = c.vars.get('contact_name');
    if (!name) continue;
    const email = c.vars.get('email');
    if (!email) {
      notes.push({ item: `contact "${name}"`, why: 'has no email address (pager and other commands are not carried over)', where: where(c) });
      continue;
    }
    if (!z.email().safeParse(email).success) {
      notes.push({ item: `contact "${name}"`, why: `email "${email.slice(0, 80)}" is not an address mamoru sends to (it needs a domain, like ops@example.com); left out`, where: where(c) });
      continue;
    }
    const of = [...byHost.values()].filter((e) => e.contacts.has(name)).map((e) => e.target.name as string);
    if (!of.length) notes.push({ item: `contact "${name}"`, why: 'no imported host or service names this contact; a mamoru contact with no targets hears about every target', where: where(c) });
    const contact: Record<string, unknown> = { name: unique(safeName(name, true), contactNames) };
    if (of.length && of.length < byHost.size) contact.targets = of;
    contact.channels = [{ type: 'email', host: 'localhost', port: 25, tls: 'none', from: sender, to: [email] }];
    contacts.push(contact);
  }
  if (contacts.length) notes.push({ item: 'contacts', why: `Nagios mailed through /usr/bin/mail; the email channels here send through the SMTP server on localhost:25 from ${sender}: change host and from if that is not right` });

  for (const [type, objs] of db.otherTypes(READ_TYPES)) notes.push({ item: `${objs.length} "define ${type}"`, why: 'no counterpart in mamoru', where: where(objs[0]!) });
  for (const h of hosts) if (h.vars.get('event_handler')) notes.push({ item: `host "${h.vars.get('host_name')}": event_handler`, why: "mamoru's runbooks diagnose and repair instead", where: where(h) });

  const config: Record<string, unknown> = {};
  if (Object.keys(secrets).length) config.secrets = secrets;
  config.targets = targets;
  if (contacts.length) config.contacts = contacts;
  const checks = [...byHost.values()].reduce((n, e) => n + e.checks.length, 0);
  return { config, notes, files: db.files, targets: targets.length, checks, native, plugins, contacts: contacts.length };
}

/** `check_x!a!b` to its parts; `\!` is a literal "!". */
function splitBang(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\' && text[i + 1] === '!') {
      cur += '!';
      i++;
    } else if (text[i] === '!') {
      parts.push(cur);
      cur = '';
    } else cur += text[i];
  }
  parts.push(cur);
  return parts.map((p, i) => (i === 0 ? p.trim() : p));
}
