/**
 * `mamoru import fail2ban`: fail2ban's jail config read as fail2ban reads it (jail.conf, then
 * jail.d/*.conf, jail.local, jail.d/*.local, each over the last; [DEFAULT] inherited; includes
 * and interpolation), and each enabled jail written as a mamoru guard jail. What has no
 * counterpart (an unknown filter, hostnames in ignoreip, actions, several ports) is listed.
 */
import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { parseCidr } from '../guard/address.ts';
import { isDir, InputBudget, unreadable, durationText, safeName, unique, type ImportNote } from './common.ts';
import { IniConfig, InterpolationError, iniBoolean } from './ini.ts';
import { journalSource, LONGEST, mapFilter, mapPort, parseF2bTime, parseFilterSpec } from './fail2ban-map.ts';

export interface Fail2banImport {
  config: { guard: Record<string, unknown> };
  notes: ImportNote[];
  /** Files read, in order. */
  files: string[];
  /** Jails enabled in the input, and how many became mamoru jails. */
  enabled: string[];
  mapped: string[];
}

/** The files fail2ban reads for its jails, in its order, from the folder of `input`. */
function jailFiles(input: string, budget: InputBudget): { dir: string; files: string[] } {
  const dir = isDir(input) ? input : dirname(input);
  if (!isDir(input) && !/^jail\.(conf|local)$/.test(basename(input))) return { dir, files: [input] };
  const d = join(dir, 'jail.d');
  const inD = (ext: string) => (isDir(d) ? budget.list(d, (n) => n.endsWith(ext)).filter((f) => dirname(f) === d) : []);
  const files = [join(dir, 'jail.conf'), ...inD('.conf'), join(dir, 'jail.local'), ...inD('.local')].filter((f) => existsSync(f));
  if (!files.length) throw unreadable(input, 'no jail.conf or jail.local here; give fail2ban\'s folder (/etc/fail2ban) or its jail.local');
  return { dir, files };
}

