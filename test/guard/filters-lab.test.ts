/**
 * The filters against the lines real daemons write: from the lab's attacker namespace, failed
 * logins against the lab's Dovecot (POP3 over IPv4 and IPv6, IMAP with a user name that carries
 * an address), Postfix (SMTP AUTH), vsftpd and OpenSSH; then each daemon's own log, read with the
 * registry's filter through the scanner, must name the attacker's address and no other, and
 * never the one an attacker wrote into a user name. Apache is set up here with Basic and Digest
 * authentication and mod_remoteip; sshd's and Apache's extra forms are read in their modes too.
 *
 * The clients are a few lines of Node run inside the attacker namespace (no curl needed), except
 * OpenSSH's own client.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import type { Failure, FilterDefinition } from '../../src/guard/failure.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { startPostfix, type LabPostfix } from '../lab/daemons/postfix.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import { startVsftpd, type LabVsftpd } from '../lab/daemons/vsftpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor, waitForTcp } from '../lab/process.ts';

const LAB = { root: true, commands: ['ip'] };

/**
 * A line-protocol client: after each line from the server (SMTP/FTP continuation lines `250-`
 * aside) it sends the next of its argv lines, and closes after the last answer.
 */
const DIALOGUE = `
const [host, port, ...lines] = process.argv.slice(1);
const s = require('net').connect(Number(port), host);
let buf = '', i = 0;
s.setTimeout(30000, () => { s.destroy(); process.exit(2); });
s.on('data', (d) => {
  buf += d;
  for (let k = buf.indexOf('\\n'); k >= 0; k = buf.indexOf('\\n')) {
    const l = buf.slice(0, k); buf = buf.slice(k + 1);
    if (/^\\d{3}-/.test(l)) continue;
    if (i < lines.length) s.write(lines[i++] + '\\r\\n'); else s.end();
  }
});
s.on('close', () => process.exit(i === lines.length ? 0 : 3));
s.on('error', () => process.exit(1));
`;

/** One HTTP GET (argv: host, port, path, headers as JSON); exits 0 on any answer. */
const HTTP_GET = `
const [host, port, path, headers] = process.argv.slice(1);
const r = require('http').request({ host, port: Number(port), path, headers: JSON.parse(headers), timeout: 30000 }, (res) => { res.resume(); res.on('end', () => process.exit(0)); });
r.on('timeout', () => process.exit(2));
r.on('error', (e) => { console.error(e.message); process.exit(1); });
r.end();
`;

function dialogue(lab: Lab, host: string, port: number, lines: string[]): void {
  const r = lab.attacker.run([process.execPath, '-e', DIALOGUE, host, String(port), ...lines], { timeoutMs: 45_000 });
  assert.equal(r.status, 0, `client to ${host}:${port} ended with ${r.status} (2: no answer in 30 s, 3: closed early): ${r.stderr}`);
}

/**
 * Apache 2.4 with HTTP authentication: Basic (/basic/, user alice), Digest (/digest/), a path
 * refused by configuration (/denied/), on port 80 over IPv4 and IPv6; port 81 trusts the
 * attacker as a proxy (mod_remoteip, X-Forwarded-For). Returns the error log's path.
 */
