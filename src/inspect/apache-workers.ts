/**
 * Apache's worker limit against its running workers (the runbook's `MaxClients 256` in httpd.conf
 * against `ps auxww | grep -c http`), and Apache's own word that it hit the limit
 * (`AH00161: server reached MaxRequestWorkers setting`, `server reached MaxClients setting` in
 * 2.2) in the error log, with its time. The effective limit follows Apache's rules: the last
 * MaxRequestWorkers or MaxClients at server level in the active MPM's block or outside any,
 * capped by ServerLimit (and ThreadsPerChild for threaded MPMs), the MPM's default when unset.
 * The file and line returned are where the limit is written: a later action changes that line.
 */
import { trimTrailingSlashes } from '../core/path.ts';
import type { Executor } from '../executors/types.ts';
import { lastDirective, readApacheConfig, type ApacheConfig, type ApacheDirective } from './apache-config.ts';
import { inspectErrorLog } from './error-log.ts';
import { APACHE_PID_FILES, trustMaster } from './master-trust.ts';
import { inspectProcesses, masterProcess, processesNamed, type ProcessEntry } from './processes.ts';
import { plural, type Evidence } from './types.ts';

export type Mpm = 'prefork' | 'worker' | 'event' | 'unknown';

/** A setting, where it is written (no file: Apache's default applies). */
export interface SettingAt {
  directive: string;
  value: number;
  file?: string | undefined;
  line?: number | undefined;
}

export interface Ah00161 {
  /** ISO time of the line, when it could be read. */
  time?: string | undefined;
  /** AH00161 (prefork), AH00286 (worker), AH00484 (event); absent in 2.2's wording. */
  code?: string | undefined;
  text: string;
}

export interface ApacheWorkersEvidence extends Evidence {
  mpm: Mpm;
  /** Requests served at once, at most: the effective limit. */
  limit: number;
  /** The directive that sets it, as spelled in the config (MaxRequestWorkers when unset). */
  directive: string;
  /** Where it is written; absent when the MPM's default applies. */
  file?: string | undefined;
  line?: number | undefined;
  /** The value written there (before ServerLimit capped it). */
  configured?: number | undefined;
  /** The setting that lowers the configured value, when one does (raise it too, or nothing changes). */
  cappedBy?: SettingAt | undefined;
  serverLimit: SettingAt;
  threadsPerChild?: SettingAt | undefined;
  /** Worker processes running now: the master's children. */
  running: number;
  /** Running workers have reached the limit (threaded MPMs: processes × ThreadsPerChild). */
  atLimit: boolean;
  masterPid?: number | undefined;
  /** The latest "server reached MaxRequestWorkers/MaxClients setting" in the error log. */
  lastAh00161?: Ah00161 | undefined;
  configFile: string;
  serverRoot: string;
  errorLog?: string | undefined;
  /** Config files read, in order. */
  files: string[];
  /** What could not be read or decided. */
  problems: string[];
  /** The config was too large (or too deep, too many files) to read whole: nothing read from it may be acted on. */
  tooLarge?: string | undefined;
}

export interface ApacheWorkersOptions {
  /** Apache's process names. @defaultValue ['apache2', 'httpd'] */
  names?: string[];
  /** The main config file; by default from the master's `-f`, else the distribution's. */
  configFile?: string;
  /** By default from the master's `-d`, else the distribution's. */
  serverRoot?: string;
  /** Where the service writes its pid (a master whose parent is not PID 1 must be named there). */
  pidFile?: string;
  /** The error log; by default from the config's ErrorLog. */
  errorLog?: string;
  /** Bytes of the error log's end searched for AH00161. @defaultValue 1048576 */
  errorLogBytes?: number;
  timeoutMs?: number;
}

const REACHED = /server reached (MaxRequestWorkers|MaxClients) setting/;

/** Distribution layouts: [binary name, ServerRoot, main file relative to it]. */
const LAYOUTS: [string, string, string][] = [
  ['apache2', '/etc/apache2', 'apache2.conf'],
  ['httpd', '/etc/httpd', 'conf/httpd.conf'],
  ['httpd', '/usr/local/apache2', 'conf/httpd.conf'],
];

