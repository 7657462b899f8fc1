/**
 * The pieces of a fail2ban jail translated one by one: its filter to mamoru's filters (by the
 * filter name and its `mode`), fail2ban's times (`10m`, `1d 12h`, `3600`, `-1`), port names
 * through /etc/services, and a systemd `journalmatch` to a journald source.
 */
import { readFileSync } from 'node:fs';
import { filters as mamoruFilters } from '../guard/filters/index.ts';
import type { FilterMode } from '../guard/failure.ts';

const SECOND = 1000;
const DAY = 86_400 * SECOND;
/** mamoru's longest ban and window (src/config/bounds.ts BOUNDS.ban). */
export const LONGEST = 366 * DAY;

/** What a fail2ban filter becomes: mamoru filters and a mode, or why not. */
export type FilterMapping = { filters: string[]; mode?: FilterMode; note?: string } | { why: string };

const same = (name: string) => (): FilterMapping => ({ filters: [name] });

/**
 * fail2ban's stock filters (filter.d/NAME.conf) that have a mamoru counterpart. A filter not
 * here is listed as not mapped; its failure regexes are not translated.
 */
const FILTERS: Record<string, (mode: string | undefined) => FilterMapping> = {
  sshd: (mode) => {
    if (mode === undefined || mode === 'normal') return { filters: ['sshd'] };
    if (mode === 'ddos') return { filters: ['sshd'], mode: 'ddos' };
    if (mode === 'aggressive') return { filters: ['sshd'], mode: 'aggressive' };
    if (mode === 'extra') return { filters: ['sshd'], mode: 'aggressive', note: 'sshd mode "extra" became mode aggressive, which also counts the ddos forms' };
    return { why: `sshd mode "${mode}" is not one fail2ban defines` };
  },
  dovecot: same('dovecot'),
  postfix: (mode) => {
    if (mode === 'auth') return { filters: ['postfix-sasl'] };
    if (mode === 'aggressive') return { filters: ['postfix', 'postfix-sasl'], mode: 'aggressive' };
    if (mode === 'ddos') return { filters: ['postfix'], mode: 'ddos' };
    return { filters: ['postfix'] };
  },
  'postfix-sasl': same('postfix-sasl'),
  'apache-auth': same('apache-auth'),
  'apache-botsearch': same('bot-search'),
  'nginx-botsearch': same('bot-search'),
  'nginx-http-auth': same('nginx-auth'),
  'nginx-limit-req': same('nginx-limit-req'),
  exim: same('exim'),
  'mysqld-auth': same('mysqld'),
  'named-refused': same('named'),
  'courier-auth': same('courier'),
  'courier-smtp': same('courier'),
  vsftpd: same('vsftpd'),
  proftpd: same('proftpd'),
  'pure-ftpd': same('pure-ftpd'),
};

