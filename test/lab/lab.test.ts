/**
 * The lab itself: it builds, its Apache, MariaDB and OpenSSH answer from the monitor, every
 * fault injection does what it says (stop and kill leave nothing listening, start brings the
 * daemon back, slow clients exhaust Apache's workers until released), and destroy() leaves no
 * namespace, no process and no temp dir behind.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { missing, needs } from '../helpers/prereq.ts';
import { startApache, type LabApache } from './daemons/apache.ts';
import { startMariadb, type LabMariadb } from './daemons/mariadb.ts';
import { startSshd, type LabSshd } from './daemons/sshd.ts';
import { createLab, type Lab } from './network.ts';
import { acceptsTcp, isRunning } from './process.ts';

const PREREQ = { root: true, commands: ['ip', 'nft', 'apache2', 'mariadbd', 'mariadb-install-db', 'mariadb', '/usr/sbin/sshd', 'ssh', 'ssh-keygen'] };

/** GET http://ip:port/ from the monitor: the status and body, or 'no answer' after waitMs. */
function get(ip: string, port: number, waitMs: number): Promise<{ status: number; body: string } | 'no answer' | 'refused'> {
  return new Promise((resolve) => {
    const req = http.get({ host: ip, port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.setTimeout(waitMs, () => {
      req.destroy();
      resolve('no answer');
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED' ? 'refused' : 'no answer'));
  });
}

/** Whether ip:port accepts a TCP connection from the monitor right now. */
const accepts = (ip: string, port: number) => acceptsTcp(ip, port, 2000);

function run(argv: string[], timeoutMs = 15_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr });
    });
  });
}

/** Processes whose command line mentions `text` (a lab's directory or id). */
function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text) && isRunning(Number(e))) found.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return found;
}

