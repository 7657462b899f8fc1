/**
 * ssh: commands and files on a remote server over one SSH connection (the `ssh2` package), kept
 * open and shared by every command, and opened again when it drops. The host key is checked
 * against an OpenSSH known_hosts file before anything is sent; an unknown or changed key is
 * refused. Login by key file or ssh-agent. Commands are argv arrays, quoted so the remote shell
 * splits them back into the same words (ssh-command.ts); a timeout or an abort kills the remote
 * process group from a second channel (the group named by a line marked with a per-run nonce,
 * never a pid of 1 or less) and closes the channel, and coreutils `timeout` bounds the command on
 * the server too. Files are read by a fixed script that opens only regular files and follows no
 * final symlink (ssh-read.ts).
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import type { Logger } from 'pino';
import { createRequire } from 'node:module';
import type { Client, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import { z } from 'zod';
import { duration, port } from '../core/schema.ts';
import { parseKnownHosts, preferredAlgorithms, verifyHostKey, type HostKeyVerdict } from './ssh-known-hosts.ts';
import { markerNonce, PgidScanner, quoteArgv, remoteCommandLine, remoteKillLine } from './ssh-command.ts';
import { remoteReadArgv, remoteReadFailure } from './ssh-read.ts';
import {
  CappedBuffer,
  checkArgv,
  DEFAULT_MAX_OUTPUT_BYTES,
  DEFAULT_TIMEOUT_MS,
  defineExecutor,
  drainLimit,
  ExecutorError,
  KILL_GRACE_MS,
  type Executor,
  type ExecutorContext,
  type ReadFileOptions,
  type RunOptions,
  type RunResult,
} from './types.ts';

export const schema = z
  .strictObject({
    host: z.string().min(1).meta({ description: 'address or name of the server, as written in known_hosts' }),
    port: port().default(22),
    user: z.string().min(1).default('root').meta({ description: 'login user (runbooks do what an operator does as root)' }),
    private_key_file: z.string().optional().meta({ description: 'OpenSSH private key file for key login' }),
    passphrase_secret: z.string().optional().meta({ description: "name of the secret holding the key's passphrase" }),
    agent: z
      .union([z.boolean(), z.string()])
      .default(false)
      .meta({ description: 'log in through ssh-agent: true for $SSH_AUTH_SOCK, or the socket path' }),
    known_hosts_file: z.string().default('~/.ssh/known_hosts').meta({ description: 'OpenSSH known_hosts file the host key must be in' }),
    connect_timeout: duration('how long connecting and logging in may take').default(10_000),
    keepalive_interval: duration('how often an idle connection is checked (a dead one is noticed after 3 misses)').default(15_000),
    max_sessions: z.number().int().min(1).max(64).default(8).meta({ description: 'commands at once on the connection (sshd allows 10 by default)' }),
  })
  .superRefine((o, ctx) => {
    if (!o.private_key_file && o.agent === false) ctx.addIssue({ code: 'custom', message: 'give private_key_file, agent, or both', path: ['private_key_file'] });
  });

export type SshOptions = z.output<typeof schema>;

/** The ssh executor adds what tests and the dashboard may want to know about its connection. */
export interface SshExecutor extends Executor {
  /** How many connections were opened so far (1 while the first one lives). */
  readonly connectCount: number;
}

const expandHome = (p: string) => (p === '~' ? homedir() : p.startsWith('~/') ? homedir() + p.slice(1) : p);

