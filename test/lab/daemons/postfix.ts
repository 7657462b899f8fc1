/**
 * Postfix in the lab's server namespace: a separate instance (`postfix -c DIR`) with its own
 * main.cf/master.cf, queue and data directories and mail log under lab.dir, listening on the
 * server's address only (25 with STARTTLS and AUTH, 465 with implicit TLS). Mail never leaves
 * the machine: every remote domain goes to a relayhost inside the lab that does not answer and
 * the smtp transport is deferred anyway, so what is sent for elsewhere stays in the queue, which
 * is what the mailq probe and the snmp extend measure. Mail for the lab domain lands in a
 * Maildir under lab.dir. AUTH (PLAIN, LOGIN) is Cyrus SASL on a sasldb written here with Perl's
 * DB_File (no sasl2-bin needed), offered only when the Cyrus plugins are installed.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { isRunning, readPid, waitFor, waitForTcp } from '../process.ts';

export interface LabPostfixOptions {
  /** Offer AUTH PLAIN/LOGIN (needs libsasl2-modules and libsasl2-modules-db). @defaultValue true when installed */
  auth?: boolean;
}

export interface LabPostfix extends LabDaemon {
  /** Plain SMTP with STARTTLS (and AUTH when `authUser` is set). */
  port: number;
  /** SMTP over implicit TLS (smtps). */
  tlsPort: number;
  ports: { smtp: number; smtps: number };
  /** The instance's config directory: `postfix -c`, `postqueue -c`, `mailq -C`. */
  configDir: string;
  queueDir: string;
  /** Mail for `@domain` is delivered into this Maildir (`new/` holds the files). */
  maildir: string;
  /** The domain Postfix delivers locally; any other domain stays deferred in the queue. */
  domain: string;
  /** The greeting's host name (`220 <hostname> ESMTP ...`). */
  hostname: string;
  /** AUTH credentials, or undefined when the SASL plugins are missing (`authMissing` says why). */
  authUser?: string;
  authPassword?: string;
  authMissing?: string;
  /** Puts n more messages into the queue (SMTP submissions for a deferred domain), quickly. */
  fillQueue(n: number): Promise<void>;
  /** Deletes every queued message (`postsuper -d ALL`). */
  clearQueue(): void;
  /** The same as clearQueue(): empties the queue (not Postfix's "flush", which retries delivery). */
  flushQueue(): void;
  /** Messages in the queue now, as `postqueue -p` counts them. */
  queueLength(): number;
  /** argv that lists the queue of this instance (`postqueue -c DIR -p`). */
  mailqArgv: string[];
}

const DOMAIN = 'lab.test';
const HOSTNAME = `mail.${DOMAIN}`;
const AUTH_USER = 'smtp-user';
const AUTH_PASSWORD = 'smtp-Passw0rd';

function sh(argv: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? String(r.error ?? '') };
}

