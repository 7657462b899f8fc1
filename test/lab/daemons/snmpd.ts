/**
 * snmpd (net-snmp) in the lab's server namespace on UDP 161, on its own config and persistent
 * directory under lab.dir: a read-only v2c community, an authPriv v3 user (SHA/AES), and an
 * `extend` named `mailq` whose output line is the number of files under a directory the test
 * controls (the mail queue). HOST-RESOURCES-MIB comes from snmpd's defaults: snmpd joins only
 * the server's network namespace and shares this machine's mounts, so every filesystem mounted
 * here (a small tmpfs a test fills, see mountTmpfs) is in its hrStorageTable.
 *
 * Fault injections: stop() and kill() (the agent stops answering), setCommunity() (the agent's
 * community changes under a monitor that still sends the old one), setMailQueue(n).
 */
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { isRunning, readPid, waitFor } from '../process.ts';

/** NET-SNMP-EXTEND-MIB nsExtendOutput1Line for an extend's name (`"mailq"` -> ...4.5.109.97.105.108.113). */
export function extendOutputOid(name: string): string {
  return `1.3.6.1.4.1.8072.1.3.2.3.1.1.${name.length}.${[...Buffer.from(name)].join('.')}`;
}

export interface SnmpdOptions {
  /** Read-only v2c community. @defaultValue a random value (a secret: tests pass it through ctx.secret) */
  community?: string;
  /** The v3 user, authPriv with SHA and AES. @defaultValue `mamoru` with random passwords */
  v3?: { user: string; authPassword: string; privPassword: string };
  /**
   * The directory whose files (recursively) the `mailq` extend counts, e.g. a lab Postfix's
   * queue_directory. setMailQueue() empties and fills it, so use it only on the default.
   * @defaultValue `<lab.dir>/snmpd/mailq`
   */
  mailQueueDir?: string;
}

export interface Snmpd extends LabDaemon {
  port: number;
  ip: string;
  community: string;
  v3: { user: string; authPassword: string; privPassword: string };
  /** nsExtendOutput1Line."mailq": the queue length as a string. */
  mailQueueOid: string;
  mailQueueDir: string;
  configFile: string;
  /** Makes the queue hold exactly n messages (files). */
  setMailQueue(n: number): void;
  /**
   * snmpd caches filesystem figures for 5 s: waits until its hrStorageUsed for the mount at
   * `path` equals what statfs says here, so a test judges the state the disk is in now.
   */
  waitForStorage(path: string): Promise<void>;
  /** Rewrites the config with another community and restarts the agent. */
  setCommunity(community: string): Promise<void>;
}

const random = () => Math.random().toString(36).slice(2, 12);

/** One v2c get from the monitor with snmpget; true when the agent answered. */
function answers(ip: string, port: number, community: string): Promise<boolean> {
  return new Promise((resolve) => {
    execFile('snmpget', ['-v2c', '-c', community, '-t', '0.5', '-r', '0', '-On', `udp:${ip}:${port}`, '1.3.6.1.2.1.1.3.0'], (err) => resolve(!err));
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join(' / ');
  } catch {
    return '(none)';
  }
}

/** hrStorageUsed x hrStorageAllocationUnits of the row whose hrStorageDescr is `path`, read with snmpwalk. */
function storageUsed(ip: string, community: string, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    execFile('snmpwalk', ['-v2c', '-c', community, '-t', '1', '-r', '0', '-On', '-Oq', ip, '1.3.6.1.2.1.25.2.3.1'], { encoding: 'utf8' }, (err, out) => {
      if (err) return resolve(undefined);
      const rows = new Map<string, Record<string, string>>();
      for (const line of out.split('\n')) {
        const m = /^\.1\.3\.6\.1\.2\.1\.25\.2\.3\.1\.(\d+)\.(\d+) (.*)$/.exec(line);
        if (!m) continue;
        const row = rows.get(m[2]!) ?? {};
        row[m[1]!] = m[3]!.replace(/^"|"$/g, '');
        rows.set(m[2]!, row);
      }
      const row = [...rows.values()].find((r) => r['3'] === path);
      resolve(row ? Number(row['6']) * Number(row['4']) : undefined);
    });
  });
}

