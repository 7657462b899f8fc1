/**
 * The ssh executor against the lab's real OpenSSH server in the `server` namespace: the shared
 * contract (exit codes, stderr, timeouts that kill the remote process group, output caps,
 * injection attempts returned verbatim), one connection for many commands (sshd's own log counts
 * the logins), a new one after the connection is cut, and host keys refused when unknown,
 * changed or revoked, accepted from a hashed known_hosts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/core/log.ts';
import { secretsFromEnv } from '../../src/core/secrets.ts';
import { executors } from '../../src/executors/index.ts';
import { createSshExecutor, type SshExecutor } from '../../src/executors/ssh.ts';
import { ExecutorError } from '../../src/executors/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { isRunning, killAll, waitFor } from '../lab/process.ts';
import { executorContract } from './contract.ts';

const prereq = { root: true, commands: ['ip', '/usr/sbin/sshd', 'ssh-keygen'] };
const skip = (t: TestContext) => needs(t, prereq);

/** Logins sshd accepted so far (LogLevel VERBOSE logs one line per connection). */
const logins = (sshd: LabSshd) => (readFileSync(sshd.logFile, 'utf8').match(/Accepted publickey for /g) ?? []).length;

function keyPair(dir: string, name: string): { file: string; pub: string } {
  const file = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ') };
}

