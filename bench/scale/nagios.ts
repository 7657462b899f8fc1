/**
 * The peer of bench/scale: Nagios 4 (Debian's nagios4-core, `/usr/sbin/nagios4`) with check_tcp
 * against the same listeners, in its own temp directory with its own config, tuned as a big
 * installation would be (use_large_installation_tweaks, no environment macros, no notifications,
 * no host checks, smart spreading of the first checks over the interval).
 *
 * Per check it appends one line to a perfdata file (last check, latency, state): the checks of the
 * window are the lines appended in it, and their latency (Nagios's "check latency": start minus
 * due) gives p50/p90/p99/max. status.dat's check_latency of the services checked in the window is
 * given beside it. CPU: nagios, its workers and the plugins they reaped (/proc, whole tree).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, openSync, readSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit, stopChild, track } from '../lib/procs.ts';
import type { Listener } from './listeners.ts';
import { treeCpu, treeRssKb } from './daemon.ts';
import type { Size } from './config.ts';

export const NAGIOS = '/usr/sbin/nagios4';
const CHECK_TCP = '/usr/lib/nagios/plugins/check_tcp';

export interface NagiosFigures {
  label: string;
  services: number;
  intervalS: number;
  demanded: number;
  windowS: number;
  checks: number;
  perSecond: number;
  notOk: number;
  cpu: number;
  rssKb: number;
  latency?: { p50: number; p90: number; p99: number; max: number };
  statusLatencyMax?: number;
  startedMs: number;
}

/** Why Nagios cannot run here, or undefined when it can (installing it first with `install`). */
export function nagiosMissing(install: boolean): string | undefined {
  if (!existsSync(CHECK_TCP)) return `${CHECK_TCP} is not installed (apt-get install monitoring-plugins)`;
  if (existsSync(NAGIOS)) return undefined;
  if (!install) return `${NAGIOS} is not installed: run as root with --install-peers (apt-get install nagios4-core), or install it yourself`;
  if (process.getuid?.() !== 0) return `${NAGIOS} is not installed and --install-peers needs root`;
  try {
    // The core alone: the nagios4 package adds the CGIs and a web server the bench has no use for.
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'nagios4-core'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 600_000 });
  } catch (e) {
    return `apt-get install nagios4-core failed: ${(e as Error).message.split('\n')[0]}`;
  }
  return existsSync(NAGIOS) ? undefined : `${NAGIOS} is still missing after apt-get install nagios4-core`;
}

function ids(user: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) return undefined;
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

function mainConfig(dir: string, intervalS: number, user: string): string {
  return `log_file=${dir}/nagios.log
cfg_file=${dir}/objects.cfg
object_cache_file=${dir}/objects.cache
precached_object_file=${dir}/objects.precache
resource_file=${dir}/resource.cfg
status_file=${dir}/status.dat
status_update_interval=5
nagios_user=${user}
nagios_group=${user}
check_external_commands=0
command_file=${dir}/nagios.cmd
lock_file=${dir}/nagios.lock
temp_file=${dir}/nagios.tmp
temp_path=${dir}/tmp
check_result_path=${dir}/checkresults
retain_state_information=0
state_retention_file=${dir}/retention.dat
use_syslog=0
log_notifications=0
log_service_retries=0
log_host_retries=0
log_initial_states=0
log_passive_checks=0
enable_notifications=0
enable_event_handlers=0
enable_flap_detection=0
execute_host_checks=0
check_for_orphaned_services=0
check_service_freshness=0
check_host_freshness=0
check_for_updates=0
bare_update_check=0
use_large_installation_tweaks=1
enable_environment_macros=0
interval_length=1
service_inter_check_delay_method=s
max_service_check_spread=${intervalS}
service_interleave_factor=s
max_concurrent_checks=0
check_result_reaper_frequency=1
process_performance_data=1
service_perfdata_file=${dir}/service-perfdata
service_perfdata_file_template=$LASTSERVICECHECK$\\t$SERVICELATENCY$\\t$SERVICESTATEID$
service_perfdata_file_mode=a
service_perfdata_file_processing_interval=0
date_format=iso8601
`;
}

/** One object definition, a directive a line. */
const define = (type: string, fields: string[]) => `define ${type} {\n  ${fields.join('\n  ')}\n}`;

function objects(services: number, intervalS: number, pairs: Listener[]): string {
  const days = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'].map((d) => `${d} 00:00-24:00`);
  const out = [
    define('timeperiod', ['timeperiod_name 24x7', 'alias always', ...days]),
    define('command', ['command_name check_tcp', `command_line ${CHECK_TCP} -H $HOSTADDRESS$ -p $ARG1$`]),
    define('contact', ['contact_name nobody', 'host_notifications_enabled 0', 'service_notifications_enabled 0', 'host_notification_period 24x7', 'service_notification_period 24x7', 'host_notification_options n', 'service_notification_options n', 'host_notification_commands check_tcp', 'service_notification_commands check_tcp']),
    define('host', ['name bench-host', 'register 0', 'max_check_attempts 1', 'check_period 24x7', 'active_checks_enabled 0', 'notification_period 24x7', 'notifications_enabled 0', 'contacts nobody']),
    define('service', ['name bench-svc', 'register 0', 'max_check_attempts 1', `check_interval ${intervalS}`, `retry_interval ${intervalS}`, 'check_period 24x7', 'notification_period 24x7', 'notification_interval 0', 'notifications_enabled 0', 'contacts nobody', 'process_perf_data 1']),
  ];
  const hosts = [...new Set(pairs.map((p) => p.address))];
  for (const h of hosts) out.push(define('host', ['use bench-host', `host_name ${h}`, `address ${h}`]));
  for (let i = 0; i < services; i++) {
    const p = pairs[i % pairs.length]!;
    out.push(define('service', ['use bench-svc', `host_name ${p.address}`, `service_description s${i}`, `check_command check_tcp!${p.port}`]));
  }
  return `${out.join('\n')}\n`;
}

