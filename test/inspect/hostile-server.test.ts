/**
 * The hostile-server suite, inspections: a server whose users start processes named like the
 * daemon, plant programs and pid files, and name paths that read as options. Asserted: what
 * mamoru ran (argv), which config it read, and what it tells a person.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { serviceSchema } from '../../src/actions/service-config.ts';
import { inspectApacheWorkers } from '../../src/inspect/apache-workers.ts';
import { inspectDiskUsage, inspectInodeHogs } from '../../src/inspect/disk-usage.ts';
import { HostileServer } from '../helpers/hostile-server.ts';

const REAL_CONF = 'ServerRoot /etc/apache2\nLoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so\nMaxRequestWorkers 150\nErrorLog /var/log/apache2/error.log\n';
const EVIL_CONF = 'ServerRoot /home/u\nLoadModule mpm_prefork_module x.so\nMaxRequestWorkers 3\nInclude /home/u/evil/*.conf\n';

/** A Debian server with its real Apache (root, parent 1, /usr/sbin/apache2) and two workers. */
function debianServer(): HostileServer {
  const s = new HostileServer();
  s.add('/etc/apache2/apache2.conf', { type: 'file', content: REAL_CONF });
  s.add('/usr/sbin/apache2', { type: 'file', mode: 0o755 });
  s.add('/var/log/apache2/error.log', { type: 'file', content: '' });
  s.add('/home/u', { type: 'dir', uid: 1000 });
  s.add('/home/u/bin/apache2', { type: 'file', uid: 1000, mode: 0o755 });
  s.add('/home/u/evil.conf', { type: 'file', uid: 1000, content: EVIL_CONF });
  s.processes = [
    { pid: 1, ppid: 0, user: 'root', uid: 0, name: 'init', args: '/sbin/init', exe: '/sbin/init' },
    { pid: 500, ppid: 1, user: 'root', uid: 0, name: 'apache2', args: '/usr/sbin/apache2 -k start', exe: '/usr/sbin/apache2', elapsed: 1000 },
    { pid: 501, ppid: 500, user: 'www-data', uid: 33, name: 'apache2', args: '/usr/sbin/apache2 -k start', exe: '/usr/sbin/apache2' },
    { pid: 502, ppid: 500, user: 'www-data', uid: 33, name: 'apache2', args: '/usr/sbin/apache2 -k start', exe: '/usr/sbin/apache2' },
  ];
  return s;
}

const noHomeProgram = (s: HostileServer) => assert.deepEqual(s.programs().filter((p) => !/^[a-z0-9]+$/.test(p)), [], `programs run by path: ${JSON.stringify(s.ran)}`);

