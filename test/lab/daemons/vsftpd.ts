/**
 * vsftpd in the lab's server namespace on port 21, on its own config file under lab.dir, with
 * AUTH TLS (explicit FTPS) on a self-signed certificate and a log file where failed logins land.
 * vsftpd authenticates through the system's PAM, so the lab's FTP user is a real system user:
 * created here with a name unique to this lab, removed on destroy (and swept by the next lab if
 * a killed run left it behind). Faults: stop (SIGTERM) and kill (SIGKILL).
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { descendantsOf, isRunning, killAll, makeSelfSignedCert, namespacePids, waitFor, waitForTcp } from '../process.ts';
import type { MailUser } from './dovecot.ts';

export interface VsftpdOptions {
  /**
   * vsftpd's `delay_failed_login` in seconds; the lab answers a wrong password at once so tests
   * stay fast (vsftpd's own default is 1).
   * @defaultValue 0
   */
  delayFailedLogin?: number;
  /** `ftpd_banner`; vsftpd's own is `(vsFTPd 3.0.3)`. @defaultValue undefined */
  banner?: string;
  /** `max_clients`: more at once get `421 There are too many connected users`. @defaultValue 0 (no limit) */
  maxClients?: number;
  /** `max_per_ip`: more from one address get `421 There are too many connections from your internet address`. @defaultValue 0 (no limit) */
  maxPerIp?: number;
}

export interface LabVsftpd extends LabDaemon {
  port: number;
  /** The system user the lab created for FTP logins (unique per lab). */
  user: MailUser;
  certFile: string;
  /** Rewrites the config with these limits (the field's "too many users") and restarts. */
  setLimits(limits: { maxClients?: number; maxPerIp?: number }): Promise<void>;
}

const PORT = 21;
const USER_RE = /^(mlab(\d+)x\d+ftp):/gm;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** useradd/userdel take a lock on /etc/passwd; another test adding a user at once makes them fail. */
function withPasswdLock(argv: string[], input?: string): void {
  for (let i = 0; ; i++) {
    const r = spawnSync(argv[0]!, argv.slice(1), { input, encoding: 'utf8' });
    if (r.status === 0) return;
    if (i >= 50 || !/lock|try again/i.test(r.stderr)) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    execFileSync('sleep', ['0.1']);
  }
}

function removeUser(name: string): void {
  spawnSync('pkill', ['-KILL', '-u', name], { stdio: 'ignore' });
  try {
    withPasswdLock(['userdel', name]);
  } catch {
    /* already gone */
  }
}

/** Removes FTP users left by lab runs whose process is gone (a killed test never reached destroy). */
export function sweepStaleFtpUsers(): void {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  for (const m of passwd.matchAll(USER_RE)) if (!alive(Number(m[2]))) removeUser(m[1]!);
}

function config(dir: string, o: { log: string; cert: string; key: string; delayFailedLogin: number; banner?: string | undefined; maxClients?: number | undefined; maxPerIp?: number | undefined }): string {
  return `# mamoru lab: vsftpd on its own files only (no /etc/vsftpd.conf)
listen=YES
listen_ipv6=NO
listen_port=${PORT}
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=NO
chroot_local_user=NO
pam_service_name=vsftpd
secure_chroot_dir=${dir}/empty
delay_failed_login=${o.delayFailedLogin}
max_clients=${o.maxClients ?? 0}
max_per_ip=${o.maxPerIp ?? 0}
${o.banner ? `ftpd_banner=${o.banner}\n` : ''}xferlog_enable=YES
vsftpd_log_file=${o.log}
syslog_enable=NO
seccomp_sandbox=NO
pasv_enable=YES
ssl_enable=YES
rsa_cert_file=${o.cert}
rsa_private_key_file=${o.key}
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
ssl_ciphers=HIGH
`;
}

