/**
 * The ssh executor against the lab's real OpenSSH server in the `server` namespace: the shared
 * contract (exit codes, stderr, timeouts that kill the remote process group, output caps,
 * injection attempts returned verbatim), one connection for many commands (sshd's own log counts
 * the logins), a new one after the connection is cut, and host keys refused when unknown,
 * changed or revoked, accepted from a hashed known_hosts.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, lchownSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test, type TestContext } from 'node:test';
import { pino } from 'pino';
import { silentLogger } from '../../src/core/log.ts';
import { secretsFromEnv } from '../../src/core/secrets.ts';
import { executors } from '../../src/executors/index.ts';
import { createSshExecutor, type SshExecutor } from '../../src/executors/ssh.ts';
import { ExecutorError } from '../../src/executors/types.ts';
import { missing, needs } from '../helpers/prereq.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import { createLab, type Lab } from '../lab/network.ts';
import { isRunning, killAll, waitFor, waitForTcp } from '../lab/process.ts';
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

  describe('a login rc that writes what it likes on stderr', () => {
    /** Rewritten per test: root's ~/.bashrc as that sshd's logins see it (bash reads it for an ssh command). */
    let rcFile: string;
    let port: number;
    let knownHosts: string;
    const warnings: { msg: string; why?: string }[] = [];
    const hostile = () =>
      createSshExecutor(
        executors.ssh.schema.parse({ host: lab.server.ip, port, private_key_file: sshd.privateKeyFile, known_hosts_file: knownHosts }),
        { secret: secretsFromEnv, log: pino({ level: 'warn' }, { write: (l: string) => void warnings.push(JSON.parse(l) as { msg: string }) }) },
      );

    before(async () => {
      if (missing({ ...prereq, commands: [...prereq.commands, 'unshare', 'mount'] })) return;
      // A second sshd on the lab's config, in a mount namespace where rcFile is bind-mounted over
      // /root/.bashrc (this machine's own stays as it is), and in a PID namespace of its own: even
      // a `kill -- -1` that got through would end only that namespace's processes, never this
      // test or the machine's.
      port = 2222;
      rcFile = join(lab.dir, 'hostile-bashrc');
      writeFileSync(rcFile, '');
      const config = join(lab.dir, 'sshd_hostile_config');
      writeFileSync(config, readFileSync(sshd.configFile, 'utf8').replace(/^Port .*$/m, `Port ${port}`).replace(/^PidFile .*$/m, `PidFile ${join(lab.dir, 'sshd_hostile.pid')}`));
      knownHosts = join(lab.dir, 'known_hosts.hostile');
      const hostPub = readFileSync(sshd.knownHostsFile, 'utf8').split('\n')[0]!.split(' ').slice(1).join(' ');
      writeFileSync(knownHosts, `[${lab.server.ip}]:${port} ${hostPub}\n`);
      const inside = 'mount --bind "$1" /root/.bashrc && exec /usr/sbin/sshd -D -f "$2" -E "$3"';
      lab.server.spawn(['unshare', '--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', inside, 'sh', rcFile, config, join(lab.dir, 'sshd_hostile.log')], { stdio: 'ignore' });
      await waitForTcp(lab.server.ip, port);
    });
    const skipHostile = (t: TestContext) => needs(t, { ...prereq, commands: [...prereq.commands, 'unshare', 'mount'] });

    /** The rc's stderr, then a command that outlives its timeout beside a sleeper started apart. */
    async function timeoutBesideASibling(t: TestContext, rc: string, tag: string) {
      writeFileSync(rcFile, rc);
      const e = hostile();
      try {
        const sibling = await e.run(['sh', '-c', `setsid sleep 3${tag}1 </dev/null >/dev/null 2>&1 & echo $!`]);
        assert.equal(sibling.code, 0, sibling.stderr);
        await waitFor('the sibling sleeper', () => sleepers(`3${tag}1`).length === 1);
        const r = await e.run(['sh', '-c', `sleep 3${tag}2 & echo started; wait`], { timeoutMs: 800 });
        assert.equal(r.timedOut, true);
        assert.equal(r.stdout, 'started\n');
        await waitFor(`the command's sleep 3${tag}2 to be killed`, () => sleepers(`3${tag}2`).length === 0, 10_000);
        assert.equal(sleepers(`3${tag}1`).length, 1, 'the sibling sleeper (another process group) is alive');
        assert.equal((await e.run(['echo', 'still here'])).stdout, 'still here\n', 'the sshd and its logins survived');
        await e.run(['pkill', '-x', '-f', `sleep 3${tag}1`]);
        t.diagnostic(`stderr: ${JSON.stringify(r.stderr)}`);
        return r;
      } finally {
        await e.close();
      }
    }

    test('forged markers (mamoru-pgid 1, other nonces, garbage) stay output; the timeout kills only the command\'s group', async (t) => {
      if (skipHostile(t)) return;
      const junk = [
        'mamoru-pgid 1',
        'mamoru-pgid -1',
        'mamoru-pgid-00000000000000000000000000000000 1',
        'mamoru-pgid-deadbeefdeadbeefdeadbeefdeadbeef 1',
        'mamoru-pgid abc',
        'mamoru-pgid 1 ',
      ].join('\n') + '\nunfinished mamoru-pgid 1';
      writeFileSync(join(lab.dir, 'junk.txt'), junk);
      // As an rc file would run a program that prints a file someone else wrote.
      const r = await timeoutBesideASibling(t, `cat ${join(lab.dir, 'junk.txt')} >&2\n`, '71');
      assert.equal(r.stderr, junk, 'the junk comes back as it was, our own marker removed');
    });

    test('an rc that read our command line and forged our nonce with pid 1 is ignored and reported', async (t) => {
      if (skipHostile(t)) return;
      warnings.length = 0;
      const rc = 'n=${BASH_EXECUTION_STRING#*mamoru-pgid-}; n=${n%% *}; printf "mamoru-pgid-%s 1\\n" "$n" >&2\n';
      const r = await timeoutBesideASibling(t, rc, '72');
      assert.match(r.stderr, /^mamoru-pgid-[0-9a-f]{32} 1\n$/);
      assert.ok(
        warnings.some((w) => /ignored a process group marker/.test(w.msg) && /not a number above 1/.test(w.why ?? '')),
        JSON.stringify(warnings),
      );
    });

    test('readFile opens only regular files, follows no planted symlink (root\'s own links yes), and is not confused by the rc', async (t) => {
      if (skipHostile(t)) return;
      writeFileSync(rcFile, 'echo "mamoru-pgid 1" >&2; echo "dd: rc noise" >&2\n');
      const e = hostile();
      try {
        const secret = join(lab.dir, 'shadow-like');
        writeFileSync(secret, 'root:$6$secret-hash:19000::::::\n', { mode: 0o600 });
        // Planted: in a site's logs directory its owner can write, and a link another user made.
        const siteLogs = join(lab.dir, 'site-logs');
        mkdirSync(siteLogs, { mode: 0o777 });
        chmodSync(siteLogs, 0o777);
        const link = join(siteLogs, 'error.log');
        symlinkSync(secret, link);
        const theirs = join(lab.dir, 'theirs.log');
        symlinkSync(secret, theirs);
        lchownSync(theirs, 65534, 65534);
        // Root's own, as a2enmod makes them: followed.
        mkdirSync(join(lab.dir, 'mods-available'));
        mkdirSync(join(lab.dir, 'mods-enabled'));
        writeFileSync(join(lab.dir, 'mods-available', 'mpm_event.conf'), 'MaxRequestWorkers 150\n');
        symlinkSync('../mods-available/mpm_event.conf', join(lab.dir, 'mods-enabled', 'mpm_event.conf'));
        const fifo = join(lab.dir, 'fifo.log');
        execFileSync('mkfifo', [fifo]);
        const refused = (why: RegExp) => (err: unknown) => err instanceof ExecutorError && err.kind === 'read-file' && why.test(err.message) && !/secret-hash/.test(err.message);
        const t0 = performance.now();
        await assert.rejects(e.readFile(link, { maxBytes: 1000 }), refused(/symbolic link in a directory others can write/));
        await assert.rejects(e.readFile(link, { maxBytes: 1000, tail: true }), refused(/symbolic link in a directory others can write/));
        await assert.rejects(e.readFile(theirs, { maxBytes: 1000 }), refused(/symbolic link owned by someone else/));
        assert.equal(await e.readFile(join(lab.dir, 'mods-enabled', 'mpm_event.conf'), { maxBytes: 100 }), 'MaxRequestWorkers 150\n');
        await assert.rejects(e.readFile(fifo, { maxBytes: 1000, timeoutMs: 60_000 }), refused(/not a regular file/));
        await assert.rejects(e.readFile('/dev/zero', { maxBytes: 10 }), refused(/not a regular file/));
        await assert.rejects(e.readFile(lab.dir, { maxBytes: 10 }), refused(/not a regular file/));
        assert.ok(performance.now() - t0 < 10_000, `refusals took ${performance.now() - t0} ms`);
        assert.equal(await e.readFile(secret, { maxBytes: 4 }), 'root');
        assert.equal(await e.readFile(secret, { maxBytes: 9, tail: true }), '19000::::::\n'.slice(-9));
        assert.match(await e.readFile('/proc/meminfo', { maxBytes: 64 * 1024 }), /^MemTotal:/m);
        assert.match(await e.readFile('/proc/self/status', { maxBytes: 64 * 1024, tail: true }), /Uid:/);
        await assert.rejects(e.readFile(join(lab.dir, 'nothing-here'), { maxBytes: 10 }), refused(/no such file/));
      } finally {
        await e.close();
      }
    });
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

/** Live (not zombie) processes whose command line is exactly `sleep <arg>`, seen from here. */
function sleepers(arg: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'latin1') === `sleep\0${arg}\0` && isRunning(Number(d));
      } catch {
        return false;
      }
    })
    .map(Number);
}