export function importFail2ban(input: string): Fail2banImport {
  const budget = new InputBudget();
  const { dir, files } = jailFiles(input, budget);
  const ini = new IniConfig(budget);
  for (const f of files) ini.read(f);
  const notes: ImportNote[] = [];
  const at = (section: string, key: string) => {
    const e = ini.entry(section, key);
    return e ? `${e.file}:${e.line}` : undefined;
  };
  const get = (section: string, key: string): string | undefined => {
    try {
      return ini.get(section, key);
    } catch (e) {
      if (!(e instanceof InterpolationError)) throw e;
      notes.push({ item: `[${section}] ${key}`, why: `cannot be read: ${e.message}`, ...opt(at(section, key)) });
      return undefined;
    }
  };

  const jails: Record<string, unknown>[] = [];
  const names = new Set<string>();
  const enabled: string[] = [];
  const mapped: string[] = [];
  const allow = new Set<string>();
  let recidive: Record<string, unknown> | undefined;

  const addIgnore = (section: string) => {
    const value = get(section, 'ignoreip');
    for (const item of (value ?? '').split(/[\s,]+/).filter(Boolean)) {
      const c = parseCidr(item);
      if (!c) notes.push({ item: `ignoreip "${item.slice(0, 100)}"`, why: 'not an address or network (a host name is resolved by fail2ban at each check; mamoru allows addresses and networks only: add its address to guard.allow)', ...opt(at(section, 'ignoreip')) });
      else if (c.prefix < (c.family === 6 ? 16 : 8)) notes.push({ item: `ignoreip "${item}"`, why: 'wider than mamoru allows without guard.allow_everything: true; left out', ...opt(at(section, 'ignoreip')) });
      else allow.add(item);
    }
  };
  addIgnore('DEFAULT');
  for (const key of ['ignorecommand', 'ignoreself']) {
    const v = get('DEFAULT', key);
    if (key === 'ignorecommand' && v) notes.push({ item: 'ignorecommand', why: 'mamoru runs no command to decide; use guard.allow', ...opt(at('DEFAULT', key)) });
    if (key === 'ignoreself' && iniBoolean(v) === false) notes.push({ item: 'ignoreself = false', why: "mamoru always allows this machine's own addresses", ...opt(at('DEFAULT', key)) });
  }

  for (const section of ini.order) {
    if (section === 'DEFAULT') continue;
    if (iniBoolean(get(section, 'enabled')) !== true) continue;
    enabled.push(section);
    const jail = `jail "${section}"`;
    const time = (key: string, fallback: number): number => {
      const raw = get(section, key);
      if (raw === undefined || raw.trim() === '') return fallback;
      const t = parseF2bTime(raw);
      if (t === undefined) {
        notes.push({ item: `${jail}: ${key} = ${raw.slice(0, 40)}`, why: `not a time mamoru can read; ${durationText(fallback)} used`, ...opt(at(section, key)) });
        return fallback;
      }
      if (t === 'forever') {
        notes.push({ item: `${jail}: ${key} = ${raw.trim()}`, why: `mamoru has no permanent ban; the longest, ${durationText(LONGEST)}, used`, ...opt(at(section, key)) });
        return LONGEST;
      }
      if (t > LONGEST || t < 1000) notes.push({ item: `${jail}: ${key} = ${raw.trim()}`, why: `outside mamoru's 1s to ${durationText(LONGEST)}; held to it`, ...opt(at(section, key)) });
      return Math.min(LONGEST, Math.max(1000, t));
    };
    const maxretry = Number(get(section, 'maxretry') ?? 5);
    const findTime = time('findtime', 600_000);
    const banTime = time('bantime', 600_000);

    if (parseFilterSpec(get(section, 'filter') ?? section).name === 'recidive') {
      recidive = { max_bans: Math.max(2, Math.min(1000, Number.isInteger(maxretry) ? maxretry : 5)), find_time: durationText(findTime), ban_time: durationText(banTime) };
      mapped.push(section);
      continue;
    }
    const filterSpec = get(section, 'filter');
    const f = mapFilter(filterSpec ?? section);
    if ('why' in f) {
      notes.push({ item: jail, why: `left out: ${f.why}`, ...opt(at(section, 'filter') ?? at(section, 'enabled')) });
      continue;
    }
    if (f.note) notes.push({ item: jail, why: f.note, ...opt(at(section, 'filter')) });

    const out: Record<string, unknown> = { name: unique(safeName(section), names), filters: f.filters };
    if (f.mode) out.mode = f.mode;
    if (!Number.isInteger(maxretry) || maxretry < 1 || maxretry > 10_000) notes.push({ item: `${jail}: maxretry`, why: 'not a whole number from 1 to 10000; 5 used', ...opt(at(section, 'maxretry')) });
    out.max_retry = Number.isInteger(maxretry) && maxretry >= 1 && maxretry <= 10_000 ? maxretry : 5;
    out.find_time = durationText(findTime);
    out.ban_time = durationText(banTime);
    out.ban_time_increment = increment(section, get, at, banTime, notes, jail);

    const port = mapPort(get(section, 'port'));
    if (port.port !== undefined) out.port = port.port;
    else if (port.several) notes.push({ item: `${jail}: port = ${port.several}`, why: 'mamoru bans one port or every port; this jail bans every port', ...opt(at(section, 'port')) });
    else if (port.unknown) notes.push({ item: `${jail}: port ${port.unknown.join(',')}`, why: 'not a port number or a name in /etc/services; this jail bans every port', ...opt(at(section, 'port')) });
    const proto = get(section, 'protocol')?.trim();
    if (out.port !== undefined && (proto === 'udp' || proto === 'tcp')) out.proto = proto;

    const backend = (get(section, 'backend') ?? 'auto').trim();
    if (backend.startsWith('systemd')) {
      const match = get(section, 'journalmatch') ?? filterJournalMatch(dir, parseFilterSpec(filterSpec ?? section).name, budget);
      const { source, dropped } = journalSource(match);
      if (dropped.length) notes.push({ item: `${jail}: journalmatch ${dropped.join(' ')}`, why: 'mamoru matches units, identifiers and single FIELD=value terms; these terms were dropped', ...opt(at(section, 'journalmatch')) });
      if (!source.units.length && !source.identifiers.length && !source.matches.length) {
        notes.push({ item: jail, why: 'backend = systemd without a journalmatch mamoru can use; left out (add a journald source with units: [...])', ...opt(at(section, 'backend')) });
        continue;
      }
      out.sources = [compact(source)];
    } else {
      const paths = (get(section, 'logpath') ?? '')
        .split('\n')
        .map((l) => l.trim().replace(/\s+(?:tail|head)$/, ''))
        .filter(Boolean);
      if (!paths.length) {
        notes.push({ item: jail, why: 'no logpath (and not backend = systemd); left out', ...opt(at(section, 'logpath') ?? at(section, 'enabled')) });
        continue;
      }
      out.sources = [{ type: 'file', paths }];
    }
    for (const key of ['action', 'banaction']) {
      const e = ini.sections.get(section)?.get(key);
      if (e) notes.push({ item: `${jail}: ${key}`, why: "mamoru bans through guard.firewall for every jail; a jail's own actions (mail, reports) are not carried over", where: `${e.file}:${e.line}` });
    }
    if (ini.sections.get(section)?.has('ignoreip')) {
      notes.push({ item: `${jail}: ignoreip`, why: "mamoru's allow list holds for every jail; this jail's entries were added to guard.allow", ...opt(at(section, 'ignoreip')) });
      addIgnore(section);
    }
    jails.push(out);
    mapped.push(section);
  }
  const guard: Record<string, unknown> = {};
  if (allow.size) guard.allow = [...allow];
  guard.jails = jails;
  if (recidive) guard.recidive = recidive;
  return { config: { guard }, notes, files: ini.files, enabled, mapped };
}

