/**
 * The filters against the lines real daemons write: from the lab's attacker namespace, failed
 * logins against the lab's Dovecot (POP3 over IPv4 and IPv6, IMAP with a user name that carries
 * an address), Postfix (SMTP AUTH), vsftpd and OpenSSH; then each daemon's own log, read with the
 * registry's filter through the scanner, must name the attacker's address and no other, and
 * never the one an attacker wrote into a user name.
 *
 * The clients are a few lines of Node run inside the attacker namespace (no curl needed), except
 * OpenSSH's own client.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { filters, LogScanner } from '../../src/guard/filters/index.ts';
import type { Failure, FilterDefinition } from '../../src/guard/failure.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startDovecot, type LabDovecot } from '../lab/daemons/dovecot.ts';
import { startPostfix, type LabPostfix } from '../lab/daemons/postfix.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import { startVsftpd, type LabVsftpd } from '../lab/daemons/vsftpd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { waitFor } from '../lab/process.ts';

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

function dialogue(lab: Lab, host: string, port: number, lines: string[]): void {
  const r = lab.attacker.run([process.execPath, '-e', DIALOGUE, host, String(port), ...lines], { timeoutMs: 45_000 });
  assert.equal(r.status, 0, `client to ${host}:${port} ended with ${r.status} (2: no answer in 30 s, 3: closed early): ${r.stderr}`);
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
    const found = await expectFailures(sshd.logFile, filters.sshd, lab.attacker.ip, 3);
    assert.match(readFileSync(sshd.logFile, 'utf8'), /from 6\.6\.6\.6 port 22/);
    assert.deepEqual(found.map((f) => f.user).sort(), ['nobody', 'nosuchuser', 'x from 6.6.6.6 port 22'].sort());
    for (const f of found) assert.equal(f.address, lab.attacker.ip, f.raw);
  });
});
