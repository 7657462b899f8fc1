/**
 * Apache 2.4 in the lab's server namespace, set up like a small hosting server: the prefork MPM
 * with a low worker limit (the field runbook's `MaxClients`, `MaxRequestWorkers` in 2.4) in a
 * separate mpm conf file pulled in by Include (a runbook must find it across Includes), its own
 * ServerRoot, error log and pid file under lab.dir, port 80 on the server's address, controlled
 * with `apache2 -f CONF -k start|graceful|stop` and `-t` under the environment Debian's
 * /etc/apache2/envvars sets. mod_reqtimeout is left out on purpose so slow clients really hold
 * workers: exhaustWorkers() does that from the attacker namespace.
 */
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { isRunning, killAll, readPid, waitFor, waitForTcp } from '../process.ts';

const MODULES = '/usr/lib/apache2/modules';

export interface LabApacheOptions {
  /** @defaultValue 5 */
  maxRequestWorkers?: number;
  /** The directive's spelling in the mpm conf: 2.4's or the old one (both work in 2.4). @defaultValue 'MaxRequestWorkers' */
  directive?: 'MaxRequestWorkers' | 'MaxClients';
  /** @defaultValue 80 */
  port?: number;
}

/** Slow clients holding Apache's workers; release() closes them. */
export interface SlowClients {
  count: number;
  release(): Promise<void>;
}

export interface LabApache extends LabDaemon {
  port: number;
  /** The main config file (`apache2 -f`). */
  configFile: string;
  /** The Included file that holds the worker limit. */
  mpmConfFile: string;
  serverRoot: string;
  errorLog: string;
  pidFile: string;
  /** The body of `/` (index.html). */
  indexBody: string;
  maxRequestWorkers: number;
  /** The environment `apache2` needs (APACHE_RUN_USER etc., as /etc/apache2/envvars sets them). */
  env: NodeJS.ProcessEnv;
  /** The master's children (the prefork workers). */
  workerPids(): number[];
  /** `apache2 -f CONF -k graceful`; resolves once it answers again. */
  graceful(): Promise<void>;
  /** `apache2 -f CONF -t`: the config test, with its output. */
  configTest(): { ok: boolean; output: string };
  /**
   * Opens `n` connections from the attacker namespace that send a partial request line and hold
   * it. With n ≥ the limit every worker is busy, AH00161 is logged (once per start), and a new
   * request waits; resolves once that is so.
   */
  exhaustWorkers(n?: number): Promise<SlowClients>;
  /** The error log's text. */
  log(): string;
}

function mpmConf(directive: string, max: number): string {
  return [
    '# prefork: one process per connection; the limit is what the field runbook raises.',
    '<IfModule mpm_prefork_module>',
    `\tStartServers\t\t2`,
    `\tMinSpareServers\t\t1`,
    `\tMaxSpareServers\t\t${Math.max(2, Math.min(3, max))}`,
    `\tServerLimit\t\t${Math.max(max, 16)}`,
    `\t${directive}\t${max}`,
    `\tMaxConnectionsPerChild\t0`,
    '</IfModule>',
    '',
  ].join('\n');
}

function mainConf(root: string, listen: string): string {
  return [
    `ServerRoot "${root}"`,
    'DefaultRuntimeDir ${APACHE_RUN_DIR}',
    'PidFile ${APACHE_PID_FILE}',
    'Mutex file:${APACHE_LOCK_DIR} default',
    // Long enough that a slow client holds its worker for the whole test (no mod_reqtimeout).
    'Timeout 300',
    'KeepAlive Off',
    'User ${APACHE_RUN_USER}',
    'Group ${APACHE_RUN_GROUP}',
    `LoadModule mpm_prefork_module ${MODULES}/mod_mpm_prefork.so`,
    `LoadModule authz_core_module ${MODULES}/mod_authz_core.so`,
    `LoadModule authz_host_module ${MODULES}/mod_authz_host.so`,
    `LoadModule mime_module ${MODULES}/mod_mime.so`,
    `LoadModule dir_module ${MODULES}/mod_dir.so`,
    `LoadModule status_module ${MODULES}/mod_status.so`,
    'Include mods-enabled/*.conf',
    `Listen ${listen}`,
    'ServerName lab-server',
    'ErrorLog ${APACHE_LOG_DIR}/error.log',
    'LogLevel warn',
    'LogFormat "%h %l %u %t \\"%r\\" %>s %O" common',
    'CustomLog ${APACHE_LOG_DIR}/access.log common',
    'TypesConfig /etc/mime.types',
    `DocumentRoot "${root}/htdocs"`,
    `<Directory "${root}/htdocs">`,
    '\tRequire all granted',
    '</Directory>',
    'DirectoryIndex index.html',
    'ExtendedStatus On',
    '<Location /server-status>',
    '\tSetHandler server-status',
    '\tRequire all granted',
    '</Location>',
    '',
  ].join('\n');
}

