/**
 * OpenSSH server in the lab's server namespace, for the SSH executor and the runbooks: its own
 * sshd_config and host key under lab.dir, port 22 on the server's address, key login only for
 * one user (root by default: the runbooks do what an operator does as root), with a client key
 * pair and a known_hosts file made here so a login can verify the host strictly.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { isRunning, killAll, waitFor, waitForTcp } from '../process.ts';

export interface LabSshdOptions {
  /** The system user that may log in with the lab's key (it must exist). @defaultValue 'root' */
  user?: string;
  /** @defaultValue 22 */
  port?: number;
}

export interface LabSshd extends LabDaemon {
  port: number;
  user: string;
  /** The client's private key (ed25519, no passphrase). */
  privateKeyFile: string;
  publicKey: string;
  /** A known_hosts file naming the server's host key at its address: for StrictHostKeyChecking=yes. */
  knownHostsFile: string;
  configFile: string;
  /** argv for `ssh` from the monitor to the server, ending with `user@ip`: append the remote command. */
  sshArgv(): string[];
}

function keygen(file: string, comment: string): void {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Generates keys and config, starts `sshd -D` in lab.server, resolves once port 22 answers. */
export async function startSshd(lab: Lab, opts: LabSshdOptions = {}): Promise<LabSshd> {
  const port = opts.port ?? 22;
  const user = opts.user ?? 'root';
  const dir = join(lab.dir, 'sshd');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hostKey = join(dir, 'ssh_host_ed25519_key');
  const privateKeyFile = join(dir, 'client_ed25519');
  const authorizedKeys = join(dir, 'authorized_keys');
  const knownHostsFile = join(dir, 'known_hosts');
  const configFile = join(dir, 'sshd_config');
  const logFile = join(dir, 'sshd.log');
  const pidFile = join(dir, 'sshd.pid');
  keygen(hostKey, `lab-host-${lab.id}`);
  keygen(privateKeyFile, `lab-client-${lab.id}`);
  const publicKey = readFileSync(`${privateKeyFile}.pub`, 'utf8').trim();
  writeFileSync(authorizedKeys, publicKey + '\n', { mode: 0o600 });
  const hostPub = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  writeFileSync(knownHostsFile, `${lab.server.ip} ${hostPub}\n[${lab.server.ip}]:${port} ${hostPub}\n`);
  writeFileSync(
    configFile,
    [
      `Port ${port}`,
      `ListenAddress ${lab.server.ip}`,
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      `AllowUsers ${user}`,
      'PermitRootLogin prohibit-password',
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // No PAM: its session modules (loginuid, systemd) fail in containers and would refuse logins.
      'UsePAM no',
      // The key files live in root's temp dir, not a home directory sshd would check.
      'StrictModes no',
      // No reverse lookup of the monitor: no DNS query may leave the lab.
      'UseDNS no',
      'PrintMotd no',
      'LogLevel VERBOSE',
      'MaxStartups 50',
      '',
    ].join('\n'),
  );
  // sshd insists on its privilege separation directory; Debian's service unit creates it.
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  execFileSync('/usr/sbin/sshd', ['-t', '-f', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });

  let child: ChildProcess | undefined;
  const pid = () => (child && child.exitCode === null && child.signalCode === null && isRunning(child.pid) ? child.pid : undefined);
  const start = async () => {
    if (pid()) return;
    // -D: in the foreground, so the child is sshd itself; -E: its log in our file.
    // A server's root runs no developer shell setup: where this machine's ~/.bashrc exists (pyenv
    // and the like cost ~0.5 s a command), sshd gets a mount namespace of its own with it hidden.
    // That namespace is a copy taken now (this machine's / is a private mount): a tmpfs a test
    // mounts later is not seen over SSH, so mount before startSshd.
    const sshd = ['/usr/sbin/sshd', '-D', '-f', configFile, '-E', logFile];
    const bashrc = join(homedir(), '.bashrc');
    child = lab.server.spawn(
      existsSync(bashrc) ? ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', 'mount --bind /dev/null "$0" && exec "$@"', bashrc, ...sshd] : sshd,
      { stdio: 'ignore' },
    );
    await waitForTcp(lab.server.ip, port);
  };
  const waitGone = (p: number | undefined) => waitFor('sshd to exit', () => !isRunning(p), 15_000);
  const stop = async () => {
    const p = pid();
    killAll([p], 'SIGTERM');
    await waitGone(p);
  };
  const kill = async () => {
    const p = pid();
    killAll([p], 'SIGKILL');
    await waitGone(p);
  };
  lab.onDestroy(() => killAll([pid()], 'SIGKILL'));
  await start();

  return {
    port,
    user,
    privateKeyFile,
    publicKey,
    knownHostsFile,
    configFile,
    logFile,
    sshArgv: () => [
      'ssh',
      '-F', '/dev/null',
      '-i', privateKeyFile,
      '-p', String(port),
      '-o', 'BatchMode=yes',
      '-o', 'IdentitiesOnly=yes',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', `UserKnownHostsFile=${knownHostsFile}`,
      '-o', 'ConnectTimeout=5',
      `${user}@${lab.server.ip}`,
    ],
    pid,
    isRunning: () => pid() !== undefined,
    start,
    stop,
    kill,
  };
}
