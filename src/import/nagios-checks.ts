/**
 * A Nagios plugin's argument list as one of mamoru's native probes, when every option it is
 * given has a counterpart; otherwise why not (the caller then runs the plugin as it is, with
 * the nagios-plugin probe). `$ADDRESS` in the arguments stands for the target's address.
 */
import { getopt, type OptionSpec, type ParsedOptions } from './argv.ts';

export interface CheckContext {
  /** The target's address, as written in the config. */
  address: string;
  /** The target is the machine mamoru runs on (loopback): local probes measure it. */
  local: boolean;
  /** A secret for a value that must not be written into the config; returns its name. */
  secret(kind: string, value: string): string;
}

export type Mapped = { check: Record<string, unknown> } | { why: string };

const H = { long: ['hostname', 'host'], value: true };
const W = { long: ['warning'], value: true };
const C = { long: ['critical'], value: true };
const T = { long: ['timeout'], value: true };
const IP = { '4': { long: ['use-ipv4'], value: false }, '6': { long: ['use-ipv6'], value: false } };
const TCP_FAMILY: OptionSpec = { H, p: { long: ['port'], value: true }, e: { long: ['expect'], value: true }, s: { long: ['send'], value: true }, S: { long: ['ssl'], value: false }, w: W, c: C, t: T, ...IP };

/** Small MIB-2 names (RFC 1213), so the sample `-o sysUpTime.0` needs no MIB files. */
const MIB2: Record<string, string> = {
  sysDescr: '1.3.6.1.2.1.1.1', sysObjectID: '1.3.6.1.2.1.1.2', sysUpTime: '1.3.6.1.2.1.1.3', sysContact: '1.3.6.1.2.1.1.4', sysName: '1.3.6.1.2.1.1.5', sysLocation: '1.3.6.1.2.1.1.6',
  ifNumber: '1.3.6.1.2.1.2.1', ifIndex: '1.3.6.1.2.1.2.2.1.1', ifDescr: '1.3.6.1.2.1.2.2.1.2', ifType: '1.3.6.1.2.1.2.2.1.3', ifMtu: '1.3.6.1.2.1.2.2.1.4', ifSpeed: '1.3.6.1.2.1.2.2.1.5',
  ifAdminStatus: '1.3.6.1.2.1.2.2.1.7', ifOperStatus: '1.3.6.1.2.1.2.2.1.8', ifInOctets: '1.3.6.1.2.1.2.2.1.10', ifInErrors: '1.3.6.1.2.1.2.2.1.14', ifOutOctets: '1.3.6.1.2.1.2.2.1.16', ifOutErrors: '1.3.6.1.2.1.2.2.1.20',
};

const one = (o: ParsedOptions, k: string) => o.values.get(k)?.at(-1);
const seconds = (v: string | undefined) => (v !== undefined && /^\d+(\.\d+)?$/.test(v) && Number(v) > 0 && Number(v) <= 86_400 ? Number(v) : undefined);
const portOf = (v: string | undefined) => (v !== undefined && /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= 65535 ? Number(v) : undefined);

/** Common parts: -H must be the target, -w/-c seconds, -t the check's timeout. */
function base(o: ParsedOptions, ctx: CheckContext, { thresholds = true } = {}): Record<string, unknown> | { why: string } {
  const h = one(o, 'H');
  if (h !== undefined && h !== '$ADDRESS' && h !== ctx.address && h !== '$NAME') return { why: `-H ${h} is not the target's address` };
  // check_ssh and a few others take the host as a bare argument.
  const rest = o.rest.filter((a) => a !== '$ADDRESS' && a !== ctx.address);
  if (rest.length) return { why: `arguments "${rest.join(' ')}" have no counterpart` };
  const out: Record<string, unknown> = {};
  const t = one(o, 't');
  if (t !== undefined) {
    const s = seconds(t.split(':')[0]);
    if (s === undefined || s > 3600) return { why: `-t ${t} is not a timeout in seconds` };
    out.timeout = `${s}s`;
  }
  if (thresholds)
    for (const k of ['w', 'c'] as const) {
      const v = one(o, k);
      if (v === undefined) continue;
      const s = seconds(v);
      if (s === undefined) return { why: `-${k} ${v} is not a response time in seconds` };
      out[k === 'w' ? 'warning' : 'critical'] = s;
    }
  return out;
}