/** Bytes appended to `file` since `offset`, as lines (a last partial line is left for later). */
function linesSince(file: string, offset: number, end: number): string[] {
  if (end <= offset) return [];
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(end - offset);
    readSync(fd, buf, 0, buf.length, offset);
    const text = buf.toString('utf8');
    return text.slice(0, text.lastIndexOf('\n') + 1).split('\n').filter(Boolean);
  } finally {
    closeSync(fd);
  }
}

const sizeOf = (file: string) => (existsSync(file) ? statSync(file).size : 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs Nagios with `size` check_tcp services over the listeners: warm-up, then the window. */
export async function runNagios(size: Size, pairs: Listener[], warmupS: number, windowS: number, progress: (s: string) => void): Promise<NagiosFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-scale-nagios-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  atExit(removeDir);
  try {
    // Nagios started as root drops to nagios_user; running as someone else, it stays that user.
    const user = process.getuid?.() === 0 ? 'nagios' : (execFileSync('id', ['-un'], { encoding: 'utf8' }).trim() as string);
    for (const d of ['tmp', 'checkresults']) mkdirSync(join(dir, d));
    writeFileSync(join(dir, 'nagios.cfg'), mainConfig(dir, size.intervalS, user));
    writeFileSync(join(dir, 'objects.cfg'), objects(size.checks, size.intervalS, pairs));
    writeFileSync(join(dir, 'resource.cfg'), '');
    const owner = process.getuid?.() === 0 ? ids(user) : undefined;
    if (owner) for (const f of ['', ...readdirSync(dir)]) chownSync(join(dir, f), owner.uid, owner.gid);
    try {
      execFileSync(NAGIOS, ['-v', join(dir, 'nagios.cfg')], { encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const out = String((e as { stdout?: string }).stdout ?? '').split('\n');
      const errors = out.filter((l) => /Error/.test(l));
      throw new Error(`nagios4 -v refused the config:\n${(errors.length ? errors : out.slice(-10)).slice(0, 10).join('\n')}`);
    }
    const t0 = performance.now();
    const child = track(spawn(NAGIOS, [join(dir, 'nagios.cfg')], { stdio: 'ignore', cwd: dir }));
    try {
      const status = join(dir, 'status.dat');
      while (!existsSync(status)) {
        if (child.exitCode !== null) throw new Error(`nagios4 exited (${child.exitCode}): ${readFileSync(join(dir, 'nagios.log'), 'utf8').slice(-1500)}`);
        if (performance.now() - t0 > 120_000) throw new Error('nagios4 wrote no status.dat in 120 s');
        await sleep(100);
      }
      const startedMs = performance.now() - t0;
      progress(`  nagios4 running (pid ${child.pid}), status.dat after ${(startedMs / 1000).toFixed(1)} s; warm-up ${warmupS} s ...`);
      await sleep(warmupS * 1000);
      const perf = join(dir, 'service-perfdata');
      const off0 = sizeOf(perf);
      const cpu0 = treeCpu(child.pid!);
      const w0 = Date.now();
      progress(`  window ${windowS} s ...`);
      let rssKb = 0;
      while (Date.now() - w0 < windowS * 1000) {
        await sleep(Math.min(5000, windowS * 1000 - (Date.now() - w0)));
        rssKb = Math.max(rssKb, treeRssKb(child.pid!));
      }
      const cpu = treeCpu(child.pid!) - cpu0;
      const off1 = sizeOf(perf);
      const w1 = Date.now();
      const lines = linesSince(perf, off0, off1);
      const lat = lines.map((l) => Number(l.split('\t')[1])).filter(Number.isFinite).sort((a, b) => a - b);
      const notOk = lines.filter((l) => l.split('\t')[2] !== '0').length;
      const q = (p: number) => lat[Math.min(lat.length - 1, Math.ceil(p * lat.length) - 1)]!;
      // status.dat: the latest run of each service checked in the window.
      let statusLatencyMax: number | undefined;
      for (const m of readFileSync(status, 'utf8').matchAll(/servicestatus \{([^}]*)\}/g)) {
        const last = Number(/\blast_check=(\d+)/.exec(m[1]!)?.[1]);
        const latency = Number(/\bcheck_latency=([\d.]+)/.exec(m[1]!)?.[1]);
        if (last * 1000 >= w0 && Number.isFinite(latency)) statusLatencyMax = Math.max(statusLatencyMax ?? 0, latency);
      }
      const windowReal = (w1 - w0) / 1000;
      return {
        label: size.label,
        services: size.checks,
        intervalS: size.intervalS,
        demanded: size.checks / size.intervalS,
        windowS: windowReal,
        checks: lines.length,
        perSecond: lines.length / windowReal,
        notOk,
        cpu,
        rssKb,
        ...(lat.length ? { latency: { p50: q(0.5), p90: q(0.9), p99: q(0.99), max: lat.at(-1)! } } : {}),
        ...(statusLatencyMax !== undefined ? { statusLatencyMax } : {}),
        startedMs,
      };
    } finally {
      await stopChild(child, 10_000);
    }
  } finally {
    removeDir();
  }
}