/** `sshd[mode=aggressive, port="22"]` to its name and options. */
export function parseFilterSpec(spec: string): { name: string; options: Record<string, string> } {
  const m = /^\s*([^[\s]+)\s*(?:\[(.*)\])?\s*$/s.exec(spec);
  if (!m) return { name: spec.trim(), options: {} };
  const options: Record<string, string> = {};
  for (const part of (m[2] ?? '').matchAll(/([\w.-]+)\s*=\s*("([^"]*)"|'([^']*)'|[^,]*)/g)) options[part[1]!.toLowerCase()] = (part[3] ?? part[4] ?? part[2] ?? '').trim();
  return { name: m[1]!, options };
}

export function mapFilter(spec: string): FilterMapping {
  const { name, options } = parseFilterSpec(spec);
  const map = FILTERS[name];
  if (!map) return { why: `fail2ban filter "${name}" has no mamoru counterpart (mamoru's filters: ${Object.keys(mamoruFilters).join(', ')})` };
  const out = map(options.mode || undefined);
  if ('filters' in out) for (const f of out.filters) if (!(f in mamoruFilters)) return { why: `mamoru has no "${f}" filter` };
  return out;
}

const TIME_UNITS: [RegExp, number][] = [
  [/^(?:years?|yy?)$/, 365.2425 * DAY],
  [/^(?:months?|mo)$/, (365.2425 / 12) * DAY],
  [/^(?:weeks?|wee?|ww?)$/, 7 * DAY],
  [/^(?:days?|da|dd?)$/, DAY],
  [/^(?:hours?|hh?)$/, 3600 * SECOND],
  [/^(?:minutes?|mins?|mm?)$/, 60 * SECOND],
  [/^(?:seconds?|secs?|ss?)$/, SECOND],
];

/**
 * A fail2ban time (`600`, `10m`, `1h30m`, `1d 12h`, `2 weeks`) in ms; `-1` (or any negative)
 * is "forever"; undefined when it is not one (fail2ban also allows arithmetic, not read here).
 */
export function parseF2bTime(text: string): number | 'forever' | undefined {
  const t = text.trim().toLowerCase();
  if (/^-\d+(\.\d+)?$/.test(t)) return 'forever';
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * SECOND);
  let total = 0;
  let rest = t;
  while (rest.length) {
    const m = /^(\d+(?:\.\d+)?)\s*([a-z]+)\s*/.exec(rest);
    if (!m) return undefined;
    const unit = TIME_UNITS.find(([re]) => re.test(m[2]!));
    if (!unit) return undefined;
    total += Number(m[1]) * unit[1];
    rest = rest.slice(m[0].length);
  }
  return t.length ? Math.round(total) : undefined;
}

let services: Map<string, number> | undefined;

/** /etc/services, read once (names and aliases to tcp ports). */
function serviceTable(): Map<string, number> {
  if (services) return services;
  services = new Map();
  let text = '';
  try {
    text = readFileSync('/etc/services', 'utf8').slice(0, 1024 * 1024);
  } catch {
    // no netbase: names stay unresolved and are listed
  }
  for (const line of text.split('\n')) {
    const m = /^([\w.+-]+)\s+(\d+)\/(tcp|udp)((?:\s+[\w.+-]+)*)/.exec(line.replace(/#.*/, ''));
    if (!m) continue;
    for (const name of [m[1]!, ...m[4]!.trim().split(/\s+/).filter(Boolean)]) if (!services.has(name)) services.set(name, Number(m[2]));
  }
  return services;
}

/** A fail2ban `port`: one port, all ports (absent, `0:65535`, `1:65535`), or several (why not one). */
export function mapPort(text: string | undefined): { port?: number; several?: string; unknown?: string[] } {
  const items = (text ?? '').split(/[,\s]+/).filter(Boolean);
  if (!items.length || items.every((i) => /^(0|1):65535$/.test(i))) return {};
  const ports: number[] = [];
  const unknown: string[] = [];
  for (const item of items) {
    if (/^\d+$/.test(item) && Number(item) >= 1 && Number(item) <= 65535) ports.push(Number(item));
    else if (/^\d+:\d+$/.test(item)) return { several: items.join(',') };
    else {
      const p = serviceTable().get(item);
      if (p === undefined) unknown.push(item);
      else ports.push(p);
    }
  }
  const distinct = [...new Set(ports)];
  if (unknown.length) return { unknown };
  if (distinct.length === 1) return { port: distinct[0]! };
  return { several: items.join(',') };
}

/**
 * A `journalmatch` (`_SYSTEMD_UNIT=sshd.service + _COMM=sshd`: groups OR'ed by "+", the matches
 * in a group AND'ed) as a journald source. A group of several matches keeps its unit or
 * identifier and says what it dropped.
 */
export function journalSource(match: string | undefined): { source: { type: 'journald'; units: string[]; identifiers: string[]; matches: string[] }; dropped: string[] } {
  const source = { type: 'journald' as const, units: [] as string[], identifiers: [] as string[], matches: [] as string[] };
  const dropped: string[] = [];
  for (const group of (match ?? '').split(/\s\+\s|\n/).map((g) => g.trim().split(/\s+/).filter(Boolean)).filter((g) => g.length)) {
    const [first, ...rest] = group;
    const unit = /^_SYSTEMD_UNIT=(\S+?)(?:\.service)?$/.exec(first!);
    const ident = /^SYSLOG_IDENTIFIER=(\S+)$/.exec(first!);
    if (unit) source.units.push(unit[1]!);
    else if (ident) source.identifiers.push(ident[1]!);
    else if (/^[A-Z0-9_]+=\S+$/.test(first!)) source.matches.push(first!);
    else dropped.push(first!);
    dropped.push(...rest);
  }
  return { source, dropped };
}
