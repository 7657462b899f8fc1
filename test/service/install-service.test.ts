/**
 * `mamoru install-service`, run as an operator would: the unit it writes is what `--print`
 * shows, passes `systemd-analyze verify` without a word, carries the hardening, runs this node
 * and this package's bin, maps reload to SIGHUP, asks for CAP_DAC_READ_SEARCH only when the
 * config's guard reads logs only root can read (and says why), and never replaces a different
 * unit without --force.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, mamoru } from '../helpers/cli.ts';
import { needs } from '../helpers/prereq.ts';

const HARDENING = [
  'Type=simple',
  'User=mamoru',
  'ProtectSystem=strict',
  'ProtectHome=yes',
  'PrivateTmp=yes',
  'NoNewPrivileges=yes',
  'ReadWritePaths=/var/lib/mamoru',
  'StateDirectory=mamoru',
  'ConfigurationDirectory=mamoru',
  'WorkingDirectory=/var/lib/mamoru',
  'ExecReload=/bin/kill -HUP $MAINPID',
  'Restart=on-failure',
  'StandardOutput=journal',
];

/** The value of every `Key=` line (keys can repeat). */
const values = (unit: string, key: string) => unit.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

function verify(file: string): { status: number | null; output: string } {
  const r = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, output: (r.stdout + r.stderr).trim() };
}