/** Creates the FTP user, writes vsftpd's files under lab.dir/vsftpd, starts it in lab.server. */
export async function startVsftpd(lab: Lab, opts: VsftpdOptions = {}): Promise<LabVsftpd> {
  sweepStaleFtpUsers();
  const dir = join(lab.dir, 'vsftpd');
  const home = join(dir, 'home');
  // The FTP user's session chdirs to its home through the lab's directory (0700 from mkdtemp).
  chmodSync(lab.dir, 0o711);
  mkdirSync(join(dir, 'empty'), { recursive: true });
  mkdirSync(home, { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'empty'), 0o555);

  const user: MailUser = { name: `${lab.id}ftp`, password: `pw-${randomBytes(6).toString('hex')}` };
  if (user.name.length > 32) throw new Error(`lab vsftpd: user name ${user.name} is too long`);
  // /bin/sh: Debian's pam.d/vsftpd has pam_shells, which wants a shell listed in /etc/shells.
  withPasswdLock(['useradd', '--no-create-home', '--home-dir', home, '--shell', '/bin/sh', '--comment', 'mamoru lab FTP user', user.name]);
  // An interrupted run (Ctrl-C) skips lab.onDestroy but still exits: the user goes then too.
  const removeAtExit = () => removeUser(user.name);
  process.once('exit', removeAtExit);
  lab.onDestroy(() => {
    process.off('exit', removeAtExit);
    removeUser(user.name);
  });
  withPasswdLock(['chpasswd'], `${user.name}:${user.password}\n`);
  const uid = Number(execFileSync('id', ['-u', user.name], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', user.name], { encoding: 'utf8' }).trim());
  chownSync(home, uid, gid);
  writeFileSync(join(home, 'hello.txt'), 'hello from the lab\n');

  const { cert, key } = makeSelfSignedCert(dir, 'server', 'server.lab');
  const logFile = join(dir, 'vsftpd.log');
  writeFileSync(logFile, '');
  const confFile = join(dir, 'vsftpd.conf');
  const writeConfig = (o: VsftpdOptions) => writeFileSync(confFile, config(dir, { log: logFile, cert, key, delayFailedLogin: o.delayFailedLogin ?? 0, banner: o.banner, maxClients: o.maxClients, maxPerIp: o.maxPerIp }), { mode: 0o600 });
  writeConfig(opts);

  let child: ChildProcess | undefined;
  let stderr = '';
  const pid = () => child?.pid;
  const family = () => {
    const p = pid();
    return [...new Set([...(p && isRunning(p) ? [p, ...descendantsOf(p)] : []), ...namespacePids(lab.server.ns, ['/usr/sbin/vsftpd'])])];
  };
  /** Signals the family until none is left: a child forked meanwhile gets the signal too. */
  const gone = (signal: NodeJS.Signals, what: string) =>
    waitFor(`vsftpd to ${what}`, () => {
      const left = family().filter((p) => isRunning(p));
      killAll(left, signal);
      return left.length === 0;
    }, 5_000);

  const daemon: LabVsftpd = {
    port: PORT,
    user,
    logFile,
    certFile: cert,
    pid,
    isRunning: () => isRunning(pid()),
    async start() {
      if (isRunning(pid())) return;
      stderr = '';
      child = lab.server.spawn(['vsftpd', confFile]);
      child.stdout?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
      try {
        await waitForTcp(lab.server.ip, PORT, 15_000);
      } catch (e) {
        throw new Error(`lab vsftpd did not start: ${(e as Error).message}\n${stderr}`);
      }
    },
    async stop() {
      try {
        await gone('SIGTERM', 'stop');
      } catch {
        await gone('SIGKILL', 'stop after SIGKILL');
      }
    },
    async kill() {
      await gone('SIGKILL', 'die');
    },
    async setLimits(limits) {
      writeConfig({ ...opts, ...limits });
      await daemon.stop();
      await daemon.start();
    },
  };
  lab.onDestroy(() => daemon.stop());
  await daemon.start();
  return daemon;
}