function must(argv: string[], input?: string): string {
  const r = sh(argv, input);
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${(r.stderr || r.stdout).trim()}`);
  return r.stdout;
}

/** Why AUTH cannot be offered here, or undefined when it can. */
function saslMissing(): string | undefined {
  // Debian puts the plugins under the multiarch directory (/usr/lib/x86_64-linux-gnu/sasl2).
  const dirs = readdirSync('/usr/lib').filter((d) => d.includes('-linux-')).map((d) => join('/usr/lib', d, 'sasl2')).concat('/usr/lib/sasl2');
  const libdir = dirs.find((d) => existsSync(join(d, 'libsasldb.so.2')));
  if (!libdir) return 'Cyrus SASL sasldb plugin missing (apt-get install libsasl2-modules-db)';
  if (!existsSync(join(libdir, 'libplain.so.2')) || !existsSync(join(libdir, 'liblogin.so.2'))) return 'Cyrus SASL PLAIN/LOGIN plugins missing (apt-get install libsasl2-modules)';
  if (sh(['perl', '-MDB_File', '-e', '1']).status !== 0) return "Perl's DB_File is missing (it writes the sasldb)";
  return undefined;
}

/** A sasldb2 (Berkeley DB hash, key `user\0realm\0userPassword`) as saslpasswd2 would write it. */
function writeSasldb(file: string, user: string, realm: string, password: string): void {
  const script = `use DB_File; use Fcntl; tie my %db, 'DB_File', $ARGV[0], O_RDWR|O_CREAT, 0640, $DB_HASH or die "sasldb: $!"; $db{"$ARGV[1]\\0$ARGV[2]\\0userPassword"} = $ARGV[3]; untie %db;`;
  must(['perl', '-e', script, file, user, realm, password]);
}

function mainCf(o: { dir: string; queueDir: string; dataDir: string; logFile: string; maildirBase: string; subnet: string; relay: string; auth: boolean }): string {
  const lines = [
    'compatibility_level = 3.7',
    `queue_directory = ${o.queueDir}`,
    `data_directory = ${o.dataDir}`,
    'mail_owner = postfix',
    'setgid_group = postdrop',
    `syslog_name = postfix-lab`,
    `maillog_file = ${o.logFile}`,
    `maillog_file_prefixes = ${o.logFile}`,
    `myhostname = ${HOSTNAME}`,
    `mydomain = ${DOMAIN}`,
    `myorigin = ${DOMAIN}`,
    // "all" inside the server namespace is the server's own addresses only: the machine's port 25
    // and the other namespaces stay untouched. A literal address would do the same for the daemon
    // but make postqueue/mailq refuse to run outside the namespace ("no local interface found").
    'inet_interfaces = all',
    'inet_protocols = all',
    `mynetworks = 127.0.0.0/8 ${o.subnet}`,
    // Local delivery would write to /var/mail; the lab domain goes to a Maildir under lab.dir instead.
    'mydestination =',
    'local_transport = error:local delivery is disabled in the lab',
    'alias_maps =',
    'alias_database =',
    `virtual_mailbox_domains = ${DOMAIN}`,
    `virtual_mailbox_base = ${o.maildirBase}`,
    'virtual_mailbox_maps = static:inbox/',
    'virtual_uid_maps = static:' + uid('postfix'),
    'virtual_gid_maps = static:' + gid('postfix'),
    // Nothing leaves the machine: the relayhost is a closed port inside the lab, and the smtp
    // transport is deferred before it is even tried, so remote mail waits in the deferred queue.
    `relayhost = ${o.relay}`,
    'defer_transports = smtp',
    'smtp_dns_support_level = disabled',
    'smtp_host_lookup = native',
    'smtpd_peername_lookup = no',
    'biff = no',
    'delay_warning_time = 0',
    `smtpd_banner = $myhostname ESMTP lab`,
    `smtpd_tls_cert_file = ${o.dir}/tls.crt`,
    `smtpd_tls_key_file = ${o.dir}/tls.key`,
    'smtpd_tls_security_level = may',
    'smtpd_tls_loglevel = 0',
    // Thousands of messages per fill: no per-client limits in the way.
    'smtpd_client_connection_count_limit = 0',
    'smtpd_client_connection_rate_limit = 0',
    'default_process_limit = 50',
  ];
  if (o.auth)
    lines.push(
      'smtpd_sasl_auth_enable = yes',
      'smtpd_sasl_type = cyrus',
      'smtpd_sasl_path = smtpd',
      `cyrus_sasl_config_path = ${o.dir}/sasl`,
      `smtpd_sasl_local_domain = ${HOSTNAME}`,
      'smtpd_sasl_security_options = noanonymous',
      'broken_sasl_auth_clients = no',
    );
  return lines.join('\n') + '\n';
}

// chroot "n" everywhere: a chroot would need copies of /etc files inside the queue directory.
const MASTER_CF = `
smtp      inet  n       -       n       -       -       smtpd
465       inet  n       -       n       -       -       smtpd
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_security_level=encrypt
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
`.trimStart();

function uid(user: string): number {
  return Number(must(['id', '-u', user]).trim());
}
function gid(group: string): number {
  return Number(must(['getent', 'group', group]).split(':')[2]);
}

/** Counts messages in `postqueue -p` output: its last line, or "Mail queue is empty". */
export function countQueue(listing: string): number {
  if (/Mail queue is empty/.test(listing)) return 0;
  const m = /in (\d+) Requests?\.\s*$/.exec(listing);
  if (!m) throw new Error(`cannot read the queue listing: ${listing.slice(-200)}`);
  return Number(m[1]);
}

/** Writes the instance's files, starts Postfix in lab.server and waits until port 25 answers. */
export async function startPostfix(lab: Lab, opts: LabPostfixOptions = {}): Promise<LabPostfix> {
  const base = join(lab.dir, 'postfix');
  const dir = join(base, 'etc');
  const queueDir = join(base, 'queue');
  const dataDir = join(base, 'data');
  const maildirBase = join(base, 'mail');
  const logFile = join(base, 'maillog');
  for (const d of [dir, queueDir, dataDir, maildirBase, join(dir, 'sasl')]) mkdirSync(d, { recursive: true });
  // Postfix's daemons run as the postfix user and must reach their files under the lab dir.
  for (const d of [lab.dir, base]) chmodSync(d, 0o711);
  chownSync(dataDir, uid('postfix'), gid('postfix'));
  chownSync(maildirBase, uid('postfix'), gid('postfix'));

  const missingAuth = opts.auth === false ? 'AUTH turned off by the test' : saslMissing();
  const auth = missingAuth === undefined;
  const subnet = lab.server.ip.replace(/\.\d+$/, '.0/24');
  // The server's own address on the discard port: nothing listens, a delivery attempt is refused.
  const relay = `[${lab.server.ip}]:9`;
  must(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-days', '30', '-subj', `/CN=${HOSTNAME}`, '-addext', `subjectAltName=DNS:${HOSTNAME}`]);
  chmodSync(join(dir, 'tls.key'), 0o600);
  writeFileSync(join(dir, 'main.cf'), mainCf({ dir, queueDir, dataDir, logFile, maildirBase, subnet, relay, auth }));
  writeFileSync(join(dir, 'master.cf'), MASTER_CF);
  writeFileSync(logFile, '');
  if (auth) {
    const sasldb = join(dir, 'sasl', 'sasldb2');
    writeFileSync(join(dir, 'sasl', 'smtpd.conf'), `pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: ${sasldb}\nmech_list: PLAIN LOGIN\n`);
    writeSasldb(sasldb, AUTH_USER, HOSTNAME, AUTH_PASSWORD);
    chownSync(sasldb, 0, gid('postfix'));
  }

  const pidFile = join(queueDir, 'pid', 'master.pid');
  // The pid file outlives a killed master: the pid counts only while it is still Postfix's master.
  const pid = () => {
    const p = readPid(pidFile);
    if (!isRunning(p)) return undefined;
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'master' ? p : undefined;
    } catch {
      return undefined;
    }
  };
  /** The master and every child it forked (they share its process group). */
  const group = (master: number): number[] => {
    const out = sh(['pgrep', '-g', String(master)]).stdout;
    return out.split('\n').filter(Boolean).map(Number);
  };
  const allGone = (master: number | undefined) =>
    waitFor('postfix to exit', () => master === undefined || (!isRunning(master) && group(master).every((p) => !isRunning(p))), 20_000);

  const start = async () => {
    if (pid()) return;
    lab.server.exec(['postfix', '-c', dir, 'start']);
    await waitFor('postfix master pid', () => pid(), 15_000);
    await waitForTcp(lab.server.ip, 25, 15_000);
    await waitForTcp(lab.server.ip, 465, 15_000);
  };
  /** SIGKILL to the master's process group: the master made it (setsid) and every daemon is in it. */
  const killGroup = (master: number) => {
    try {
      process.kill(-master, 'SIGKILL');
    } catch {
      /* gone */
    }
  };
  const kill = async () => {
    const master = pid();
    if (master === undefined) return;
    killGroup(master);
    await allGone(master);
  };
  const stop = async () => {
    const master = pid();
    if (master === undefined) return;
    lab.server.run(['postfix', '-c', dir, 'stop']);
    await allGone(master);
  };
  // The namespace's teardown kills whatever is left in it too; this ends Postfix first, cleanly typed.
  lab.onDestroy(() => {
    const master = pid();
    if (master !== undefined) killGroup(master);
  });

  const mailqArgv = ['postqueue', '-c', dir, '-p'];
  const queueLength = () => countQueue(sh(mailqArgv).stdout);
  const clearQueue = () => {
    must(['postsuper', '-c', dir, '-d', 'ALL']);
  };

  await start();
  return {
    port: 25,
    tlsPort: 465,
    ports: { smtp: 25, smtps: 465 },
    configDir: dir,
    queueDir,
    maildir: join(maildirBase, 'inbox'),
    domain: DOMAIN,
    hostname: HOSTNAME,
    ...(auth ? { authUser: AUTH_USER, authPassword: AUTH_PASSWORD } : { authMissing: missingAuth }),
    logFile,
    pid,
    isRunning: () => pid() !== undefined,
    start,
    stop,
    kill,
    async fillQueue(n) {
      // Postfix files each message asynchronously (incoming -> active -> deferred); wait until
      // the listing shows exactly the new total twice in a row, so tests judge a settled queue.
      const target = queueLength() + n;
      await submit(lab.server.ip, 25, n);
      let seen = 0;
      await waitFor(`the queue to settle at ${target} messages`, () => (queueLength() === target ? ++seen >= 2 : ((seen = 0), false)), 15_000, 100);
    },
    clearQueue,
    flushQueue: clearQueue,
    queueLength,
    mailqArgv,
  };
}

/**
 * Submits n messages for a deferred remote domain over a few SMTP connections at once, each a
 * plain sequence of transactions: faster than n sendmail processes and no pipelining tricks.
 */
async function submit(host: string, port: number, n: number): Promise<void> {
  const lanes = Math.min(8, n);
  const share = (i: number) => Math.floor(n / lanes) + (i < n % lanes ? 1 : 0);
  await Promise.all(Array.from({ length: lanes }, (_, i) => session(host, port, share(i), i)));
}

function session(host: string, port: number, count: number, lane: number): Promise<void> {
  if (count === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const s = net.connect(port, host);
    let buf = '';
    let sent = 0;
    // Each reply moves one step on: [the code it must have, what to send then].
    const mail = (): [string, string] => ['250', `MAIL FROM:<lab@${DOMAIN}>\r\n`];
    const after: Record<string, () => [string, string]> = {
      greeting: () => ['220', `EHLO filler.${DOMAIN}\r\n`],
      EHLO: mail,
      MAIL: () => ['250', `RCPT TO:<queued-${lane}-${sent}@deferred.invalid>\r\n`],
      RCPT: () => ['250', 'DATA\r\n'],
      DATA: () => ['354', `Subject: lab queue ${lane}-${sent}\r\n\r\nheld in the queue by the lab\r\n.\r\n`],
      Subject: () => (++sent < count ? mail() : ['250', 'QUIT\r\n']),
      QUIT: () => ['221', ''],
    };
    let step = 'greeting';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      buf += d;
      for (let end = buf.indexOf('\r\n'); end !== -1; end = buf.indexOf('\r\n')) {
        const line = buf.slice(0, end);
        buf = buf.slice(end + 2);
        if (line[3] === '-') continue;
        const [code, send] = after[step]!();
        if (!line.startsWith(code)) return s.destroy(new Error(`fillQueue: expected ${code} after ${step}, got "${line}"`));
        if (!send) return s.end();
        step = /^\w+/.exec(send)![0];
        s.write(send);
      }
    });
    s.on('error', reject);
    s.on('close', () => (sent === count ? resolve() : reject(new Error(`fillQueue: connection closed after ${sent} of ${count} messages`))));
  });
}

/** The mail log's text (for a test's failure message). */
export function postfixLog(p: LabPostfix): string {
  try {
    return readFileSync(p.logFile, 'utf8');
  } catch {
    return '';
  }
}