/** A minimal counting semaphore: at most `max` channels open at once. */
class Slots {
  private waiting: (() => void)[] = [];
  private used = 0;
  constructor(private readonly max: number) {}
  async take(): Promise<() => void> {
    if (this.used >= this.max) await new Promise<void>((r) => this.waiting.push(r));
    else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}

/** `log` hears why a remote command could not be killed (a forged or missing process group marker). */
export function createSshExecutor(o: SshOptions, ctx: Pick<ExecutorContext, 'secret'> & { log?: Logger }): SshExecutor {
  const where = `ssh ${o.user}@${o.host}:${o.port}`;
  const slots = new Slots(o.max_sessions);
  /** Running commands: their channel and how to kill them (for close()). */
  const channels = new Map<ClientChannel, () => void>();
  /** The connection being opened or in use; undefined once it drops, so the next command opens one. */
  let current: Promise<Client> | undefined;
  /** The connection in use once logged in. */
  let live: Client | undefined;
  let connectCount = 0;
  let closed = false;

  async function connectConfig(verdict: { v?: HostKeyVerdict }): Promise<ConnectConfig> {
    const knownFile = expandHome(o.known_hosts_file);
    let known;
    try {
      known = parseKnownHosts(await readFile(knownFile, 'utf8'));
    } catch (e) {
      throw new ExecutorError('config', `${where}: cannot read known_hosts file ${knownFile}: ${(e as NodeJS.ErrnoException).code ?? e}; set known_hosts_file to a file holding this server's key`);
    }
    let privateKey: Buffer | undefined;
    if (o.private_key_file) {
      try {
        privateKey = await readFile(expandHome(o.private_key_file));
      } catch (e) {
        throw new ExecutorError('config', `${where}: cannot read private_key_file ${o.private_key_file}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      }
    }
    const agent = o.agent === true ? process.env.SSH_AUTH_SOCK : o.agent || undefined;
    if (o.agent === true && !agent && !privateKey) throw new ExecutorError('config', `${where}: agent is true but SSH_AUTH_SOCK is not set; give the agent's socket path or a private_key_file`);
    const preferred = preferredAlgorithms(known, o.host, o.port);
    const defaults = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
    return {
      host: o.host,
      port: o.port,
      username: o.user,
      ...(privateKey ? { privateKey } : {}),
      ...(o.passphrase_secret ? { passphrase: ctx.secret(o.passphrase_secret) } : {}),
      ...(agent ? { agent } : {}),
      readyTimeout: o.connect_timeout,
      keepaliveInterval: o.keepalive_interval,
      keepaliveCountMax: 3,
      // Like ssh: ask first for the key types known_hosts holds for this host.
      algorithms: { serverHostKey: [...preferred, ...defaults.filter((a) => !preferred.includes(a))] as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        verdict.v = verifyHostKey(known, knownFile, o.host, o.port, key);
        return verdict.v.ok;
      },
    };
  }

  function describeConnectError(e: Error & { level?: string; code?: string }, verdict: HostKeyVerdict | undefined): ExecutorError {
    if (verdict && !verdict.ok) return new ExecutorError(verdict.kind, `${where}: ${verdict.message}`, { cause: e });
    if (e.level === 'client-authentication') {
      const how = [o.private_key_file && `key ${o.private_key_file}`, o.agent !== false && 'ssh-agent'].filter(Boolean).join(' or ');
      return new ExecutorError('auth', `${where}: login refused for user ${o.user} with ${how}; is the public key in the user's authorized_keys?`, { cause: e });
    }
    const why = e.code === 'ECONNREFUSED' ? 'connection refused (is sshd running and the port open?)' : e.code ? `${e.code}` : e.message;
    return new ExecutorError('connect', `${where}: cannot connect: ${why}`, { cause: e });
  }

  async function connect(): Promise<Client> {
    const verdict: { v?: HostKeyVerdict } = {};
    const config = await connectConfig(verdict);
    connectCount++;
    // ssh2 is loaded on the first connection, not at import: the daemon builds the executor
    // registry at start, and most checks never use ssh (start-up time, issue 16).
    const { Client: SshClient } = createRequire(import.meta.url)('ssh2') as typeof import('ssh2');
    const client = new SshClient();
    return new Promise<Client>((resolve, reject) => {
      let ready = false;
      client.on('ready', () => {
        ready = true;
        live = client;
        resolve(client);
      });
      client.on('error', (e) => {
        if (!ready) reject(describeConnectError(e as Error & { level?: string }, verdict.v));
      });
      client.on('close', () => {
        // The next command opens a new connection.
        if (live === client) {
          live = undefined;
          current = undefined;
        }
        if (!ready) reject(new ExecutorError('connect', `${where}: the connection closed during login`));
      });
      try {
        client.connect(config);
      } catch (e) {
        // ssh2 throws synchronously for a key it cannot parse (encrypted without passphrase).
        reject(new ExecutorError('config', `${where}: ${(e as Error).message}`, { cause: e }));
      }
    });
  }
  function client(): Promise<Client> {
    if (closed) return Promise.reject(new ExecutorError('closed', `${where}: the executor was closed`));
    if (!current) {
      const p = connect();
      current = p;
      // A failed login is not kept: the next command tries again.
      p.catch(() => {
        if (current === p) current = undefined;
      });
    }
    return current;
  }

  /**
   * Opens an exec channel; a connection found dead is opened again once (nothing ran on it). A
   * channel refused while sshd still counts one just closed against its MaxSessions (`open failed`)
   * is asked for again, a few times, a little later: nothing ran on it either.
   */
  async function openExec(line: string): Promise<ClientChannel> {
    for (let attempt = 0, refused = 0; ; attempt++) {
      const c = await client();
      try {
        return await new Promise<ClientChannel>((resolve, reject) => {
          try {
            c.exec(line, (err, ch) => (err ? reject(err) : resolve(ch)));
          } catch (e) {
            reject(e);
          }
        });
      } catch (e) {
        if (/open failed/i.test((e as Error).message) && refused < 5) {
          refused++;
          attempt--;
          await new Promise((r) => setTimeout(r, 50 * refused));
          continue;
        }
        const dead = /Not connected|No response|ECONNRESET|closed/i.test((e as Error).message);
        if (!dead || attempt > 0) throw new ExecutorError('connect', `${where}: cannot start the command: ${(e as Error).message}`, { cause: e });
        c.destroy();
        if (live === c) {
          live = undefined;
          current = undefined;
        }
      }
    }
  }

  async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
    checkArgv(argv);
    const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const cap = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const drain = drainLimit(cap);
    const t0 = performance.now();
    const nonce = markerNonce();
    const release = await slots.take();
    let ch: ClientChannel;
    try {
      if (opts.signal?.aborted) throw new ExecutorError('closed', `${where}: aborted before ${quoteArgv(argv.slice(0, 1))} started`);
      ch = await openExec(remoteCommandLine(argv, timeoutMs, nonce));
    } catch (e) {
      release();
      throw e;
    }
    channels.set(ch, () => ch.close());
    ch.on('close', () => {
      channels.delete(ch);
      release();
    });
    return new Promise<RunResult>((resolve) => {
      const out = new CappedBuffer(cap);
      const err = new CappedBuffer(cap);
      let exit: { code: number | null; signal: string | null } = { code: null, signal: null };
      let timedOut = false;
      let killWanted: boolean | undefined;
      let pgid: number | undefined;
      let refusals = 0;
      const scanner = new PgidScanner(nonce, (why) => {
        // Only what read our command line can print our nonce; said a few times, not flooded.
        if (refusals++ < 3) ctx.log?.warn({ where, command: argv[0], why }, "ignored a process group marker with this run's nonce that our wrapper did not write");
      });
      let settled = false;
      const timers: NodeJS.Timeout[] = [];
      const finish = () => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        err.push(scanner.end());
        if (killWanted !== undefined && pgid === undefined) {
          ctx.log?.warn({ where, command: argv[0] }, 'could not kill the remote command: no valid process group marker came from it; its channel was closed and coreutils timeout (if the server has it) ends it there');
        }
        resolve({ ...exit, stdout: out.text(), stderr: err.text(), truncated: out.overflowed || err.overflowed, timedOut, durationMs: performance.now() - t0 });
      };
      const signalGroup = (hard: boolean) => {
        // Nothing is signalled on a guess: until the marker comes (if ever), the channel is
        // closed below and coreutils `timeout` ends the command on the server.
        if (pgid === undefined) return;
        killRemote(pgid, hard ? 'KILL' : 'TERM');
        if (!hard) timers.push(setTimeout(() => killRemote(pgid!, 'KILL'), KILL_GRACE_MS));
      };
      const kill = (hard: boolean) => {
        if (killWanted !== undefined) return;
        killWanted = hard;
        signalGroup(hard);
        // If the server cannot be told (the connection is gone), answer anyway: close our side
        // and leave the rest to coreutils `timeout` over there.
        timers.push(
          setTimeout(
            () => {
              ch.close();
              finish();
            },
            (hard ? 2 : 4) * KILL_GRACE_MS,
          ),
        );
      };
      const onAbort = () => kill(false);
      const timer = setTimeout(() => {
        timedOut = true;
        kill(false);
      }, timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();
      channels.set(ch, () => kill(true));
      ch.on('exit', (code: number | null, signal?: string) => {
        exit = { code: code ?? null, signal: signal ? (signal.startsWith('SIG') ? signal : `SIG${signal}`) : null };
      });
      ch.on('data', (d: Buffer) => {
        out.push(d);
        if (out.seen > drain) kill(true);
      });
      ch.stderr.on('data', (d: Buffer) => {
        if (!scanner.done) {
          const scan = scanner.push(d);
          d = scan.out;
          if (scan.pgid !== undefined) {
            pgid = scan.pgid;
            // A kill asked for before the pid was known.
            if (killWanted !== undefined) signalGroup(killWanted);
          }
        }
        if (d.length === 0) return;
        err.push(d);
        if (err.seen > drain) kill(true);
      });
      ch.on('close', finish);
      ch.end(opts.stdin);
    });
  }

  /** Signals a remote process group on a channel of its own (outside the slots: sshd keeps 2 spare). */
  function killRemote(pgid: number, signal: 'TERM' | 'KILL'): void {
    const c = live;
    if (!c) return;
    try {
      c.exec(remoteKillLine(pgid, signal), (e, k) => {
        if (e) return;
        k.resume();
        k.stderr.resume();
        k.end();
      });
    } catch {
      /* the connection is gone, and with it the way to reach the command */
    }
  }

  async function readFileRemote(path: string, opts: ReadFileOptions): Promise<string> {
    // A fixed script with the path as its argument: no link followed, nothing but a regular file opened (ssh-read.ts).
    const r = await run(remoteReadArgv(path, opts.maxBytes, opts.tail ?? false), { timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxOutputBytes: opts.maxBytes });
    if (r.code !== 0 || r.timedOut) {
      const why = r.timedOut ? 'timed out' : remoteReadFailure(r.code, r.signal, r.stderr);
      throw new ExecutorError('read-file', `cannot read ${path} on ${where}: ${why}`);
    }
    return r.stdout;
  }

  return {
    name: where,
    get connectCount() {
      return connectCount;
    },
    run,
    readFile: readFileRemote,
    async close() {
      closed = true;
      // Running commands are killed on the server, not just abandoned; then the connection ends.
      const running = [...channels.keys()].map((ch) => new Promise((r) => ch.once('close', r)));
      for (const kill of channels.values()) kill();
      if (running.length) await Promise.race([Promise.all(running), new Promise((r) => setTimeout(r, 3 * KILL_GRACE_MS).unref())]);
      const c = current;
      current = undefined;
      if (!c) return;
      const cl = await c.catch(() => undefined);
      if (!cl) return;
      await new Promise<void>((resolve) => {
        cl.once('close', () => resolve());
        cl.end();
        setTimeout(() => {
          cl.destroy();
          resolve();
        }, 2000).unref();
      });
    },
  };
}

export default defineExecutor({
  type: 'ssh',
  summary: 'commands and files on a remote server over one reused SSH connection (known_hosts checked, key or agent login)',
  schema,
  create: (options, ctx) => createSshExecutor(options, ctx),
});