/** -f, -d and -D from the master's command line (`apache2 -d ROOT -f FILE -D NAME -k start`). */
export function masterArgs(args: string): { binary?: string; configFile?: string; serverRoot?: string; defines: string[] } {
  const words = args.split(/\s+/).filter(Boolean);
  const out: { binary?: string; configFile?: string; serverRoot?: string; defines: string[] } = { binary: words[0], defines: [] };
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    const flag = /^-([fdD])(.*)$/.exec(w);
    if (!flag) continue;
    const value = flag[2] || words[++i];
    if (!value) continue;
    if (flag[1] === 'f') out.configFile = value;
    else if (flag[1] === 'd') out.serverRoot = value;
    else out.defines.push(value);
  }
  return out;
}

/** Debian's /etc/apache2/envvars: `export NAME=value` lines, with $NAME and ${NAME} from earlier lines. */
export function parseEnvvars(text: string): Record<string, string> {
  const env: Record<string, string> = { SUFFIX: '' };
  for (const line of text.split('\n')) {
    // Bounded: a line longer than any real envvars line is not read (the substitution below scans it).
    if (line.length > 4096) continue;
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    const value = m[2]!.trim().replace(/^(["'])(.*)\1$/, '$2');
    env[m[1]!] = value.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}?/g, (_, n: string) => env[n] ?? '');
  }
  return env;
}

async function exists(exec: Executor, path: string): Promise<boolean> {
  return (await exec.run(['test', '-e', path], { timeoutMs: 10_000 })).code === 0;
}

/** Where the config is and what to substitute in it, from the master process or the layouts. */
async function locate(exec: Executor, master: ProcessEntry | undefined, opts: ApacheWorkersOptions) {
  const fromMaster = master ? masterArgs(master.args) : { defines: [] as string[] };
  const binaryName = (fromMaster.binary ?? master?.name ?? '').split('/').pop() ?? '';
  let serverRoot = opts.serverRoot ?? fromMaster.serverRoot;
  let configFile = opts.configFile ?? fromMaster.configFile;
  if (!serverRoot || !configFile) {
    const candidates = LAYOUTS.filter(([b]) => !binaryName || b === binaryName);
    for (const [, root, conf] of candidates.length ? candidates : LAYOUTS) {
      const file = configFile ?? conf;
      if (!(file.startsWith('/') || (serverRoot ?? root).startsWith('/'))) continue;
      if (await exists(exec, file.startsWith('/') ? file : `${serverRoot ?? root}/${file}`)) {
        serverRoot ??= root;
        configFile = file;
        break;
      }
    }
  }
  let env: Record<string, string> = {};
  if (master) {
    const environ = await exec.readFile(`/proc/${master.pid}/environ`, { maxBytes: 256 * 1024 }).catch(() => '');
    for (const kv of environ.split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  if (!Object.keys(env).some((k) => k.startsWith('APACHE_')) && serverRoot) {
    const envvars = await exec.readFile(`${serverRoot}/envvars`, { maxBytes: 64 * 1024 }).catch(() => undefined);
    if (envvars) env = { ...parseEnvvars(envvars), ...env };
  }
  return { serverRoot: serverRoot ?? '/etc/apache2', configFile: configFile ?? 'apache2.conf', env, defines: fromMaster.defines };
}

/** Apache's control programs, by fixed name (never a program a process names): Debian's, upstream's, the binary. */
const LIST_MODULES = [
  ['apache2ctl', '-l'],
  ['apachectl', '-l'],
  ['httpd', '-l'],
];

/** Modules compiled into the binary (`apache2ctl -l`), under both names <IfModule> accepts. */
async function staticModules(exec: Executor, timeoutMs = 10_000): Promise<string[]> {
  let r;
  for (const argv of LIST_MODULES) {
    r = await exec.run(argv, { timeoutMs, maxOutputBytes: 64 * 1024 });
    if (r.code !== 127) break;
  }
  if (!r || r.code !== 0) return [];
  const out: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const m = /^\s*([A-Za-z0-9_]{1,64})\.c\s*$/.exec(line);
    if (!m) continue;
    const src = m[1]!;
    out.push(`${src}.c`, ['prefork', 'worker', 'event'].includes(src) ? `mpm_${src}_module` : `${src.replace(/^mod_/, '')}_module`);
  }
  return out;
}

function mpmOf(config: ApacheConfig): Mpm {
  for (const m of ['prefork', 'worker', 'event'] as const) if (config.modules.includes(`mpm_${m}_module`) || config.modules.includes(`${m}.c`)) return m;
  return 'unknown';
}

function setting(d: ApacheDirective | undefined, name: string, fallback: number): SettingAt {
  const v = d ? parseInt(d.args[0] ?? '', 10) : NaN;
  return Number.isFinite(v) ? { directive: d!.name, value: v, file: d!.file, line: d!.line } : { directive: name, value: fallback };
}

/** Apache's own arithmetic for the effective limit (per MPM, with its defaults). */
export function effectiveLimit(config: ApacheConfig, mpm: Mpm) {
  const written = lastDirective(config, ['MaxRequestWorkers', 'MaxClients']);
  const threaded = mpm === 'worker' || mpm === 'event';
  const serverLimit = setting(lastDirective(config, ['ServerLimit']), 'ServerLimit', threaded ? 16 : 256);
  let threadsPerChild: SettingAt | undefined;
  let cap = serverLimit.value;
  let cappedByDirective: SettingAt = serverLimit;
  if (threaded) {
    const threadLimit = setting(lastDirective(config, ['ThreadLimit']), 'ThreadLimit', 64);
    threadsPerChild = setting(lastDirective(config, ['ThreadsPerChild']), 'ThreadsPerChild', 25);
    threadsPerChild = { ...threadsPerChild, value: Math.max(1, Math.min(threadsPerChild.value, threadLimit.value)) };
    cap = serverLimit.value * threadsPerChild.value;
    cappedByDirective = { directive: `ServerLimit × ThreadsPerChild`, value: cap, file: serverLimit.file, line: serverLimit.line };
  }
  const configuredRaw = written ? parseInt(written.args[0] ?? '', 10) : NaN;
  const configured = Number.isFinite(configuredRaw) ? configuredRaw : undefined;
  let limit = Math.max(1, Math.min(configured ?? cap, cap));
  // Threaded MPMs round the limit down to a whole number of processes.
  if (threadsPerChild) limit = Math.max(threadsPerChild.value, limit - (limit % threadsPerChild.value));
  const cappedBy = configured !== undefined && configured > cap ? cappedByDirective : undefined;
  return { written, configured, limit, serverLimit, threadsPerChild, cappedBy };
}

function errorLogPath(config: ApacheConfig, override: string | undefined): string | undefined {
  if (override) return override;
  const d = lastDirective(config, ['ErrorLog']);
  const p = d?.args[0] ?? 'logs/error_log';
  // Piped (|rotatelogs) or syslog: not a file mamoru can read.
  if (p.startsWith('|') || p.startsWith('syslog')) return undefined;
  return p.startsWith('/') ? p : `${trimTrailingSlashes(config.serverRoot)}/${p}`;
}

function clock(iso: string | undefined): string {
  return iso ? new Date(iso).toTimeString().slice(0, 8) : 'an unknown time';
}

/** Reads Apache's worker limit, its running workers and its last AH00161. */
export async function inspectApacheWorkers(exec: Executor, opts: ApacheWorkersOptions = {}): Promise<ApacheWorkersEvidence> {
  const names = opts.names ?? ['apache2', 'httpd'];
  const procs = await inspectProcesses(exec, { timeoutMs: opts.timeoutMs });
  // With a config file named: the instance started with it (its -f), else one started without
  // -f (which reads the default file); never another instance's master. Only a master that
  // passes trustMaster (root, the service's main process, root's program) is believed at all.
  const candidates = masterProcess(procs, names).masters;
  const ordered = opts.configFile
    ? [...candidates.filter((p) => masterArgs(p.args).configFile === opts.configFile), ...candidates.filter((p) => masterArgs(p.args).configFile === undefined)]
    : candidates;
  const trust = await trustMaster(exec, ordered, [...(opts.pidFile ? [opts.pidFile] : []), ...APACHE_PID_FILES]);
  const master = trust.master;
  const children = master ? processesNamed(procs, names).filter((p) => p.ppid === master.pid && !p.zombie) : [];
  const where = await locate(exec, master, opts);
  const config = await readApacheConfig(exec, {
    configFile: where.configFile,
    serverRoot: where.serverRoot,
    env: where.env,
    defines: where.defines,
    staticModules: await staticModules(exec, opts.timeoutMs),
    timeoutMs: opts.timeoutMs,
  });
  const problems = [...trust.rejected.map((r) => `ignored the ${names.join('/')} process ${r.pid} (user ${r.user}): ${r.why}`), ...config.problems];
  if (config.files.length === 0) problems.unshift(`the main config ${config.configFile} could not be read`);
  const mpm = mpmOf(config);
  if (mpm === 'unknown') problems.push('no MPM is loaded in the config (LoadModule mpm_*) nor compiled in: the prefork default is assumed');
  const eff = effectiveLimit(config, mpm);
  const running = children.length;
  const capacity = eff.threadsPerChild ? running * eff.threadsPerChild.value : running;
  const atLimit = master !== undefined && capacity >= eff.limit;

  const errorLog = errorLogPath(config, opts.errorLog);
  let lastAh00161: Ah00161 | undefined;
  if (errorLog) {
    try {
      const log = await inspectErrorLog(exec, { path: errorLog, match: REACHED, maxLines: 1, maxBytes: opts.errorLogBytes ?? 1024 * 1024, timeoutMs: opts.timeoutMs });
      const last = log.lines[log.lines.length - 1];
      if (last) lastAh00161 = { time: last.time, code: /\bAH\d{5}\b/.exec(last.text)?.[0], text: last.text };
    } catch (e) {
      problems.push((e as Error).message);
    }
  } else problems.push('the error log is piped or sent to syslog: AH00161 was not looked for');

  const directive = eff.written?.name ?? 'MaxRequestWorkers';
  const at = eff.written ? `${directive} ${eff.configured} in ${eff.written.file}:${eff.written.line}` : `${directive} not set: the ${mpm === 'unknown' ? 'prefork' : mpm} default ${eff.limit}`;
  const unit = eff.threadsPerChild ? `worker processes (${plural(capacity, 'thread')})` : 'workers';
  const ignored = trust.rejected[0] ? `; ${plural(trust.rejected.length, 'process', 'processes')} named ${names.join('/')} ignored (${trust.rejected[0].pid}: ${trust.rejected[0].why})` : '';
  let summary = master
    ? `Apache (${mpm}) runs ${running} ${unit} against a limit of ${eff.limit} (${at})${ignored}`
    : trust.rejected.length
      ? `no Apache master process mamoru can trust${ignored}; its limit would be ${eff.limit} (${at})`
      : `Apache is not running (no master process); its limit would be ${eff.limit} (${at})`;
  if (eff.cappedBy) summary += `, capped by ${eff.cappedBy.directive} ${eff.cappedBy.value}`;
  if (atLimit) summary += ': at the limit';
  if (config.tooLarge) summary += ` (${config.tooLarge}: the limit read may be wrong)`;
  if (lastAh00161) summary += `; "server reached ${REACHED.exec(lastAh00161.text)![1]} setting" logged at ${clock(lastAh00161.time)}`;
  return {
    mpm,
    limit: eff.limit,
    directive,
    file: eff.written?.file,
    line: eff.written?.line,
    configured: eff.configured,
    cappedBy: eff.cappedBy,
    serverLimit: eff.serverLimit,
    threadsPerChild: eff.threadsPerChild,
    running,
    atLimit,
    masterPid: master?.pid,
    lastAh00161,
    configFile: config.configFile,
    serverRoot: config.serverRoot,
    errorLog,
    files: config.files,
    problems,
    tooLarge: config.tooLarge,
    summary,
  };
}
