/**
 * `mamoru doctor` run as a user runs it, on configs written here, against peers started here on
 * loopback (OpenSSH, an SMTP server, the firewall's own read): a good config is all ✓ and exits
 * 0; a broken machine (a log only root reads, a missing key file, an SMTP port nobody listens
 * on) and a bad config line are each a ✗ with its fix, and exit 1.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { mamoru } from '../helpers/cli.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { smtpPeer, type SmtpPeer } from '../notify/mail.ts';
import { freePort, startLoopbackSshd, type LoopbackSshd } from './peers.ts';

const prereq = { root: true, commands: ['/usr/sbin/sshd', 'ssh-keygen', 'nft', 'setpriv'] };

/** The checklist's lines with a mark, and the fix printed under each. */
function lines(out: string): { mark: string; text: string; fix?: string }[] {
  const rows: { mark: string; text: string; fix?: string }[] = [];
  for (const l of out.split('\n')) {
    const m = /^ {2}([✓✗!]) (.*)$/.exec(l);
    if (m) rows.push({ mark: m[1]!, text: m[2]! });
    const f = /^ {6}fix: (.*)$/.exec(l);
    if (f && rows.length) rows[rows.length - 1]!.fix = f[1]!;
  }
  return rows;
}

describe('mamoru doctor', () => {
  let dir: string;
  let sshd: LoopbackSshd;
  let smtp: SmtpPeer;
  before(async () => {
    if (missing(prereq)) return;
    dir = mkdtempSync(join(tmpdir(), 'mamoru-doctor-'));
    // The broken run tries files as user nobody, who must be able to walk in.
    chmodSync(dir, 0o755);
    sshd = await startLoopbackSshd(dir);
    smtp = await smtpPeer({ authOptional: true });
  });
  after(async () => {
    sshd?.stop();
    await smtp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a good config on a machine that has what it needs: every line ✓, exit 0', async (t) => {
    if (needs(t, prereq)) return;
    const log = join(dir, 'auth.log');
    writeFileSync(log, 'Dec  7 10:00:00 host sshd[1]: Accepted publickey for root from 127.0.0.1 port 5 ssh2\n', { mode: 0o640 });
    const web = await freePort();
    const file = join(dir, 'good.yaml');
    writeFileSync(
      file,
      [
        `store: { type: sqlite, path: ${join(dir, 'data', 'mamoru.db')} }`,
        `web: { port: ${web} }`,
        'targets:',
        '  - name: self',
        '    address: 127.0.0.1',
        '    checks: [{ type: ping }]',
        '  - name: remote',
        '    address: 127.0.0.1',
        `    executor: { type: ssh, host: 127.0.0.1, port: ${sshd.port}, private_key_file: ${sshd.privateKeyFile}, known_hosts_file: ${sshd.knownHostsFile} }`,
        'guard:',
        '  jails:',
        '    - name: sshd',
        '      filters: [sshd]',
        `      sources: [{ type: file, paths: [${log}] }]`,
        'contacts:',
        '  - name: ops',
        '    channels:',
        `      - { type: email, host: 127.0.0.1, port: ${smtp.port}, tls: none, from: mamoru@example.com, to: [ops@example.com] }`,
        `      - { type: webhook, url: "http://localhost:${web}/hook" }`,
        '',
      ].join('\n'),
    );
    const r = await mamoru(['doctor', '-c', file]);
    const rows = lines(r.stdout);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    // A test machine's clock may be unsynchronised (a ! of its own); nothing else may be short of ✓.
    assert.deepEqual(rows.filter((x) => x.mark !== '✓' && !/^the clock says .* not synchronised$/.test(x.text)), [], r.stdout);
    const has = (re: RegExp) => assert.ok(rows.some((x) => re.test(x.text)), `no ✓ line matching ${re}:\n${r.stdout}`);
    has(/is valid \(2 targets, 1 check, 1 jail\)/);
    has(new RegExp(`store .*mamoru\\.db: .* is writable by root`));
    has(/firewall backend nftables: `nft list tables` works/);
    has(/ICMP echo to 127\.0\.0\.1 works/);
    has(new RegExp(`jail sshd: ${log} is readable`));
    has(new RegExp(`target remote: logged in as root@127\\.0\\.0\\.1:${sshd.port}; the host key matches`));
    has(new RegExp(`the SMTP relay 127\\.0\\.0\\.1:${smtp.port} accepts connections`));
    has(/the url host localhost resolves \(nothing sent\)/);
    has(/the clock says 20\d\d-/);
    has(new RegExp(`the web console's address 127\\.0\\.0\\.1:${web} is free`));
    // Connecting is all the SMTP check does: nothing was sent.
    assert.equal(smtp.mails.length, 0);

    const json = await mamoru(['doctor', '-c', file, '--json']);
    assert.equal(json.code, 0);
    const report = JSON.parse(json.stdout) as { ok: boolean; findings: { group: string; mark: string }[] };
    assert.equal(report.ok, true);
    assert.deepEqual([...new Set(report.findings.map((f) => f.group))], ['config', 'store', 'firewall', 'icmp', 'logs', 'ssh', 'smtp', 'webhooks', 'clock', 'web']);
  });

  test('a broken machine: each ✗ says what is wrong and exactly what to fix, exit 1', async (t) => {
    if (needs(t, prereq)) return;
    const log = join(dir, 'secure.log');
    writeFileSync(log, 'x\n', { mode: 0o600 });
    chmodSync(log, 0o600);
    const data = join(dir, 'nobody-data');
    mkdirSync(data, { recursive: true });
    chownSync(data, 65534, 65534);
    const missingKey = join(dir, 'no-such-key');
    const closed = await freePort();
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      [
        `store: { type: sqlite, path: ${join(data, 'mamoru.db')} }`,
        `web: { port: ${await freePort()} }`,
        'targets:',
        '  - name: remote',
        '    address: 127.0.0.1',
        `    executor: { type: ssh, host: 127.0.0.1, port: ${sshd.port}, private_key_file: ${missingKey}, known_hosts_file: ${sshd.knownHostsFile} }`,
        'guard:',
        '  firewall: { type: dry-run }',
        '  jails:',
        '    - name: mail',
        '      filters: [dovecot]',
        `      sources: [{ type: file, paths: [${log}] }]`,
        'contacts:',
        '  - name: ops',
        `    channels: [{ type: email, host: 127.0.0.1, port: ${closed}, tls: none, from: mamoru@example.com, to: [ops@example.com] }]`,
        '',
      ].join('\n'),
    );
    const r = await mamoru(['doctor', '-c', file, '--user', 'nobody']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const rows = lines(r.stdout);
    const failed = rows.filter((x) => x.mark === '✗');
    const find = (re: RegExp) => {
      const row = failed.find((x) => re.test(x.text));
      assert.ok(row, `no ✗ line matching ${re}:\n${r.stdout}`);
      return row;
    };
    const unreadable = find(new RegExp(`jail mail: ${log} is not readable by user nobody \\(root:root 0600\\)`));
    assert.match(unreadable.fix!, new RegExp(`chgrp adm ${log}; chmod 640 ${log}; .*then usermod -aG adm nobody`));
    assert.match(unreadable.fix!, /CAP_DAC_READ_SEARCH/);
    const key = find(new RegExp(`target remote: private_key_file ${missingKey} is missing \\(ENOENT\\)`));
    assert.equal(key.fix, `make a key: ssh-keygen -t ed25519 -N '' -f ${missingKey}; chown nobody: ${missingKey}; then ssh-copy-id -i ${missingKey} -p ${sshd.port} root@127.0.0.1`);
    const mail = find(new RegExp(`cannot connect to the SMTP relay 127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED\\)`));
    assert.match(mail.fix!, new RegExp(`listening on ${closed}.*contacts\\[0\\]\\.channels\\[0\\] of ${file}`));
    assert.equal(failed.length, 3, r.stdout);
    // The store directory belongs to nobody: that one is fine.
    assert.ok(rows.some((x) => x.mark === '✓' && /is writable by user nobody/.test(x.text)), r.stdout);
    assert.match(r.stdout, /\d+ checks: \d+ ✓, 3 ✗, \d+ ! \(fix each ✗, then run mamoru doctor again\)/);
  });

  test('a bad config line: ✗ with the file and line, the other checks not run, exit 1', async (t) => {
    if (needs(t, prereq)) return;
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, ['targets:', '  - name: web', '    address: 127.0.0.1', '    checks:', '      - type: tcp', '        port: 80', '        timeout: soon', ''].join('\n'));
    const r = await mamoru(['doctor', '-c', file]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const rows = lines(r.stdout);
    const bad = rows.find((x) => x.mark === '✗');
    assert.ok(bad, r.stdout);
    assert.match(bad.text, new RegExp(`^${file}:7:\\d+: targets\\[0\\]\\.checks\\[0\\]\\.timeout: `));
    assert.equal(bad.fix, `edit ${file} line 7 (targets[0].checks[0].timeout); \`mamoru config validate ${file}\` checks it again`);
    assert.ok(rows.some((x) => x.mark === '!' && /the other checks need a valid config: not run/.test(x.text)));
    assert.ok(!rows.some((x) => /firewall|SMTP/.test(x.text)), r.stdout);
  });
});