export async function startSnmpd(lab: Lab, opts: SnmpdOptions = {}): Promise<Snmpd> {
  const base = join(lab.dir, 'snmpd');
  const persistentDir = join(base, 'persist');
  const mailQueueDir = opts.mailQueueDir ?? join(base, 'mailq');
  mkdirSync(persistentDir, { recursive: true, mode: 0o700 });
  mkdirSync(mailQueueDir, { recursive: true });
  const configFile = join(base, 'snmpd.conf');
  const logFile = join(base, 'snmpd.log');
  const pidFile = join(base, 'snmpd.pid');
  const countScript = join(base, 'count-queue.sh');
  const v3 = opts.v3 ?? { user: 'mamoru', authPassword: `auth-${random()}`, privPassword: `priv-${random()}` };
  let community = opts.community ?? `c-${random()}`;
  const port = 161;

  // One file, one message (Postfix keeps one file per queued message, in subdirectories).
  writeFileSync(countScript, '#!/bin/sh\nfind "$@" -type f | wc -l\n');
  chmodSync(countScript, 0o755);

  const writeConfig = () => {
    writeFileSync(
      configFile,
      [
        `agentAddress udp:${port},udp6:${port}`,
        `rocommunity ${community} default`,
        `rocommunity6 ${community} default`,
        `rouser ${v3.user} priv`,
        // createUser is read at start and stored (as localized keys) in the persistent dir.
        `createUser ${v3.user} SHA "${v3.authPassword}" AES "${v3.privPassword}"`,
        // -1 (not 0, which snmpd ignores): run the count at every request, so a test that changes
        // the queue sees the new length at once instead of after the 5 s default cache.
        `extend -cacheTime -1 mailq /bin/sh ${countScript} ${mailQueueDir}`,
        'sysLocation mamoru lab',
        'sysContact lab@example.test',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
  };
  writeConfig();

  let child: ChildProcess | undefined;
  const pid = () => readPid(pidFile) ?? child?.pid;

  const waitGone = (p: number | undefined) => waitFor('snmpd to exit', () => !isRunning(p), 10_000);

  const server: Snmpd = {
    port,
    ip: lab.server.ip,
    get community() {
      return community;
    },
    v3,
    mailQueueOid: extendOutputOid('mailq'),
    mailQueueDir,
    logFile,
    configFile,
    pid,
    isRunning: () => isRunning(pid()),
    async start() {
      if (server.isRunning()) return;
      rmSync(pidFile, { force: true });
      // nsenter joins only the server's network namespace: snmpd keeps this machine's mount
      // namespace, so a filesystem the test mounts at any time is in its hrStorageTable
      // (`ip netns exec` would give it a private copy of the mounts taken at start).
      // -C: only our config (not /etc/snmp); -f: foreground, so the lab owns the process.
      child = spawn('nsenter', [`--net=/run/netns/${lab.server.ns}`, '--', 'snmpd', '-f', '-C', '-c', configFile, '-Lf', logFile, '-p', pidFile, '-M', '/usr/share/snmp/mibs'], {
        stdio: 'ignore',
        env: { ...process.env, SNMP_PERSISTENT_DIR: persistentDir, MIBS: '' },
      });
      child.on('error', () => {});
      const started = child;
      try {
        await waitFor('snmpd to answer', async () => {
          if (started.exitCode !== null) throw new Error(`snmpd exited with ${started.exitCode}`);
          return answers(lab.server.ip, port, community);
        }, 15_000, 100);
      } catch (e) {
        throw new Error(`${(e as Error).message}; snmpd log: ${tail(logFile)}`);
      }
    },
    async stop() {
      const p = pid();
      if (!isRunning(p)) return;
      try {
        process.kill(p!, 'SIGTERM');
      } catch {
        /* gone */
      }
      await waitGone(p);
    },
    async kill() {
      const p = pid();
      if (!isRunning(p)) return;
      try {
        process.kill(p!, 'SIGKILL');
      } catch {
        /* gone */
      }
      await waitGone(p);
    },
    setMailQueue(n) {
      for (const f of readdirSync(mailQueueDir)) rmSync(join(mailQueueDir, f), { recursive: true, force: true });
      for (let i = 0; i < n; i++) writeFileSync(join(mailQueueDir, `msg${i}`), '');
    },
    async waitForStorage(path) {
      const fs = statfsSync(path);
      const want = (fs.blocks - fs.bfree) * fs.bsize;
      await waitFor(`snmpd to report the current use of ${path}`, () => storageUsed(lab.server.ip, community, path).then((b) => b === want), 15_000, 250);
    },
    async setCommunity(next) {
      community = next;
      writeConfig();
      await server.stop();
      await server.start();
    },
  };
  lab.onDestroy(() => server.kill());
  await server.start();
  return server;
}

/**
 * Mounts a small tmpfs under lab.dir (visible to the lab's snmpd, which shares this machine's
 * mounts) and unmounts it on lab.destroy(). Returns its path.
 */
export function mountTmpfs(lab: Lab, name: string, size = '4m'): string {
  const dir = join(lab.dir, name);
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', dir]);
  lab.onDestroy(() => {
    spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
  });
  return dir;
}