type Mapper = (o: ParsedOptions, ctx: CheckContext) => Mapped;
const done = (type: string, b: Record<string, unknown> | { why: string }, more: Record<string, unknown> = {}): Mapped => ('why' in b ? (b as { why: string }) : { check: { type, ...more, ...b } });

function lineProbe(type: 'pop3' | 'imap' | 'ftp' | 'smtp' | 'tcp', implicit = false): { spec: OptionSpec; map: Mapper } {
  const spec: OptionSpec = type === 'smtp' ? { H, p: { long: ['port'], value: true }, e: { long: ['expect'], value: true }, S: { long: ['starttls'], value: false }, F: { long: ['fqdn'], value: true }, w: W, c: C, t: T, ...IP } : TCP_FAMILY;
  return {
    spec,
    map(o, ctx) {
      const more: Record<string, unknown> = {};
      const port = one(o, 'p');
      if (port !== undefined) more.port = portOf(port) ?? -1;
      if (more.port === -1) return { why: `-p ${port} is not a port` };
      const e = one(o, 'e');
      if (e !== undefined) more.expect = e;
      if (type === 'tcp') {
        if (more.port === undefined) return { why: 'check_tcp without -p' };
        if (one(o, 's') !== undefined) more.send = one(o, 's');
        if (o.values.has('S')) more.tls = true;
      } else if (type === 'smtp') {
        if (o.values.has('S')) more.tls = 'starttls';
        if (implicit) more.tls = 'implicit';
        if (one(o, 'F') !== undefined) more.fqdn = one(o, 'F');
      } else {
        if (one(o, 's') !== undefined) return { why: '-s (a command sent after connecting) has no counterpart in the ' + type + ' probe' };
        if (o.values.has('S') || implicit) more.tls = 'implicit';
      }
      return done(type, base(o, ctx), more);
    },
  };
}