describe('lab: Apache, MariaDB and OpenSSH in the server namespace', () => {
  let lab: Lab;
  let apache: LabApache;
  let db: LabMariadb;
  let sshd: LabSshd;

  before(async () => {
    if (missing(PREREQ)) return;
    lab = await createLab();
    [apache, db, sshd] = await Promise.all([startApache(lab), startMariadb(lab), startSshd(lab)]);
  });
  after(async () => {
    await lab?.destroy();
  });

  test('Apache serves its page on port 80 of the server, under its own config', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await get(lab.server.ip, 80, 5000);
    assert.deepEqual(r, { status: 200, body: apache.indexBody });
    assert.equal(apache.configTest().ok, true, apache.configTest().output);
    // The worker limit is in a separate file the main config Includes (a runbook must follow it).
    assert.match(readFileSync(apache.configFile, 'utf8'), /^Include mods-enabled\/\*\.conf$/m);
    assert.match(readFileSync(apache.mpmConfFile, 'utf8'), /^\s*MaxRequestWorkers\s+5$/m);
    assert.doesNotMatch(readFileSync(apache.configFile, 'utf8'), /reqtimeout/);
    assert.ok(apache.workerPids().length >= 1, 'prefork workers run beside the master');
  });

  test('Apache: exhausting the workers logs AH00161 and new requests wait; released, they are served', async (t) => {
    if (needs(t, PREREQ)) return;
    const slow = await apache.exhaustWorkers();
    try {
      assert.match(apache.log(), /AH00161: server reached MaxRequestWorkers setting/);
      assert.equal(apache.workerPids().length, apache.maxRequestWorkers);
      assert.equal(await get(lab.server.ip, 80, 1500), 'no answer');
    } finally {
      await slow.release();
    }
    const r = await get(lab.server.ip, 80, 5000);
    assert.equal(typeof r === 'object' && r.status, 200);
  });

  test('Apache: a broken config fails -t; graceful reloads a good one', async (t) => {
    if (needs(t, PREREQ)) return;
    const good = readFileSync(apache.mpmConfFile, 'utf8');
    writeFileSync(apache.mpmConfFile, good + 'NoSuchDirective on\n');
    try {
      const broken = apache.configTest();
      assert.equal(broken.ok, false);
      assert.match(broken.output, /NoSuchDirective/);
    } finally {
      writeFileSync(apache.mpmConfFile, good);
    }
    assert.equal(apache.configTest().ok, true);
    const master = apache.pid();
    await apache.graceful();
    assert.equal(apache.pid(), master, 'a graceful restart keeps the master');
    assert.equal(typeof (await get(lab.server.ip, 80, 5000)), 'object');
  });

  test('Apache: stop and kill leave nothing listening; start brings it back', async (t) => {
    if (needs(t, PREREQ)) return;
    await apache.stop();
    assert.equal(apache.isRunning(), false);
    assert.equal(await get(lab.server.ip, 80, 2000), 'refused');
    await apache.start();
    assert.equal(typeof (await get(lab.server.ip, 80, 5000)), 'object');
    await apache.kill();
    assert.equal(apache.isRunning(), false);
    assert.deepEqual(apache.workerPids(), [], 'no orphaned worker keeps the port');
    assert.equal(await get(lab.server.ip, 80, 2000), 'refused');
    await apache.start();
    assert.deepEqual(await get(lab.server.ip, 80, 5000), { status: 200, body: apache.indexBody });
  });

  test('Apache accepts the old MaxClients spelling and its limit holds', async (t) => {
    if (needs(t, PREREQ)) return;
    const old = await startApache(lab, { port: 8080, directive: 'MaxClients', maxRequestWorkers: 3 });
    try {
      assert.match(readFileSync(old.mpmConfFile, 'utf8'), /^\s*MaxClients\s+3$/m);
      assert.equal(old.configTest().ok, true, old.configTest().output);
      const slow = await old.exhaustWorkers();
      assert.match(old.log(), /AH00161/);
      assert.equal(await get(lab.server.ip, 8080, 1500), 'no answer');
      await slow.release();
    } finally {
      await old.stop();
    }
  });

  test('MariaDB: the lab user reads the known value over TCP from the monitor', async (t) => {
    if (needs(t, PREREQ)) return;
    const r = await run(['mariadb', '--no-defaults', '-h', lab.server.ip, '-P', String(db.port), '-u', db.user, `-p${db.password}`, '-N', '-B', '-e', `SELECT value FROM ${db.database}.known`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), String(db.knownValue));
    const bad = await run(['mariadb', '--no-defaults', '-h', lab.server.ip, '-u', db.user, '-pwrong', '-e', 'SELECT 1']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Access denied for user 'lab'/);
  });

  test('MariaDB: stop and kill refuse connections; start serves the same data again', async (t) => {
    if (needs(t, PREREQ)) return;
    await db.stop();
    assert.equal(db.isRunning(), false);
    assert.equal(await accepts(lab.server.ip, db.port), false);
    await db.start();
    assert.equal(db.sql(`SELECT value FROM ${db.database}.known`).trim(), String(db.knownValue));
    await db.kill();
    assert.equal(db.isRunning(), false);
    assert.equal(await accepts(lab.server.ip, db.port), false);
    await db.start();
    assert.equal(db.sql(`SELECT value FROM ${db.database}.known`).trim(), String(db.knownValue));
  });

  test('sshd: key login from the monitor with strict host key checking; no key, no login', async (t) => {
    if (needs(t, PREREQ)) return;
    const ok = await run([...sshd.sshArgv(), 'echo', 'logged-in']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'logged-in');
    const argv = sshd.sshArgv();
    const noKey = argv.map((a) => (a === sshd.privateKeyFile ? '/dev/null' : a));
    const denied = await run([...noKey, 'true']);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /Permission denied/);
  });

  test('sshd: stop and kill refuse connections; start lets the key in again', async (t) => {
    if (needs(t, PREREQ)) return;
    await sshd.stop();
    assert.equal(await accepts(lab.server.ip, 22), false);
    await sshd.start();
    await sshd.kill();
    assert.equal(sshd.isRunning(), false);
    assert.equal(await accepts(lab.server.ip, 22), false);
    await sshd.start();
    assert.equal((await run([...sshd.sshArgv(), 'true'])).code, 0);
  });

  test('destroy() leaves no namespace, no process and no temp dir', async (t) => {
    if (needs(t, PREREQ)) return;
    const { id, dir } = lab;
    assert.ok(processesMentioning(dir).length > 0, 'the daemons run before destroy');
    await lab.destroy();
    const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    assert.doesNotMatch(namespaces, new RegExp(id));
    assert.doesNotMatch(spawnSync('ip', ['link', 'show'], { encoding: 'utf8' }).stdout, new RegExp(id.slice(0, 15)));
    assert.deepEqual(processesMentioning(dir), []);
    assert.equal(existsSync(dir), false);
  });
});