/** fail2ban's bantime.increment options as mamoru's one growth factor and longest ban. */
function increment(section: string, get: (s: string, k: string) => string | undefined, at: (s: string, k: string) => string | undefined, banTime: number, notes: ImportNote[], jail: string): { factor: number; max: string } {
  const floor = (ms: number) => durationText(Math.max(ms, banTime));
  if (iniBoolean(get(section, 'bantime.increment')) !== true) return { factor: 1, max: floor(604_800_000) };
  const maxRaw = get(section, 'bantime.maxtime');
  const maxT = maxRaw ? parseF2bTime(maxRaw) : undefined;
  const max = maxT === undefined ? 604_800_000 : maxT === 'forever' ? LONGEST : Math.min(maxT, LONGEST);
  const mult = (get(section, 'bantime.multipliers') ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
  let factor = 2;
  if (mult.length >= 2 && mult.every((m) => m > 0)) {
    factor = Math.min(1000, Math.max(1, mult[1]! / mult[0]!));
    if (!mult.every((m, i) => i === 0 || Math.abs(m / mult[i - 1]! - factor) < 1e-9))
      notes.push({ item: `${jail}: bantime.multipliers`, why: `mamoru grows a ban by one factor each time; ${factor} (the first step) used`, ...opt(at(section, 'bantime.multipliers')) });
  } else {
    const f = Number(get(section, 'bantime.factor') ?? 1);
    if (f !== 1) notes.push({ item: `${jail}: bantime.factor = ${f}`, why: 'mamoru doubles each further ban (factor 2) as fail2ban does with factor 1; set ban_time_increment.factor by hand for faster growth', ...opt(at(section, 'bantime.factor')) });
  }
  for (const key of ['bantime.formula', 'bantime.rndtime', 'bantime.overalljails']) {
    const v = get(section, key);
    if (v && !(key === 'bantime.overalljails' && iniBoolean(v) === false)) notes.push({ item: `${jail}: ${key}`, why: key === 'bantime.overalljails' ? 'mamoru counts repeat bans per jail; guard.recidive bans repeat offenders across jails' : 'no counterpart in mamoru', ...opt(at(section, key)) });
  }
  return { factor, max: floor(max) };
}

/** The `journalmatch` of fail2ban's filter file (filter.d/NAME.conf and .local), if there is one. */
function filterJournalMatch(dir: string, name: string, budget: InputBudget): string | undefined {
  const ini = new IniConfig(budget);
  for (const f of [join(dir, 'filter.d', `${name}.conf`), join(dir, 'filter.d', `${name}.local`)]) if (existsSync(f)) ini.read(f);
  for (const section of ['Init', 'Definition'])
    try {
      const v = ini.sections.get(section)?.has('journalmatch') ? ini.get(section, 'journalmatch') : undefined;
      if (v) return v;
    } catch {
      // an unreadable journalmatch is treated as none (the jail is then listed)
    }
  return undefined;
}

function compact(source: { type: 'journald'; units: string[]; identifiers: string[]; matches: string[] }): Record<string, unknown> {
  const out: Record<string, unknown> = { type: 'journald' };
  if (source.units.length) out.units = source.units;
  if (source.identifiers.length) out.identifiers = source.identifiers;
  if (source.matches.length) out.matches = source.matches;
  return out;
}

function opt(where: string | undefined): { where?: string } {
  return where ? { where } : {};
}