const MAPPERS: Record<string, { spec: OptionSpec; map: Mapper }> = {
  check_ping: {
    spec: { H, w: W, c: C, p: { long: ['packets'], value: true }, t: T, ...IP },
    map(o, ctx) {
      const more: Record<string, unknown> = {};
      for (const k of ['w', 'c'] as const) {
        const v = one(o, k);
        if (v === undefined) continue;
        if (!/^\d+(\.\d+)?,\d+(\.\d+)?%$/.test(v)) return { why: `-${k} ${v} is not "RTA,LOSS%"` };
        more[k === 'w' ? 'warning' : 'critical'] = v;
      }
      const p = one(o, 'p');
      if (p !== undefined) {
        if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 100) return { why: `-p ${p} is not 1 to 100 packets` };
        more.packets = Number(p);
      }
      return done('ping', base(o, ctx, { thresholds: false }), more);
    },
  },
  check_tcp: lineProbe('tcp'),
  check_smtp: lineProbe('smtp'),
  check_ssmtp: lineProbe('smtp', true),
  check_pop: lineProbe('pop3'),
  check_spop: lineProbe('pop3', true),
  check_imap: lineProbe('imap'),
  check_simap: lineProbe('imap', true),
  check_ftp: lineProbe('ftp'),
  check_ssh: {
    spec: { H, p: { long: ['port'], value: true }, t: T, ...IP },
    map: (o, ctx) => (portOf(one(o, 'p') ?? '22') === undefined ? { why: 'bad -p' } : done('tcp', base(o, ctx), { port: portOf(one(o, 'p') ?? '22'), expect: 'SSH-' })),
  },
  check_http: {
    spec: {
      H, I: { long: ['IP-address'], value: true }, p: { long: ['port'], value: true }, u: { long: ['url', 'uri'], value: true }, S: { long: ['ssl'], value: false }, e: { long: ['expect'], value: true },
      s: { long: ['string'], value: true }, r: { long: ['regex', 'ereg'], value: true }, f: { long: ['onredirect'], value: true }, C: { long: ['certificate'], value: true }, j: { long: ['method'], value: true },
      w: W, c: C, t: T, ...IP, N: { long: ['no-body'], value: false }, E: { long: ['extended-perfdata'], value: false }, 'sni-dummy': { long: ['sni'], value: false },
    },
    map(o, ctx) {
      const more: Record<string, unknown> = {};
      const ip = one(o, 'I');
      const h = one(o, 'H');
      if (ip !== undefined && ip !== '$ADDRESS' && ip !== ctx.address) return { why: `-I ${ip} is not the target's address` };
      if (h !== undefined && h !== '$ADDRESS' && h !== ctx.address && h !== '$NAME') more.host_header = h;
      o.values.delete('H');
      const port = one(o, 'p');
      if (port !== undefined && portOf(port) === undefined) return { why: `-p ${port} is not a port` };
      if (port !== undefined) more.port = portOf(port);
      if (o.values.has('S')) more.tls = true;
      const u = one(o, 'u');
      if (u !== undefined) {
        if (!u.startsWith('/')) return { why: `-u ${u} is not a path` };
        more.path = u;
      }
      const e = one(o, 'e');
      if (e !== undefined) {
        const codes = e.split(',').map((x) => /(?:^|\s)(\d{3})(?:\s|$)/.exec(x.trim())?.[1]);
        if (codes.some((c) => c === undefined)) return { why: `-e ${e} is not a list of status codes` };
        more.expect_status = [...new Set(codes.map(Number))];
      }
      const s = one(o, 's');
      const r = one(o, 'r');
      if (s !== undefined && r !== undefined) return { why: '-s and -r together' };
      if (s !== undefined) more.body_regex = s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (r !== undefined) more.body_regex = r;
      const f = one(o, 'f');
      if (f !== undefined) {
        const redirects = { ok: 'ok', warning: 'warning', critical: 'critical', follow: 'follow', sticky: 'follow', stickyport: 'follow' }[f];
        if (!redirects) return { why: `-f ${f} has no counterpart` };
        more.redirects = redirects;
      }
      const cert = one(o, 'C');
      if (cert !== undefined) {
        const m = /^(\d+)(?:,(\d+))?$/.exec(cert);
        if (!m) return { why: `-C ${cert} is not DAYS[,DAYS]` };
        more.cert_warning_days = Number(m[1]);
        if (m[2] !== undefined) more.cert_critical_days = Number(m[2]);
      }
      const j = one(o, 'j')?.toUpperCase();
      if (j !== undefined) {
        if (!['GET', 'HEAD', 'POST'].includes(j)) return { why: `-j ${j} has no counterpart` };
        more.method = j;
      }
      if (o.values.has('N') && more.method === undefined) more.method = 'HEAD';
      return done('http', base(o, ctx), more);
    },
  },
  check_snmp: {
    spec: {
      H, o: { long: ['oid'], value: true }, C: { long: ['community'], value: true }, P: { long: ['protocol'], value: true }, p: { long: ['port'], value: true }, w: W, c: C, s: { long: ['string'], value: true },
      r: { long: ['ereg'], value: true }, l: { long: ['label'], value: true }, m: { long: ['miblist'], value: true }, e: { long: ['retries'], value: true }, t: T,
    },
    map(o, ctx) {
      const oids: string[] = [];
      for (const raw of (o.values.get('o') ?? []).flatMap((v) => v.split(','))) {
        const m = /^([A-Za-z][\w-]*)((?:\.\d+)*)$/.exec(raw.trim());
        const numeric = /^\.?[0-2](\.\d+)+$/.test(raw.trim()) ? raw.trim() : m && MIB2[m[1]!] ? `${MIB2[m[1]!]}${m[2]}` : undefined;
        if (!numeric) return { why: `OID ${raw} is a name mamoru cannot resolve (it loads no MIBs); write it as numbers` };
        oids.push(numeric);
      }
      if (!oids.length) return { why: 'no -o OID' };
      const more: Record<string, unknown> = { oid: oids };
      const community = one(o, 'C');
      if (community !== undefined && community !== 'public') more.community_secret = ctx.secret('snmp-community', community);
      const v = one(o, 'P');
      if (v !== undefined) {
        if (!['1', '2c'].includes(v)) return { why: `-P ${v}: SNMPv3 credentials are not carried over` };
        more.version = v;
      }
      const port = one(o, 'p');
      if (port !== undefined) more.port = portOf(port) ?? 0;
      if (more.port === 0) return { why: `-p ${port} is not a port` };
      for (const [k, key] of [['w', 'warning'], ['c', 'critical'], ['s', 'expect'], ['r', 'regex']] as const) if (one(o, k) !== undefined) more[key] = one(o, k);
      const labels = (o.values.get('l') ?? []).flatMap((x) => x.split(','));
      if (labels.length) {
        if (labels.length !== oids.length) return { why: '-l labels are not one per OID' };
        more.label = labels;
      }
      const e = one(o, 'e');
      if (e !== undefined) {
        if (!/^[0-5]$/.test(e)) return { why: `-e ${e} is not 0 to 5 retries` };
        more.retries = Number(e);
      }
      o.values.delete('m'); // MIBs only name OIDs, resolved above
      return done('snmp', base(o, ctx, { thresholds: false }), more);
    },
  },
  check_disk: {
    spec: { w: W, c: C, W: { long: ['iwarning'], value: true }, K: { long: ['icritical'], value: true }, p: { long: ['path', 'partition'], value: true }, X: { long: ['exclude-type'], value: true }, t: T, l: { long: ['local'], value: false } },
    map(o, ctx) {
      if (!ctx.local) return { why: "check_disk measures the machine it runs on; the disk probe does too, so it maps only for the target that is this machine" };
      const more: Record<string, unknown> = {};
      for (const [k, key] of [['w', 'warning'], ['c', 'critical'], ['W', 'inode_warning'], ['K', 'inode_critical']] as const) {
        const v = one(o, k);
        if (v === undefined) continue;
        const m = /^(\d+(?:\.\d+)?)%$/.exec(v);
        if (!m || Number(m[1]) > 100) return { why: `-${k} ${v}: only free space in percent maps (mamoru counts used percent)` };
        more[key] = 100 - Number(m[1]);
      }
      if (o.values.has('p')) more.path = o.values.get('p');
      if (o.values.has('X')) more.exclude_type = o.values.get('X');
      return done('disk', base(o, ctx, { thresholds: false }), more);
    },
  },
  check_procs: {
    spec: { w: W, c: C, s: { long: ['state'], value: true }, C: { long: ['command'], value: true }, a: { long: ['argument-array'], value: true }, u: { long: ['user'], value: true }, t: T, 'ereg-dummy': { long: ['ereg-argument-array'], value: true } },
    map(o, ctx) {
      if (!ctx.local) return { why: 'check_procs counts processes on the machine it runs on; the process probe maps only for the target that is this machine' };
      const more: Record<string, unknown> = {};
      for (const [k, key] of [['w', 'warning'], ['c', 'critical'], ['s', 'state'], ['C', 'command'], ['a', 'argument'], ['ereg-dummy', 'argument_regex']] as const) if (one(o, k) !== undefined) more[key] = one(o, k);
      const u = one(o, 'u');
      if (u !== undefined) more.user = /^\d+$/.test(u) ? Number(u) : u;
      if (more.state !== undefined && !/^[A-Za-z<+]+$/.test(String(more.state))) return { why: `-s ${String(more.state)} is not ps STAT letters` };
      return done('process', base(o, ctx, { thresholds: false }), more);
    },
  },
  check_mailq: {
    spec: { w: W, c: C, M: { long: ['mailserver'], value: true }, t: T },
    map(o, ctx) {
      if (!ctx.local) return { why: 'check_mailq reads the queue of the machine it runs on; the mailq probe maps only for the target that is this machine' };
      const m = one(o, 'M');
      if (m !== undefined && m !== 'postfix') return { why: `-M ${m}: the mailq probe reads postfix's queue only` };
      const more: Record<string, unknown> = { mailer: 'postfix' };
      for (const [k, key] of [['w', 'warning'], ['c', 'critical']] as const) {
        const v = one(o, k);
        if (v === undefined) continue;
        if (!/^\d+$/.test(v)) return { why: `-${k} ${v} is not a message count` };
        more[key] = Number(v);
      }
      return done('mailq', base(o, ctx, { thresholds: false }), more);
    },
  },
  check_dns: {
    spec: { H, s: { long: ['server'], value: true }, a: { long: ['expected-address'], value: true }, q: { long: ['querytype'], value: true }, w: W, c: C, t: T },
    map: (o, ctx) => dnsCheck(o, ctx, one(o, 'H'), one(o, 's'), one(o, 'q'), undefined),
  },
  check_dig: {
    spec: { H, l: { long: ['query_address'], value: true }, T: { long: ['record_type'], value: true }, a: { long: ['expected_address'], value: true }, p: { long: ['port'], value: true }, w: W, c: C, t: T, ...IP },
    map: (o, ctx) => dnsCheck(o, ctx, one(o, 'l'), one(o, 'H'), one(o, 'T'), one(o, 'p')),
  },
  check_mysql: {
    spec: { H, P: { long: ['port'], value: true }, u: { long: ['username'], value: true }, p: { long: ['password'], value: true }, d: { long: ['database'], value: true }, t: T },
    map(o, ctx) {
      const more: Record<string, unknown> = {};
      const port = one(o, 'P');
      if (port !== undefined) more.port = portOf(port) ?? 0;
      if (more.port === 0) return { why: `-P ${port} is not a port` };
      if (one(o, 'u') !== undefined) more.username = one(o, 'u');
      if (one(o, 'p') !== undefined) more.password_secret = ctx.secret('mysql-password', one(o, 'p')!);
      if (one(o, 'd') !== undefined) more.database = one(o, 'd');
      return done('mysql', base(o, ctx, { thresholds: false }), more);
    },
  },
};

