/**
 * A nats-server of the test's own, on a free loopback port, with JetStream in a temporary
 * directory and one user per agent whose permissions pin it to its own subjects (as docs/agent.md
 * tells an operator to configure): agent NAME may publish `<prefix>.agent.NAME.>` and `_INBOX.>`
 * and subscribe `<prefix>.agent.NAME.req` and `_INBOX.>`; the brain may do everything.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/nginx.ts';
import { until } from '../helpers/wait.ts';

export interface TestNats {
  url: string;
  dir: string;
  prefix: string;
  brain: { user: string; pass: string };
  /** Each agent's user, password and password file (mode 0600). */
  agents: Record<string, { user: string; pass: string; passwordFile: string }>;
  stop(): Promise<void>;
}

const passwordOf = (name: string) => `pw-${name}-${process.pid}-${Math.random().toString(36).slice(2)}`;

export function agentPermissions(prefix: string, name: string): string {
  return `{ publish: { allow: ["${prefix}.agent.${name}.>", "_INBOX.>"] }, subscribe: { allow: ["${prefix}.agent.${name}.req", "_INBOX.>"] } }`;
}

export async function startNats(prefix: string, agentNames: string[]): Promise<TestNats> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-agent-nats-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child!.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    const brain = { user: 'brain', pass: passwordOf('brain') };
    const agents: TestNats['agents'] = {};
    const users = [`{ user: "${brain.user}", password: "${brain.pass}" }`];
    for (const name of agentNames) {
      const pass = passwordOf(name);
      const passwordFile = join(dir, `${name}.password`);
      writeFileSync(passwordFile, `${pass}\n`, { mode: 0o600 });
      chmodSync(passwordFile, 0o600);
      agents[name] = { user: name, pass, passwordFile };
      users.push(`{ user: "${name}", password: "${pass}", permissions: ${agentPermissions(prefix, name)} }`);
    }
    const conf = join(dir, 'nats.conf');
    writeFileSync(conf, [`listen: "127.0.0.1:${port}"`, `jetstream { store_dir: "${join(dir, 'js')}" }`, `authorization { users: [\n  ${users.join(',\n  ')}\n] }`, ''].join('\n'));
    child = spawn('nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.on('data', (d) => (err = (err + d).slice(-4000)));
    await until(
      `nats-server on port ${port}`,
      () => {
        if (child!.exitCode !== null) throw new Error(`nats-server exited (${child!.exitCode}): ${err}`);
        return new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
          s.once('error', () => resolve(false));
        });
      },
      10_000,
      100,
    );
    return { url: `nats://127.0.0.1:${port}`, dir, prefix, brain, agents, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