describe('ssh executor against the lab sshd', () => {
  let lab: Lab;
  let sshd: LabSshd;
  let exec: SshExecutor;
  const make = (over: Record<string, unknown> = {}) =>
    createSshExecutor(
      executors.ssh.schema.parse({ host: lab.server.ip, private_key_file: sshd.privateKeyFile, known_hosts_file: sshd.knownHostsFile, ...over }),
      { secret: secretsFromEnv },
    );

  before(async () => {
    if (missing(prereq)) return;
    lab = await createLab();
    sshd = await startSshd(lab);
    exec = make();
  });
  after(async () => {
    await exec?.close();
    await lab?.destroy();
  });

  executorContract(() => ({ exec }), skip);

  test('many commands, one after another and at once, share one connection', async (t) => {
    if (skip(t)) return;
    const e = make();
    try {
      const before = logins(sshd);
      for (let i = 0; i < 10; i++) assert.equal((await e.run(['echo', String(i)])).stdout, `${i}\n`);
      // More at once than max_sessions (8): they queue for channels on the same connection.
      const many = await Promise.all(Array.from({ length: 30 }, (_, i) => e.run(['sh', '-c', `sleep 0.1; echo ${i}`])));
      assert.deepEqual(
        many.map((r) => r.stdout),
        Array.from({ length: 30 }, (_, i) => `${i}\n`),
      );
      assert.equal(e.connectCount, 1);
      await waitFor('sshd to log the login', () => logins(sshd) >= before + 1, 5000);
      assert.equal(logins(sshd), before + 1, 'sshd accepted exactly one login for 40 commands');
    } finally {
      await e.close();
    }
  });

  test('a dropped connection is opened again for the next command', async (t) => {
    if (skip(t)) return;
    const e = make();
    try {
      assert.equal((await e.run(['true'])).code, 0);
      const before = logins(sshd);
      // Cut it from the server side: kill every sshd process but the listener (the session's).
      const pids = execFileSync('ip', ['netns', 'pids', lab.server.ns], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
      const sessions = pids.filter((p) => p !== sshd.pid() && /sshd$/.test(safeExe(p)));
      assert.ok(sessions.length > 0, 'the session has sshd processes');
      killAll(sessions, 'SIGKILL');
      await waitFor('the executor to notice the drop', async () => {
        const r = await e.run(['echo', 'again']).catch(() => undefined);
        return r?.stdout === 'again\n';
      }, 10_000);
      assert.equal(e.connectCount, 2);
      assert.equal(logins(sshd), before + 1);
    } finally {
      await e.close();
    }
  });

  test('close() kills commands still running on the server', async (t) => {
    if (skip(t)) return;
    const e = make();
    const dir = lab.dir;
    const pidFile = join(dir, 'close-sleep.pid');
    const pending = e.run(['sh', '-c', `sleep 300 & echo $! > ${pidFile}; wait`], { timeoutMs: 120_000 });
    const pid = await waitFor('the remote sleep to start', () => {
      try {
        return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    });
    await e.close();
    const r = await pending;
    assert.equal(r.timedOut, false);
    await waitFor(`sleep ${pid} to be killed`, () => !isRunning(pid), 10_000);
    await assert.rejects(e.run(['true']), (err) => err instanceof ExecutorError && err.kind === 'closed');
  });

  test('a host key that differs from known_hosts is refused with a clear error', async (t) => {
    if (skip(t)) return;
    const other = keyPair(lab.dir, 'other-host-key');
    const file = join(lab.dir, 'known_hosts.wrong');
    writeFileSync(file, `${lab.server.ip} ${other.pub}\n`);
    const e = make({ known_hosts_file: file });
    try {
      await assert.rejects(e.run(['true']), (err) => {
        assert.ok(err instanceof ExecutorError);
        assert.equal(err.kind, 'host-key-mismatch');
        assert.match(err.message, /HOST KEY MISMATCH/);
        assert.match(err.message, new RegExp(lab.server.ip.replace(/\./g, '\\.')));
        assert.match(err.message, /SHA256:/);
        assert.match(err.message, /line 1/);
        return true;
      });
    } finally {
      await e.close();
    }
  });

  test('a host not in known_hosts is refused, with the fingerprint and how to add it', async (t) => {
    if (skip(t)) return;
    const hostPub = readFileSync(sshd.knownHostsFile, 'utf8').split('\n')[0]!.split(' ').slice(1).join(' ');
    const file = join(lab.dir, 'known_hosts.other');
    // The right key, but for other names only (and this address negated).
    writeFileSync(file, `somewhere.invalid,10.255.255.1 ${hostPub}\n*,!${lab.server.ip} ${hostPub}\n`);
    const e = make({ known_hosts_file: file });
    try {
      await assert.rejects(e.run(['true']), (err) => {
        assert.ok(err instanceof ExecutorError);
        assert.equal(err.kind, 'host-key-unknown');
        assert.match(err.message, /unknown host/);
        assert.match(err.message, /ssh-keyscan/);
        return true;
      });
    } finally {
      await e.close();
    }
  });

  test('a hashed known_hosts (ssh-keygen -H) is accepted; a @revoked key is refused', async (t) => {
    if (skip(t)) return;
    const hashed = join(lab.dir, 'known_hosts.hashed');
    writeFileSync(hashed, readFileSync(sshd.knownHostsFile));
    execFileSync('ssh-keygen', ['-q', '-H', '-f', hashed]);
    assert.match(readFileSync(hashed, 'utf8'), /^\|1\|/);
    const ok = make({ known_hosts_file: hashed });
    try {
      assert.equal((await ok.run(['echo', 'hashed'])).stdout, 'hashed\n');
    } finally {
      await ok.close();
    }
    const hostPub = readFileSync(sshd.knownHostsFile, 'utf8').split('\n')[0]!.split(' ').slice(1).join(' ');
    const revokedFile = join(lab.dir, 'known_hosts.revoked');
    writeFileSync(revokedFile, readFileSync(hashed, 'utf8') + `@revoked * ${hostPub}\n`);
    const bad = make({ known_hosts_file: revokedFile });
    try {
      await assert.rejects(bad.run(['true']), (err) => err instanceof ExecutorError && err.kind === 'host-key-revoked' && /@revoked/.test(err.message));
    } finally {
      await bad.close();
    }
  });

  test('a key the server does not accept is an auth error naming the user and key', async (t) => {
    if (skip(t)) return;
    const stranger = keyPair(lab.dir, 'stranger-key');
    const e = make({ private_key_file: stranger.file });
    try {
      await assert.rejects(e.run(['true']), (err) => {
        assert.ok(err instanceof ExecutorError);
        assert.equal(err.kind, 'auth');
        assert.match(err.message, /user root/);
        assert.match(err.message, /stranger-key/);
        return true;
      });
    } finally {
      await e.close();
    }
  });

  test('login through ssh-agent, with no key file given', async (t) => {
    if (needs(t, { ...prereq, commands: [...prereq.commands, 'ssh-agent', 'ssh-add'] })) return;
    const sock = join(lab.dir, 'agent.sock');
    // -D: in the foreground, so the test owns it and kills it.
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await waitFor('the agent socket', () => existsSync(sock));
      execFileSync('ssh-add', ['-q', sshd.privateKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const e = createSshExecutor(
        executors.ssh.schema.parse({ host: lab.server.ip, agent: sock, known_hosts_file: sshd.knownHostsFile }),
        { secret: secretsFromEnv },
      );
      try {
        assert.equal((await e.run(['echo', 'via agent'])).stdout, 'via agent\n');
      } finally {
        await e.close();
      }
    } finally {
      agent.kill('SIGKILL');
    }
  });

  test('a port nothing listens on is a connect error; the options need a key or an agent', async (t) => {
    if (skip(t)) return;
    const e = make({ port: 2 });
    try {
      await assert.rejects(e.run(['true']), (err) => err instanceof ExecutorError && err.kind === 'connect' && /connection refused/.test(err.message));
    } finally {
      await e.close();
    }
    const r = executors.ssh.schema.safeParse({ host: 'x.invalid' });
    assert.equal(r.success, false);
    assert.deepEqual(r.error!.issues.map((i) => i.message), ['give private_key_file, agent, or both']);
  });

  test('the registry creates the executor from config with a readable name', async (t) => {
    if (skip(t)) return;
    const e = executors.ssh.create(
      executors.ssh.schema.parse({ host: lab.server.ip, private_key_file: sshd.privateKeyFile, known_hosts_file: sshd.knownHostsFile }),
      { secret: secretsFromEnv, log: silentLogger },
    );
    try {
      assert.equal(e.name, `ssh root@${lab.server.ip}:22`);
      // Commands run in the server namespace: its address is there, the monitor's bridge is not.
      const r = await e.run(['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
      assert.match(r.stdout, new RegExp(`inet ${lab.server.ip.replace(/\./g, '\\.')}/`));
    } finally {
      await e.close();
    }
  });
});

function safeExe(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}
