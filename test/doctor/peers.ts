/**
 * Loopback peers for the doctor's tests: a real OpenSSH server on 127.0.0.1 (its own host key,
 * key login for root, a known_hosts naming it), and free ports (one taken and closed again is a
 * port nothing listens on).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { waitForTcp } from '../lab/process.ts';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface LoopbackSshd {
  port: number;
  privateKeyFile: string;
  knownHostsFile: string;
  hostKeyLine: string;
  stop(): void;
}

const keygen = (file: string) => execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'mamoru-doctor-test', '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });

/** sshd -D on 127.0.0.1 with files under `dir`; login as root with the key it made. */
export async function startLoopbackSshd(dir: string): Promise<LoopbackSshd> {
  const d = join(dir, 'sshd');
  mkdirSync(d, { recursive: true, mode: 0o700 });
  const hostKey = join(d, 'host_ed25519');
  const privateKeyFile = join(d, 'client_ed25519');
  keygen(hostKey);
  keygen(privateKeyFile);
  const authorized = join(d, 'authorized_keys');
  writeFileSync(authorized, readFileSync(`${privateKeyFile}.pub`, 'utf8'), { mode: 0o600 });
  const port = await freePort();
  const hostKeyLine = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ');
  const knownHostsFile = join(d, 'known_hosts');
  writeFileSync(knownHostsFile, `[127.0.0.1]:${port} ${hostKeyLine}\n`);
  const config = join(d, 'sshd_config');
  writeFileSync(
    config,
    [`Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${hostKey}`, `PidFile ${join(d, 'sshd.pid')}`, `AuthorizedKeysFile ${authorized}`, 'AllowUsers root', 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no', 'UsePAM no', 'StrictModes no', 'UseDNS no', ''].join('\n'),
  );
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-f', config, '-E', join(d, 'sshd.log')], { stdio: 'ignore' });
  await waitForTcp('127.0.0.1', port);
  return { port, privateKeyFile, knownHostsFile, hostKeyLine, stop: () => void child.kill('SIGKILL') };
}
