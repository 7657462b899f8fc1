/**
 * What the inspection tests share: the local executor, and an ssh executor into the lab's
 * server namespace (a real sshd there), so each inspection is checked through both.
 */
import { silentLogger } from '../../src/core/log.ts';
import { secretsFromEnv } from '../../src/core/secrets.ts';
import { executors } from '../../src/executors/index.ts';
import type { Executor } from '../../src/executors/types.ts';
import { startSshd, type LabSshd } from '../lab/daemons/sshd.ts';
import type { Lab } from '../lab/network.ts';

export const ctx = { secret: secretsFromEnv, log: silentLogger };

export function localExecutor(): Executor {
  return executors.local.create(executors.local.schema.parse({}), ctx);
}

/** Starts the lab's sshd and returns an executor that runs commands in the server namespace. */
export async function serverExecutor(lab: Lab): Promise<{ exec: Executor; sshd: LabSshd }> {
  const sshd = await startSshd(lab);
  const exec = executors.ssh.create(
    executors.ssh.schema.parse({ host: lab.server.ip, private_key_file: sshd.privateKeyFile, known_hosts_file: sshd.knownHostsFile }),
    ctx,
  );
  lab.onDestroy(() => exec.close());
  return { exec, sshd };
}

/** A node script run with `node -e`, listening on ip:port and holding every connection. */
export function holdingServer(ip: string, port: number, backlog = 511): string {
  return `
    const net = require('node:net');
    const held = [];
    net.createServer((s) => { held.push(s); s.on('error', () => {}); })
      .listen({ host: ${JSON.stringify(ip)}, port: ${port}, backlog: ${backlog} }, () => process.stdout.write('listening\\n'));
    setInterval(() => {}, 1 << 30);`;
}

/** A node script opening n connections to ip:port and keeping them. */
export function holdingClients(ip: string, port: number, n: number): string {
  return `
    const net = require('node:net');
    let up = 0;
    const all = [];
    for (let i = 0; i < ${n}; i++) {
      const s = net.connect(${port}, ${JSON.stringify(ip)}, () => { if (++up === ${n}) process.stdout.write('connected\\n'); });
      s.on('error', () => {});
      all.push(s);
    }
    setInterval(() => {}, 1 << 30);`;
}

/** Resolves once a child process has printed `word` on stdout (the scripts above say when they are ready). */
export function printed(child: import('node:child_process').ChildProcess, word: string, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for "${word}"`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(word)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}