describe('hostile server: who is Apache\'s master', () => {
  test('a user\'s fake apache2 started with -f of the real config (older than the real master) is never run and never chooses the config', async () => {
    const s = debianServer();
    // Started by the user before Apache's last restart: older, so it would sort first.
    s.processes.push({ pid: 400, ppid: 399, user: 'u', uid: 1000, name: 'apache2', args: '/home/u/bin/apache2 -f /home/u/evil.conf -d /home/u -D EVIL', exe: '/home/u/bin/apache2', elapsed: 5000, environ: { APACHE_RUN_DIR: '/home/u' } });
    s.processes.push({ pid: 399, ppid: 1, user: 'u', uid: 1000, name: 'bash', args: '-bash', exe: '/usr/bin/bash' });
    const ev = await inspectApacheWorkers(s, {});
    noHomeProgram(s);
    assert.ok(!s.ran.some((a) => a.some((w) => w.startsWith('/home/u'))), `nothing under /home/u was named in a command: ${JSON.stringify(s.ran)}`);
    assert.deepEqual(s.ran.filter((a) => a.includes('-l')), [['apache2ctl', '-l']]);
    assert.equal(ev.masterPid, 500);
    assert.equal(ev.running, 2);
    assert.equal(ev.limit, 150);
    assert.equal(ev.file, '/etc/apache2/apache2.conf');
    assert.deepEqual(ev.files, ['/etc/apache2/apache2.conf']);
    assert.ok(ev.problems.includes('ignored the apache2/httpd process 400 (user u): it does not run as root'), ev.problems.join('\n'));
  });

  test('with config_file named: the fake carrying that -f still loses to the real master started without -f', async () => {
    const s = debianServer();
    s.processes.push({ pid: 400, ppid: 399, user: 'u', uid: 1000, name: 'apache2', args: '/home/u/bin/apache2 -f /etc/apache2/apache2.conf', exe: '/home/u/bin/apache2', elapsed: 5000 });
    const ev = await inspectApacheWorkers(s, { configFile: '/etc/apache2/apache2.conf' });
    noHomeProgram(s);
    assert.equal(ev.masterPid, 500);
    assert.equal(ev.limit, 150);
  });

  test('only the fake runs (Apache is down): no master, and the summary says why the process was ignored', async () => {
    const s = debianServer();
    s.processes = s.processes.filter((p) => p.name !== 'apache2');
    s.processes.push({ pid: 400, ppid: 1, user: 'u', uid: 1000, name: 'apache2', args: '/home/u/bin/apache2 -f /home/u/evil.conf', exe: '/home/u/bin/apache2' });
    const ev = await inspectApacheWorkers(s, {});
    noHomeProgram(s);
    assert.equal(ev.masterPid, undefined);
    assert.equal(ev.atLimit, false);
    assert.deepEqual(ev.files, ['/etc/apache2/apache2.conf']);
    assert.match(ev.summary, /^no Apache master process mamoru can trust; 1 process named apache2\/httpd ignored \(400: it does not run as root\)/);
  });

  for (const [label, fake, why] of [
    ['ps says root, the kernel says uid 1000', { user: 'root', uid: 1000, ppid: 1, exe: '/usr/sbin/apache2' }, 'it does not run as root'],
    ['root, but started by a user\'s shell, and no pid file names it', { user: 'root', uid: 0, ppid: 399, exe: '/usr/sbin/apache2' }, 'it was not started by the service manager (parent 399) and no root-owned pid file names it'],
    ['root, parent 1, but running a program the user owns', { user: 'root', uid: 0, ppid: 1, exe: '/home/u/bin/apache2' }, 'its program is owned by uid 1000, not root'],
    ['root, parent 1, a root-owned program in the user\'s directory', { user: 'root', uid: 0, ppid: 1, exe: '/home/u/rootprog/apache2' }, 'its program /home/u/rootprog/apache2 is in a directory others can change'],
  ] as const) {
    test(`fake master rejected: ${label}`, async () => {
      const s = debianServer();
      s.add('/home/u/rootprog', { type: 'dir', uid: 1000 }).add('/home/u/rootprog/apache2', { type: 'file', uid: 0, mode: 0o755 });
      s.processes.push({ pid: 400, name: 'apache2', args: `${fake.exe} -f /home/u/evil.conf`, elapsed: 5000, ...fake });
      const ev = await inspectApacheWorkers(s, {});
      noHomeProgram(s);
      assert.equal(ev.masterPid, 500);
      assert.ok(ev.problems.some((p) => p.startsWith(`ignored the apache2/httpd process 400 (user ${fake.user}): ${why}`)), ev.problems.join('\n'));
    });
  }

  test('a master whose parent is not PID 1 is believed when a root-owned pid file names it; a user-owned pid file is not believed', async () => {
    const s = debianServer();
    s.processes.find((p) => p.pid === 500)!.ppid = 77;
    s.add('/run/apache2/apache2.pid', { type: 'file', content: '500\n' });
    assert.equal((await inspectApacheWorkers(s, {})).masterPid, 500);
    s.add('/run/apache2/apache2.pid', { type: 'file', uid: 1000, content: '500\n' });
    const ev = await inspectApacheWorkers(s, {});
    assert.equal(ev.masterPid, undefined);
    assert.match(ev.summary, /no root-owned pid file names it/);
  });
});

describe('hostile server: paths that read as options never reach a command', () => {
  test('disk_paths in the config: "-delete", relative and ".." paths are config errors with the fix', () => {
    for (const bad of ['-delete', 'var/log', '/var/../etc', '/var//log', '/var/log/']) {
      const r = serviceSchema.safeParse({ name: 'x', disk_paths: [bad] });
      assert.equal(r.success, false, bad);
      assert.match(r.error!.issues[0]!.message, /write it like \/etc\/apache2\/apache2.conf/);
    }
    for (const key of ['pid_file', 'config_file', 'server_root', 'error_log', 'mail_log', 'init_dir']) {
      assert.equal(serviceSchema.safeParse({ name: 'x', [key]: '-rf' }).success, false, key);
    }
    assert.deepEqual(serviceSchema.parse({ name: 'x', disk_paths: ['/', '/var/www'] }).disk_paths, ['/', '/var/www']);
  });

  test('du and find are never run on a path starting with "-" however it arrives', async () => {
    const s = new HostileServer();
    await assert.rejects(inspectDiskUsage(s, { path: '-delete' }), /"-delete" is not an absolute path: not looked into/);
    await assert.rejects(inspectInodeHogs(s, { path: '-delete' }), /not looked into/);
    await assert.rejects(inspectInodeHogs(s, { path: '/srv/../..' }), /climbs/);
    assert.deepEqual(s.ran, []);
  });
});