describe('mamoru install-service', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mamoru-service-'));
    // A log anyone may read must be reachable by anyone: the directory too.
    chmodSync(dir, 0o755);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('writes what --print shows; systemd-analyze verify accepts it silently; the hardening is there', async (t) => {
    if (needs(t, { commands: ['systemd-analyze'] })) return;
    const units = join(dir, 'plain');
    const config = join(dir, 'plain.yaml');
    writeFileSync(config, 'targets:\n  - name: self\n    address: 127.0.0.1\n    checks: [{ type: ping }]\n');
    const printed = await mamoru(['install-service', '--print', '-c', config]);
    assert.equal(printed.code, 0, printed.stderr);
    const wrote = await mamoru(['install-service', '-c', config, '--unit-dir', units]);
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.match(wrote.stdout, new RegExp(`^wrote ${join(units, 'mamoru.service')}\nnext: systemctl daemon-reload && systemctl enable --now mamoru\n$`));
    const file = join(units, 'mamoru.service');
    const unit = readFileSync(file, 'utf8');
    assert.equal(unit, printed.stdout);
    const v = verify(file);
    assert.equal(v.status, 0, v.output);
    assert.equal(v.output, '', 'systemd-analyze verify has nothing to say');
    for (const line of HARDENING) assert.ok(unit.split('\n').includes(line), `missing ${line}:\n${unit}`);
    assert.deepEqual(values(unit, 'ExecStart'), [`${process.execPath} ${BIN} start --config ${config}`]);
    assert.deepEqual(values(unit, 'CapabilityBoundingSet'), ['CAP_NET_ADMIN CAP_NET_RAW']);
    assert.deepEqual(values(unit, 'AmbientCapabilities'), ['CAP_NET_ADMIN CAP_NET_RAW']);
    assert.doesNotMatch(unit, /CAP_DAC_READ_SEARCH/);
    // A config named relative to where the command runs is written as an absolute path: the
    // service starts in its state directory.
    const relative = await mamoru(['install-service', '--print', '-c', 'plain.yaml'], { cwd: dir });
    assert.deepEqual(values(relative.stdout, 'ExecStart'), [`${process.execPath} ${BIN} start --config ${config}`]);

    // The same unit again is no change; a different one is refused without --force.
    const again = await mamoru(['install-service', '-c', config, '--unit-dir', units]);
    assert.match(again.stdout, /is already this unit/);
    writeFileSync(file, unit.replace('Restart=on-failure', 'Restart=always'));
    const refused = await mamoru(['install-service', '-c', config, '--unit-dir', units]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /exists and differs from the unit mamoru would write; compare it with `mamoru install-service --print`, then run again with --force/);
    assert.match(readFileSync(file, 'utf8'), /Restart=always/, 'the operator\'s unit is left alone');
    const forced = await mamoru(['install-service', '-c', config, '--unit-dir', units, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(readFileSync(file, 'utf8'), printed.stdout);
  });

  test('a guard reading a log only root can read: CAP_DAC_READ_SEARCH, with the reason; the journal: its group; outside writes are allowed', async (t) => {
    if (needs(t, { commands: ['systemd-analyze'] })) return;
    const secure = join(dir, 'secure.log');
    const open = join(dir, 'open.log');
    writeFileSync(secure, '', { mode: 0o640 });
    writeFileSync(open, '', { mode: 0o644 });
    const authLog = join(dir, 'auth', 'mamoru-auth.log');
    const config = join(dir, 'guard.yaml');
    const jail = (name: string, path: string) => [`    - name: ${name}`, '      filters: [sshd]', `      sources: [{ type: file, paths: [${path}] }]`];
    const journal = ['    - name: journal', '      filters: [sshd]', '      sources: [{ type: journald, units: [ssh] }]'];
    writeFileSync(config, ['auth:', `  log_file: ${authLog}`, 'guard:', '  jails:', ...jail('secure', secure), ...jail('open', open), ...journal, ''].join('\n'));
    const r = await mamoru(['install-service', '--print', '-c', config, '--user', 'watcher']);
    assert.equal(r.code, 0, r.stderr);
    const unit = r.stdout;
    assert.deepEqual(values(unit, 'CapabilityBoundingSet'), ['CAP_NET_ADMIN CAP_NET_RAW CAP_DAC_READ_SEARCH']);
    assert.deepEqual(values(unit, 'AmbientCapabilities'), ['CAP_NET_ADMIN CAP_NET_RAW CAP_DAC_READ_SEARCH']);
    assert.match(unit, new RegExp(`#   CAP_DAC_READ_SEARCH: the guard reads logs user watcher cannot read by their mode \\(root only, or not there yet\\):\n#     ${secure}\n`));
    assert.doesNotMatch(unit, new RegExp(`#     ${open}\n`), 'a log anyone may read needs no capability');
    assert.deepEqual(values(unit, 'User'), ['watcher']);
    // The system journal is read through the group made for it, not a capability.
    assert.deepEqual(values(unit, 'SupplementaryGroups'), ['systemd-journal']);
    assert.deepEqual(values(unit, 'ReadWritePaths'), ['/var/lib/mamoru', `-${join(dir, 'auth')}`]);
    const file = join(dir, 'guard.service');
    writeFileSync(file, unit);
    const v = verify(file);
    assert.equal(v.status, 0, v.output);
    assert.equal(v.output, '');
  });

  test('local services: a second unit for the root helper, sandboxed when systemd starts them, verified; the daemon wants it', async (t) => {
    if (needs(t, { commands: ['systemd-analyze'] })) return;
    const units = join(dir, 'helper');
    const write = (name: string, service: string, helper = true) => {
      const file = join(dir, name);
      writeFileSync(file, ['targets:', '  - name: self', '    address: 127.0.0.1', `    executor: { type: local${helper ? ', helper: /run/mamoru/helper.sock' : ''} }`, `    services: [${service}]`, '    checks: [{ type: ping }]', ''].join('\n'));
      return file;
    };
    const viaSystemd = write('systemd.yaml', '{ name: apache2, manager: systemd, ports: [80], pid_file: /run/apache2/apache2.pid }');
    const printed = await mamoru(['install-service', '--print', '-c', viaSystemd]);
    assert.equal(printed.code, 0, printed.stderr);
    const [daemon, helper] = printed.stdout.split(/\n(?=# mamoru-helper\.service, written by)/);
    assert.ok(helper, `--print shows the helper's unit after the daemon's:\n${printed.stdout}`);
    assert.deepEqual(values(daemon!, 'Wants'), ['network-online.target mamoru-helper.service']);
    assert.deepEqual(values(daemon!, 'After'), ['network-online.target mamoru-helper.service']);
    assert.deepEqual(values(helper, 'ExecStart'), [`${process.execPath} ${BIN} helper --config ${viaSystemd} --socket /run/mamoru/helper.sock --group mamoru`]);
    assert.deepEqual(values(helper, 'User'), [], 'the helper runs as root');
    for (const line of ['ProtectSystem=strict', 'NoNewPrivileges=yes', 'RestrictAddressFamilies=AF_UNIX', 'RuntimeDirectory=mamoru', 'PrivateTmp=yes', 'ReadWritePaths=-/run/apache2']) assert.ok(helper.split('\n').includes(line), `missing ${line}:\n${helper}`);

    const wrote = await mamoru(['install-service', '-c', viaSystemd, '--unit-dir', units]);
    assert.equal(wrote.code, 0, wrote.stderr);
    assert.equal(wrote.stdout, `wrote ${join(units, 'mamoru.service')}\nwrote ${join(units, 'mamoru-helper.service')}\nnext: systemctl daemon-reload && systemctl enable --now mamoru-helper mamoru\n`);
    assert.equal(readFileSync(join(units, 'mamoru-helper.service'), 'utf8'), helper);
    assert.equal(readFileSync(join(units, 'mamoru.service'), 'utf8') + '\n' + helper, printed.stdout);
    for (const unit of ['mamoru.service', 'mamoru-helper.service']) {
      const v = verify(join(units, unit));
      assert.equal(v.status, 0, v.output);
      assert.equal(v.output, '', `systemd-analyze verify has nothing to say about ${unit}`);
    }

    // A service started by its own command would inherit a sandbox (no network): none, said why.
    const own = write('own.yaml', '{ name: toy, manager: command, start: [/usr/local/bin/toy], ports: [8080] }', false);
    const r = await mamoru(['install-service', '--print', '-c', own]);
    assert.equal(r.code, 0, r.stderr);
    const ownHelper = r.stdout.split(/\n(?=# mamoru-helper\.service, written by)/)[1]!;
    assert.doesNotMatch(ownHelper, /^(ProtectSystem|RestrictAddressFamilies)=/m);
    assert.match(ownHelper, /# No sandbox: these services are started by their own command or SysV script from this process,\n# and would inherit it \(no network, a read-only system\):\n#   toy\n/);
    assert.deepEqual(values(ownHelper, 'KillMode'), ['process']);
    assert.match(r.stderr, /^mamoru: the local services of self need root to be started: add `helper: \/run\/mamoru\/helper\.sock` to their executor/);
    const file = join(dir, 'own-helper.service');
    writeFileSync(file, ownHelper);
    const v = verify(file);
    assert.equal(v.status, 0, v.output);
    assert.equal(v.output, '');

    // No local service: no helper unit.
    const plain = join(dir, 'plain.yaml');
    const none = await mamoru(['install-service', '--print', '-c', plain]);
    assert.doesNotMatch(none.stdout, /mamoru-helper/);
  });

  test('a config that does not validate is refused: the service would not start with it', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'targets:\n  - name: self\n    adress: 127.0.0.1\n');
    const r = await mamoru(['install-service', '--print', '-c', config]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`${config}:3:\\d+: targets\\[0\\]`));
    assert.equal(r.stdout, '');
  });

  test('--create-user makes a system user with the state directory as home and no login shell', async (t) => {
    if (needs(t, { root: true, commands: ['useradd', 'userdel', 'getent'] })) return;
    const user = `mamoru-t${process.pid % 100000}`;
    const units = join(dir, 'user');
    try {
      const r = await mamoru(['install-service', '-c', join(dir, 'none.yaml'), '--unit-dir', units, '--user', user, '--create-user']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^created system user ${user} \\(home /var/lib/mamoru, no login shell\\)\n`));
      assert.match(r.stdout, /note: .*none\.yaml is not there yet/);
      const entry = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim().split(':');
      assert.equal(entry[5], '/var/lib/mamoru');
      assert.equal(entry[6], '/usr/sbin/nologin');
      assert.ok(Number(entry[2]) < 1000, `a system uid, got ${entry[2]}`);
      const again = await mamoru(['install-service', '-c', join(dir, 'none.yaml'), '--unit-dir', units, '--user', user, '--create-user']);
      assert.match(again.stdout, new RegExp(`^user ${user} already exists\n`));
      assert.deepEqual(values(readFileSync(join(units, 'mamoru.service'), 'utf8'), 'User'), [user]);
    } finally {
      spawnSync('userdel', [user], { timeout: 10_000 });
    }
  });
});