/** Writes the config and starts Apache in lab.server; resolves once port 80 answers. */
export async function startApache(lab: Lab, opts: LabApacheOptions = {}): Promise<LabApache> {
  const port = opts.port ?? 80;
  const max = opts.maxRequestWorkers ?? 5;
  // One directory per port, so a test can run a second Apache beside the first.
  const root = join(lab.dir, port === 80 ? 'apache' : `apache-${port}`);
  const logDir = join(root, 'logs');
  const runDir = join(root, 'run');
  const lockDir = join(root, 'lock');
  for (const d of [root, logDir, runDir, lockDir, join(root, 'htdocs'), join(root, 'mods-enabled')]) mkdirSync(d, { recursive: true });
  // Workers run as www-data and must reach the document root inside root's private lab dir.
  chmodSync(lab.dir, 0o711);
  chmodSync(root, 0o711);
  const configFile = join(root, 'apache2.conf');
  const mpmConfFile = join(root, 'mods-enabled', 'mpm_prefork.conf');
  const errorLog = join(logDir, 'error.log');
  const pidFile = join(runDir, 'apache2.pid');
  const indexBody = `lab apache ${lab.id}\n`;
  writeFileSync(configFile, mainConf(root, `${lab.server.ip}:${port}`));
  writeFileSync(mpmConfFile, mpmConf(opts.directive ?? 'MaxRequestWorkers', max));
  writeFileSync(join(root, 'htdocs', 'index.html'), indexBody);
  chmodSync(join(root, 'htdocs'), 0o755);
  chmodSync(join(root, 'htdocs', 'index.html'), 0o644);

  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
    LANG: 'C',
    APACHE_RUN_USER: 'www-data',
    APACHE_RUN_GROUP: 'www-data',
    APACHE_PID_FILE: pidFile,
    APACHE_RUN_DIR: runDir,
    APACHE_LOCK_DIR: lockDir,
    APACHE_LOG_DIR: logDir,
  };
  const ctl = (args: string[]) => lab.server.run(['apache2', '-f', configFile, ...args], { env, timeoutMs: 30_000 });
  const pid = () => {
    const p = readPid(pidFile);
    return isRunning(p) ? p : undefined;
  };
  // Workers and master both: every apache2 process whose command line names our config.
  const ours = (): number[] => {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (cmd[0]?.endsWith('apache2') && cmd.includes(configFile) && isRunning(Number(entry))) found.push(Number(entry));
      } catch {
        /* gone */
      }
    }
    return found;
  };
  const workerPids = () => {
    const master = pid();
    return ours().filter((p) => p !== master);
  };
  const log = () => {
    try {
      return readFileSync(errorLog, 'utf8');
    } catch {
      return '';
    }
  };
  /** Where the error log stood at the last start: AH00161 is reported once per start. */
  let logMark = 0;

  const start = async () => {
    if (pid()) return;
    // A killed master lingers as a zombie (PID 1 reaps slowly) and apache2 -k start would take
    // its pid file for a running server: remove it, as an init script does after a crash.
    rmSync(pidFile, { force: true });
    logMark = log().length;
    const r = ctl(['-k', 'start']);
    if (r.status !== 0) throw new Error(`apache2 -k start failed (${r.status}): ${r.stderr || r.stdout}\n${log().slice(logMark)}`);
    await waitFor('apache2 pid file', () => pid(), 15_000);
    await waitForTcp(lab.server.ip, port);
  };
  // A process that is already a zombie can still hold the listening socket for a moment (a
  // threaded main thread exits last): gone means no process and nothing listening on the port.
  const waitAllGone = async () => {
    await waitFor('every apache2 process to exit', () => ours().length === 0, 20_000);
    await waitFor(`port ${port} to stop listening`, () => lab.server.run(['ss', '-Hltn', 'sport', '=', `:${port}`]).stdout.trim() === '', 20_000);
  };
  const stop = async () => {
    if (pid()) ctl(['-k', 'stop']);
    await waitAllGone();
  };
  const kill = async () => {
    // Again until none is left: a worker the master forked after the list was taken would live on.
    await waitFor('every apache2 process to be killed', () => {
      const left = ours();
      killAll(left, 'SIGKILL');
      return left.length === 0 ? true : undefined;
    }, 20_000);
    await waitAllGone();
  };
  const graceful = async () => {
    const r = ctl(['-k', 'graceful']);
    if (r.status !== 0) throw new Error(`apache2 -k graceful failed (${r.status}): ${r.stderr || r.stdout}`);
    await waitForTcp(lab.server.ip, port);
  };
  const configTest = () => {
    const r = ctl(['-t']);
    return { ok: r.status === 0, output: (r.stdout + r.stderr).trim() };
  };

  const exhaustWorkers = async (n = max): Promise<SlowClients> => {
    const reportedBefore = log().slice(logMark).includes('AH00161');
    const child = holdSlowClients(lab, lab.server.ip, port, n);
    const release = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        await gone;
      }
    };
    try {
      await waitFor('the slow clients to connect', () => held(child), 10_000);
      await waitFor(`${Math.min(n, max)} busy Apache workers`, () => workerPids().length >= Math.min(n, max), 10_000);
      if (n >= max && !reportedBefore) {
        await waitFor('AH00161 (server reached MaxRequestWorkers setting) in the error log', () => log().slice(logMark).includes('AH00161'), 15_000);
      }
    } catch (e) {
      await release();
      throw e;
    }
    lab.onDestroy(release);
    return { count: n, release };
  };

  lab.onDestroy(() => killAll(ours(), 'SIGKILL'));
  await start();

  return {
    port,
    configFile,
    mpmConfFile,
    serverRoot: root,
    errorLog,
    logFile: errorLog,
    pidFile,
    indexBody,
    maxRequestWorkers: max,
    env,
    pid,
    workerPids,
    isRunning: () => pid() !== undefined,
    start,
    stop,
    kill,
    graceful,
    configTest,
    exhaustWorkers,
    log,
  };
}

const heldFlag = new WeakMap<ChildProcess, boolean>();
const held = (c: ChildProcess) => heldFlag.get(c) === true;

/**
 * A node process in the attacker namespace with n connections, each having sent the start of a
 * request and nothing more (the classic slowloris hold), kept until the process is killed.
 */
function holdSlowClients(lab: Lab, ip: string, port: number, n: number): ChildProcess {
  const script = `
    const net = require('node:net');
    let up = 0;
    for (let i = 0; i < ${n}; i++) {
      const s = net.connect(${port}, ${JSON.stringify(ip)}, () => {
        s.write('GET / HTTP/1.1\\r\\nHost: lab-server\\r\\n');
        if (++up === ${n}) process.stdout.write('held\\n');
      });
      s.on('error', (e) => process.stderr.write(e.message + '\\n'));
    }
    setInterval(() => {}, 1 << 30);`;
  const child = lab.attacker.spawn([process.execPath, '-e', script]);
  child.stdout?.on('data', (d: Buffer) => {
    if (d.toString().includes('held')) heldFlag.set(child, true);
  });
  child.stderr?.resume();
  return child;
}
