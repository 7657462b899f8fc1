/**
 * A slow server, made from a fast one: a TCP proxy run inside a lab namespace in front of a real
 * daemon that holds the daemon's first bytes (its greeting, or the first reply to a request)
 * for a while. This kernel has no `tc netem`; a proxy delays exactly what a response-time check
 * measures, and nothing else.
 *
 * The same file is the proxy program: `startSlowProxy` runs `node --import tsx slow-proxy.ts
 * --listen ...` inside the namespace. The delay is read from a file at each new connection, so
 * a test changes it with setDelay() without a restart.
 */
import { type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { HostName, Lab } from './network.ts';

export interface SlowProxyOptions {
  /** The namespace the proxy runs in. @defaultValue 'server' */
  on?: HostName;
  /** Port to listen on (all addresses of the namespace, IPv4 and IPv6); 0 picks a free one. */
  listenPort: number;
  /** Where the daemon listens, seen from inside the namespace. @defaultValue '127.0.0.1' */
  targetHost?: string;
  targetPort: number;
  /** How long after a client connects the daemon's first bytes reach it, in ms. */
  delayMs: number;
}

export interface SlowProxy {
  /** The port clients connect to. */
  port: number;
  /** Changes the delay for connections accepted from now on. */
  setDelay(ms: number): void;
  pid(): number | undefined;
  stop(): Promise<void>;
}

const self = fileURLToPath(import.meta.url);
const repoRoot = join(dirname(self), '..', '..');
let counter = 0;

/** Starts a delaying proxy inside a lab namespace; it is stopped on lab.destroy(). */
export async function startSlowProxy(lab: Lab, opts: SlowProxyOptions): Promise<SlowProxy> {
  const host = lab[opts.on ?? 'server'];
  const delayFile = join(lab.dir, `slow-proxy-${counter++}.delay`);
  writeFileSync(delayFile, String(opts.delayMs));
  const child: ChildProcess = host.spawn(
    [process.execPath, '--import', 'tsx', self, '--listen', String(opts.listenPort), '--target-host', opts.targetHost ?? '127.0.0.1', '--target-port', String(opts.targetPort), '--delay-file', delayFile],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`slow proxy did not start within 15 s: ${stderr}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`slow proxy exited (${code}) before listening: ${stderr}`));
    });
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  };
  lab.onDestroy(stop);
  return { port, setDelay: (ms) => writeFileSync(delayFile, String(ms)), pid: () => child.pid, stop };
}

/** The proxy program itself (runs inside the namespace). */
function runProxy(argv: string[]): void {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i === -1 || argv[i + 1] === undefined) throw new Error(`slow-proxy: missing --${name}`);
    return argv[i + 1]!;
  };
  const listenPort = Number(arg('listen'));
  const targetHost = arg('target-host');
  const targetPort = Number(arg('target-port'));
  const delayFile = arg('delay-file');
  const server = net.createServer((client) => {
    const accepted = Date.now();
    let delayMs = 0;
    try {
      delayMs = Number(readFileSync(delayFile, 'utf8')) || 0;
    } catch {
      /* no delay */
    }
    // The daemon is reached at once (it starts its clock and greets), but nothing is read from
    // it until the delay has passed: its bytes wait in the kernel's buffers, in order, bounded.
    const upstream = net.connect(targetPort, targetHost);
    upstream.pause();
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    client.pipe(upstream);
    setTimeout(() => {
      if (!client.destroyed) upstream.pipe(client);
    }, Math.max(0, accepted + delayMs - Date.now()));
  });
  server.listen(listenPort, '::', () => {
    process.stdout.write(`listening ${(server.address() as net.AddressInfo).port}\n`);
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) runProxy(process.argv.slice(2));
