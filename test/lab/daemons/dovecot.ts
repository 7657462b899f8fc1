/**
 * Dovecot in the lab's server namespace: POP3 (110, 995) and IMAP (143, 993) on a passwd-file
 * user database the lab writes, a self-signed certificate made here, its own base_dir and
 * state_dir, and one log file under lab.dir where authentication failures land (the guard reads
 * them later). Faults: stop (SIGTERM, a clean shutdown) and kill (SIGKILL, a crash).
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { descendantsOf, isRunning, killAll, makeSelfSignedCert, namespacePids, waitFor, waitForTcp } from '../process.ts';

/** A mailbox user of the lab (also the login of the probes' login checks). */
export interface MailUser {
  name: string;
  password: string;
}

export interface DovecotOptions {
  /** @defaultValue one user `mamoru` with a random password */
  users?: MailUser[];
  /**
   * Dovecot's `auth_failure_delay`: how long a wrong password waits for its answer. The lab
   * answers at once so tests stay fast; set '2 secs' for Dovecot's real default.
   * @defaultValue '0'
   */
  authFailureDelay?: string;
  /** @defaultValue 'Dovecot ready.' */
  greeting?: string;
}

export interface LabDovecot extends LabDaemon {
  ports: { pop3: number; pop3s: number; imap: number; imaps: number };
  users: MailUser[];
  /** The first user, for tests that need one. */
  user: MailUser;
  /** The self-signed certificate's PEM file. */
  certFile: string;
}

const PORTS = { pop3: 110, pop3s: 995, imap: 143, imaps: 993 } as const;
/** nobody/nogroup own the mailboxes: an unprivileged uid that exists on every Debian system. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

function config(dir: string, o: { users: string; cert: string; key: string; log: string; instance: string; authFailureDelay: string; greeting: string }): string {
  return `# mamoru lab: Dovecot on its own files only (no /etc/dovecot)
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = ${o.instance}
protocols = pop3 imap
listen = *, ::
shutdown_clients = yes

log_path = ${o.log}
info_log_path = ${o.log}
log_timestamp = "%Y-%m-%d %H:%M:%S "
auth_verbose = yes
auth_failure_delay = ${o.authFailureDelay}
login_greeting = ${o.greeting}

# The probes log in over plain connections too (a monitoring login check without STARTTLS).
disable_plaintext_auth = no
auth_mechanisms = plain login

ssl = yes
ssl_cert = <${o.cert}
ssl_key = <${o.key}

mail_location = maildir:~/Maildir
first_valid_uid = ${MAIL_UID}
first_valid_gid = ${MAIL_GID}

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${o.users}
}
userdb {
  driver = passwd-file
  args = username_format=%u ${o.users}
}

service pop3-login {
  inet_listener pop3 {
    port = ${PORTS.pop3}
  }
  inet_listener pop3s {
    port = ${PORTS.pop3s}
    ssl = yes
  }
}
service imap-login {
  inet_listener imap {
    port = ${PORTS.imap}
  }
  inet_listener imaps {
    port = ${PORTS.imaps}
    ssl = yes
  }
}
`;
}

/** Writes Dovecot's files under lab.dir/dovecot, starts it in lab.server and waits for its ports. */
export async function startDovecot(lab: Lab, opts: DovecotOptions = {}): Promise<LabDovecot> {
  const users = opts.users ?? [{ name: 'mamoru', password: `pw-${randomBytes(6).toString('hex')}` }];
  for (const u of users) if (/[:\s]/.test(u.name + u.password)) throw new Error(`lab dovecot: user ${u.name}: no ":" or white space in names and passwords (passwd-file)`);
  const dir = join(lab.dir, 'dovecot');
  // Dovecot's auth process (user dovecot) reads the user file and mail processes (nobody) their
  // home: both must be able to pass through the lab's directory, which mkdtemp made 0700.
  chmodSync(lab.dir, 0o711);
  mkdirSync(join(dir, 'state'), { recursive: true });
  mkdirSync(join(dir, 'home'), { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(join(dir, 'home'), 0o755);
  const usersFile = join(dir, 'users');
  writeFileSync(usersFile, users.map((u) => `${u.name}:{PLAIN}${u.password}:${MAIL_UID}:${MAIL_GID}::${join(dir, 'home', u.name)}::\n`).join(''), { mode: 0o640 });
  chownSync(usersFile, 0, Number(execFileSync('id', ['-g', 'dovecot'], { encoding: 'utf8' }).trim()));
  for (const u of users) {
    const home = join(dir, 'home', u.name);
    mkdirSync(join(home, 'Maildir'), { recursive: true });
    chownSync(home, MAIL_UID, MAIL_GID);
    chownSync(join(home, 'Maildir'), MAIL_UID, MAIL_GID);
  }
  const { cert, key } = makeSelfSignedCert(dir, 'server', 'server.lab');
  const logFile = join(dir, 'dovecot.log');
  writeFileSync(logFile, '');
  const confFile = join(dir, 'dovecot.conf');
  writeFileSync(
    confFile,
    config(dir, { users: usersFile, cert, key, log: logFile, instance: `dovecot-${lab.id}`, authFailureDelay: opts.authFailureDelay ?? '0', greeting: opts.greeting ?? 'Dovecot ready.' }),
  );

  let child: ChildProcess | undefined;
  let stderr = '';
  const pid = () => child?.pid;
  const running = () => isRunning(pid());
  const family = () => {
    const p = pid();
    const all = new Set([...(p ? [p, ...descendantsOf(p)] : []), ...namespacePids(lab.server.ns, ['/usr/sbin/dovecot', '/usr/lib/dovecot/'])]);
    return [...all];
  };
  /** Signals the family until none is left: a child forked meanwhile gets the signal too. */
  const gone = (signal: NodeJS.Signals, what: string) =>
    waitFor(`dovecot to ${what}`, () => {
      const left = family().filter((p) => isRunning(p));
      killAll(left, signal);
      return left.length === 0;
    }, 5_000);

  const daemon: LabDovecot = {
    ports: { ...PORTS },
    users,
    user: users[0]!,
    logFile,
    certFile: cert,
    pid,
    isRunning: running,
    async start() {
      if (running()) return;
      stderr = '';
      // -F: foreground, so the lab's child is the master itself (ip netns exec execs it).
      child = lab.server.spawn(['dovecot', '-F', '-c', confFile]);
      child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      child.stdout?.resume();
      try {
        for (const port of Object.values(PORTS)) await waitForTcp(lab.server.ip, port, 15_000);
      } catch (e) {
        const log = readFileSync(logFile, 'utf8').slice(-2000);
        throw new Error(`lab dovecot did not start: ${(e as Error).message}\n${stderr}\n${log}`);
      }
    },
    async stop() {
      // SIGTERM to the master alone leaves its login processes waiting seconds for the stats
      // service that is already gone; every process of the family gets it at once instead.
      try {
        await gone('SIGTERM', 'stop');
      } catch {
        await gone('SIGKILL', 'stop after SIGKILL');
      }
    },
    async kill() {
      // The children notice their master's death on their own, but not at once: kill them too,
      // so "killed" means nothing answers any more.
      await gone('SIGKILL', 'die');
    },
  };
  lab.onDestroy(() => daemon.stop());
  await daemon.start();
  return daemon;
}