async function startAuthApache(lab: Lab): Promise<{ errorLog: string }> {
  const root = join(lab.dir, 'apache-auth');
  for (const d of ['logs', 'run', 'lock', 'htdocs/basic', 'htdocs/digest', 'htdocs/denied']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(lab.dir, 0o711);
  chmodSync(root, 0o755);
  execFileSync('htpasswd', ['-b', '-c', join(root, 'htpasswd'), 'alice', 'secret'], { stdio: 'ignore' });
  writeFileSync(join(root, 'htdigest'), `alice:lab:${createHash('md5').update('alice:lab:secret').digest('hex')}\n`);
  for (const f of ['htpasswd', 'htdigest']) chmodSync(join(root, f), 0o644);
  const modules = ['mpm_prefork', 'authz_core', 'authz_user', 'authn_core', 'authn_file', 'auth_basic', 'auth_digest', 'remoteip'];
  const config = join(root, 'apache2.conf');
  writeFileSync(config, [
    `ServerRoot "${root}"`, `DefaultRuntimeDir ${root}/run`, `PidFile ${root}/run/pid`, `Mutex file:${root}/lock default`, 'User www-data', 'Group www-data',
    ...modules.map((m) => `LoadModule ${m}_module /usr/lib/apache2/modules/mod_${m}.so`),
    `Listen ${lab.server.ip}:80`, `Listen [${lab.server.ip6}]:80`, `Listen ${lab.server.ip}:81`, 'ServerName lab', `ErrorLog ${root}/logs/error.log`, 'LogLevel warn', `DocumentRoot ${root}/htdocs`,
    `<Directory ${root}/htdocs>`, 'Require all granted', '</Directory>',
    '<Location /basic>', 'AuthType Basic', 'AuthName lab', `AuthUserFile ${root}/htpasswd`, 'Require valid-user', '</Location>',
    '<Location /digest>', 'AuthType Digest', 'AuthName lab', `AuthUserFile ${root}/htdigest`, 'Require valid-user', '</Location>',
    '<Location /denied>', 'Require all denied', '</Location>',
    `<VirtualHost ${lab.server.ip}:81>`, 'RemoteIPHeader X-Forwarded-For', `RemoteIPInternalProxy ${lab.attacker.ip}`, '</VirtualHost>', '',
  ].join('\n'));
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C' };
  const r = lab.server.run(['apache2', '-f', config, '-k', 'start'], { env, timeoutMs: 30_000 });
  assert.equal(r.status, 0, `apache2 -k start: ${r.stderr}${r.stdout}`);
  lab.onDestroy(() => void lab.server.run(['apache2', '-f', config, '-k', 'stop'], { env, timeoutMs: 30_000 }));
  await waitForTcp(lab.server.ip, 80);
  return { errorLog: join(root, 'logs', 'error.log') };
}

/** The failures the filter finds in a daemon's log file. */
function failuresIn(file: string, filter: FilterDefinition): Failure[] {
  const scanner = new LogScanner([filter], { timeZone: 'UTC' });
  const out: Failure[] = [];
  readFileSync(file, 'latin1')
    .split('\n')
    .forEach((line, i) => {
      const f = line && scanner.scan(line, i + 1);
      if (f) out.push(f);
    });
  return out;
}

/** Waits until the filter has found at least `n` failures from `address` in the log. */
async function expectFailures(file: string, filter: FilterDefinition, address: string, n: number): Promise<Failure[]> {
  return waitFor(`${n} ${filter.type} failure(s) from ${address} in ${file}`, () => {
    const found = failuresIn(file, filter);
    return found.filter((f) => f.address === address).length >= n ? found : undefined;
  }, 30_000, 100).catch((e: Error) => {
    throw new Error(`${e.message}\n--- the log:\n${readFileSync(file, 'utf8').slice(-3000)}`);
  });
}

describe('filters on real daemons\' lines, attacked from the lab', () => {
  let lab: Lab;

  before(async () => {
    if (missing(LAB)) return;
    lab = await createLab();
  });
  after(async () => {
    await lab?.destroy();
  });

  test('dovecot: POP3 over IPv4 and IPv6 and IMAP, unknown user and wrong password', async (t) => {
    if (needs(t, { ...LAB, commands: ['ip', 'dovecot'] })) return;
    const dovecot: LabDovecot = await startDovecot(lab);
    dialogue(lab, lab.server.ip, 110, ['USER nosuch', 'PASS wrong', 'QUIT']);
    dialogue(lab, lab.server.ip6, 110, [`USER ${dovecot.user.name}`, 'PASS wrong', 'QUIT']);
    // A user name that carries an address and the login line's own field: Dovecot logs it as it came.
    dialogue(lab, lab.server.ip, 143, ['a LOGIN "x from 6.6.6.6 rip=6.6.6.6, rip=6.6.6.6" wrong', 'b LOGOUT']);
    const v4 = lab.attacker.ip;
    const v6 = lab.attacker.ip6;
    const found = await expectFailures(dovecot.logFile, filters.dovecot, v4, 3);
    await expectFailures(dovecot.logFile, filters.dovecot, v6, 2);
    const log = readFileSync(dovecot.logFile, 'utf8');
    assert.match(log, /rip=6\.6\.6\.6/, 'the forged address is in the log');
    // Both kinds of line were read: the auth process's verdict and the login process's summary.
    assert.ok(found.some((f) => /passwd-file\(nosuch,/.test(f.raw) && f.user === 'nosuch'), 'passdb unknown user');
    assert.ok(found.some((f) => /\(auth failed, /.test(f.raw) && f.user === 'nosuch'), 'login aborted');
    assert.ok(found.some((f) => f.address === v6 && /Password mismatch/.test(f.raw)), 'password mismatch over IPv6');
    for (const f of failuresIn(dovecot.logFile, filters.dovecot)) assert.ok(f.address === v4 || f.address === v6, `unexpected address ${f.address} from: ${f.raw}`);
  });

  test('postfix-sasl: SMTP AUTH with a wrong password', async (t) => {
    if (needs(t, { ...LAB, commands: ['ip', 'postfix', 'perl'] })) return;
    const postfix: LabPostfix = await startPostfix(lab);
    if (!postfix.authUser) {
      if (process.env.CI) throw new Error(`prerequisite missing in CI: ${postfix.authMissing}`);
      return t.skip(postfix.authMissing);
    }
    const plain = (user: string) => Buffer.from(`\0${user}\0wrong-password`).toString('base64');
    dialogue(lab, lab.server.ip, 25, ['EHLO attacker.lab.test', `AUTH PLAIN ${plain(postfix.authUser)}`, 'QUIT']);
    dialogue(lab, lab.server.ip, 25, ['EHLO attacker.lab.test', `AUTH PLAIN ${plain('x]: SASL LOGIN authentication failed: [6.6.6.6]')}`, 'QUIT']);
    const found = await expectFailures(postfix.logFile, filters['postfix-sasl'], lab.attacker.ip, 2);
    assert.ok(found.some((f) => f.user?.startsWith(postfix.authUser!)), `the SASL user name: ${found.map((f) => f.user).join(', ')}`);
    for (const f of found) assert.equal(f.address, lab.attacker.ip, f.raw);
  });

  test('vsftpd: unknown user and wrong password; a user name that imitates the line', async (t) => {
    if (needs(t, { ...LAB, commands: ['ip', 'vsftpd'] })) return;
    const vsftpd: LabVsftpd = await startVsftpd(lab);
    dialogue(lab, lab.server.ip, 21, ['USER nosuch', 'PASS wrong', 'QUIT']);
    dialogue(lab, lab.server.ip, 21, [`USER ${vsftpd.user.name}`, 'PASS wrong', 'QUIT']);
    dialogue(lab, lab.server.ip, 21, ['USER x] FAIL LOGIN: Client "6.6.6.6"', 'PASS wrong', 'QUIT']);
    const found = await expectFailures(vsftpd.logFile, filters.vsftpd, lab.attacker.ip, 2);
    await waitFor('the forged user name in the log', () => readFileSync(vsftpd.logFile, 'utf8').includes('Client "6.6.6.6"'), 10_000, 100);
    assert.deepEqual(found.map((f) => f.user).sort(), ['nosuch', vsftpd.user.name].sort());
    for (const f of failuresIn(vsftpd.logFile, filters.vsftpd)) assert.equal(f.address, lab.attacker.ip, f.raw);
  });

  test('sshd: an invalid user, a refused one, and a user name that writes sshd\'s own words', async (t) => {
    if (needs(t, { ...LAB, commands: ['ip', '/usr/sbin/sshd', 'ssh', 'ssh-keygen'] })) return;
    const sshd: LabSshd = await startSshd(lab);
    const ssh = (user: string) =>
      lab.attacker.run(['ssh', '-F', '/dev/null', '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'ConnectTimeout=5', '-l', user, lab.server.ip, 'true'], { timeoutMs: 20_000 });
    ssh('nosuchuser');
    ssh('nobody');
    ssh('x from 6.6.6.6 port 22');
    // Each login writes its refusal and, as the client gives up, `Connection closed by invalid user`.
    const found = await expectFailures(sshd.logFile, filters.sshd, lab.attacker.ip, 6);
    assert.match(readFileSync(sshd.logFile, 'utf8'), /from 6\.6\.6\.6 port 22/);
    assert.deepEqual([...new Set(found.map((f) => f.user))].sort(), ['nobody', 'nosuchuser', 'x from 6.6.6.6 port 22'].sort());
    assert.ok(found.some((f) => /^Connection closed by invalid user nosuchuser /.test(f.raw)), 'the connection\'s end');
    for (const f of found) assert.equal(f.address, lab.attacker.ip, f.raw);
    // ddos: a scanner that sends HTTP to port 22, and one that closes before its banner. The
    // server's own address is in `Connection from A port P on SERVER port 22`, never taken.
    dialogue(lab, lab.server.ip, 22, ['GET / HTTP/1.1']);
    const ddos = await expectFailures(sshd.logFile, { ...filters.sshd, match: (l, c) => filters.sshd.match(l, { ...c, mode: 'ddos' }) }, lab.attacker.ip, found.length + 1);
    assert.ok(ddos.some((f) => /^banner exchange: Connection from .*: invalid format$/.test(f.raw)), ddos.map((f) => f.raw).join('\n'));
    // The lab's own readiness probe (a connect and close from the monitor) counts in ddos mode too:
    // why a jail that counts these needs its monitoring hosts allowed.
    for (const f of ddos) assert.ok(f.address === lab.attacker.ip || f.address === lab.monitorIp, `unexpected address ${f.address} from: ${f.raw}`);
    assert.equal(failuresIn(sshd.logFile, filters.sshd).length, found.length, 'normal mode does not count the banner failure');
  });

  test('apache-auth: Basic and Digest failures over IPv4 and IPv6, denied paths, a client behind a trusted proxy', async (t) => {
    if (needs(t, { ...LAB, commands: ['ip', 'apache2', 'htpasswd'] })) return;
    const apache = await startAuthApache(lab);
    const get = (host: string, port: number, path: string, headers: Record<string, string>) => {
      const r = lab.attacker.run([process.execPath, '-e', HTTP_GET, host, String(port), path, JSON.stringify(headers)], { timeoutMs: 45_000 });
      assert.equal(r.status, 0, `GET ${path} from ${host}:${port}: ${r.stderr}`);
    };
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    get(lab.server.ip, 80, '/basic/', { Authorization: basic('alice:wrong') });
    get(lab.server.ip, 80, '/basic/', { Authorization: basic('[client 6.6.6.6] 6.6.6.6:wrong') });
    get(lab.server.ip6, 80, '/basic/', { Authorization: basic('nosuch:wrong') });
    get(lab.server.ip, 80, '/denied/x', {});
    get(lab.server.ip, 80, '/digest/', { Authorization: 'Digest username="alice"' });
    // Port 81 trusts the attacker as a proxy: the client is the address in its header.
    get(lab.server.ip, 81, '/basic/', { Authorization: basic('alice:wrong'), 'X-Forwarded-For': '203.0.113.77' });
    const found = await expectFailures(apache.errorLog, filters['apache-auth'], lab.attacker.ip, 3);
    await expectFailures(apache.errorLog, filters['apache-auth'], lab.attacker.ip6, 1);
    await expectFailures(apache.errorLog, filters['apache-auth'], '203.0.113.77', 1);
    const all = failuresIn(apache.errorLog, filters['apache-auth']);
    assert.ok(found.some((f) => /AH01617: user alice:/.test(f.raw) && f.user === 'alice'), 'password mismatch');
    assert.ok(found.some((f) => /AH01630: client denied/.test(f.raw)), 'client denied');
    assert.ok(all.some((f) => f.address === lab.attacker.ip6 && /AH01618: user nosuch not found/.test(f.raw)), 'unknown user over IPv6');
    for (const f of all) assert.ok([lab.attacker.ip, lab.attacker.ip6, '203.0.113.77'].includes(f.address), `unexpected address ${f.address} from: ${f.raw}`);
    // The malformed Digest header counts only in aggressive mode.
    assert.ok(!all.some((f) => /AH01782/.test(f.raw)));
    const aggressive = failuresIn(apache.errorLog, { ...filters['apache-auth'], match: (l, c) => filters['apache-auth'].match(l, { ...c, mode: 'aggressive' }) });
    assert.ok(aggressive.some((f) => /AH01782/.test(f.raw) && f.address === lab.attacker.ip), aggressive.map((f) => f.raw).join('\n'));
  });
});