/** check_dns and check_dig: the name, the server (an address), the type, the expected answers. */
function dnsCheck(o: ParsedOptions, ctx: CheckContext, query: string | undefined, server: string | undefined, type: string | undefined, port: string | undefined): Mapped {
  if (!query) return { why: 'no name to look up' };
  const more: Record<string, unknown> = { query };
  if (server !== undefined) {
    const s = server === '$ADDRESS' ? ctx.address : server;
    if (!/^[\d.]+$|:/.test(s)) return { why: `the DNS server "${server}" is not an IP address (the dns probe takes one)` };
    more.server = s;
  }
  if (type !== undefined) {
    if (!['A', 'AAAA', 'MX', 'TXT', 'CNAME', 'NS'].includes(type.toUpperCase())) return { why: `record type ${type} has no counterpart` };
    more.record_type = type.toUpperCase();
  }
  if (port !== undefined) more.port = portOf(port) ?? 0;
  if (more.port === 0) return { why: `-p ${port} is not a port` };
  const a = (o.values.get('a') ?? []).flatMap((x) => x.split(',')).filter(Boolean);
  if (a.length) more.expect = a;
  o.values.delete('H');
  return done('dns', base(o, ctx), more);
}

/** The plugin (by its file name) and its arguments as a native check, or why not. */
export function mapPlugin(argv: string[], ctx: CheckContext): Mapped {
  const name = argv[0]!.split('/').at(-1)!;
  const m = MAPPERS[name];
  if (!m) return { why: `${name} has no native probe` };
  const o = getopt(argv.slice(1), m.spec);
  if ('why' in o) return { why: `${name}: ${o.why}` };
  const r = m.map(o, ctx);
  return 'why' in r ? { why: `${name}: ${r.why}` } : r;
}
