/**
 * `mamoru helper`: the small root process that starts, stops, restarts, reloads, asks the status
 * of and tests the config of the services the config names on local targets, for a daemon that
 * runs as its own user without the right to. It listens on a unix socket that only root and the
 * daemon's group may open (mode 0660, created 0600 and handed over, so there is no moment anyone
 * else could connect); Node cannot read a peer's SO_PEERCRED, so the socket's owner, group and
 * mode, and a directory no one else may write, are the peer check. Each line is one request of a
 * fixed verb and a service name; the command is the one the helper derives from its own reading
 * of the config, never one sent to it, run as argv with the service's `command_timeout` and an
 * output cap. Every request is logged with its verb, service, connection and result.
 */
import { chmodSync, chownSync, lstatSync, statSync, unlinkSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { clearStalePidFile } from '../actions/service-commands.ts';
import type { ServiceConfig } from '../actions/service-config.ts';
import { UsageError } from '../core/errors.ts';
import type { Logger } from '../core/log.ts';
import { createLocalExecutor } from '../executors/local.ts';
import type { Executor, RunResult } from '../executors/types.ts';
import { MAX_OUTPUT_BYTES, MAX_REQUEST_BYTES, parseRequest, type HelperAnswer, type HelperRequest } from './protocol.ts';
import { ConfigWatch, helperCommands } from './services.ts';

export interface HelperOptions {
  /** The socket's path; its directory must exist and be writable by root alone. */
  socket: string;
  configFile: string;
  /** The group that may connect (the daemon's). */
  gid: number;
  log: Logger;
  /** Runs the commands (default: the local executor, as this process). */
  executor?: Executor;
}

/** Connections at once; more are closed at once with the reason. */
const MAX_CONNECTIONS = 16;
/** A connection that sends no complete line for this long is closed. */
const IDLE_MS = 30_000;

export interface RunningHelper {
  server: Server;
  close(): Promise<void>;
}

/** Refuses a socket place where someone else could swap the socket, and removes a stale socket. */
function prepareSocketPath(path: string): void {
  const dir = dirname(path);
  const ds = statSync(dir);
  const me = process.getuid?.() ?? 0;
  if (!ds.isDirectory()) throw new UsageError(`${dir} is not a directory`);
  if ((ds.uid !== 0 && ds.uid !== me) || ((ds.mode & 0o022) !== 0 && (ds.mode & 0o1000) === 0)) {
    throw new UsageError(`${dir} may be written by others (owner uid ${ds.uid}, mode ${(ds.mode & 0o7777).toString(8)}): the socket must live where only root can replace it, like /run/mamoru`);
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new UsageError(`${path} exists and is not a socket; remove it or choose another --socket`);
  unlinkSync(path); // a socket left by a helper that did not stop cleanly
}

/** Starts the helper; resolves once the socket accepts connections. */
export async function startHelper(o: HelperOptions): Promise<RunningHelper> {
  const watch = new ConfigWatch(o.configFile, (m) => o.log.warn(m));
  const exec = o.executor ?? createLocalExecutor();
  const queues = new Map<string, Promise<unknown>>();
  let connections = 0;
  let seq = 0;

  const serve = (sock: Socket) => {
    const conn = ++seq;
    if (connections >= MAX_CONNECTIONS) {
      o.log.warn({ audit: 'helper', conn }, `refused a connection: ${MAX_CONNECTIONS} already open`);
      sock.end(JSON.stringify({ ok: false, error: `busy: ${MAX_CONNECTIONS} connections already open` } satisfies HelperAnswer) + '\n');
      return;
    }
    connections++;
    sock.on('close', () => connections--);
    sock.on('error', () => {});
    sock.setTimeout(IDLE_MS);
    sock.on('timeout', () => sock.destroy());
    let buf = Buffer.alloc(0);
    let busy = false;
    let closing = false;
    const answer = (a: HelperAnswer) => sock.write(JSON.stringify(a) + '\n');
    /** An over-long line: said, logged, the connection ended (and cut if the client keeps sending). */
    const tooLong = () => {
      closing = true;
      buf = Buffer.alloc(0);
      o.log.warn({ audit: 'helper', conn, result: 'refused' }, `refused a request line over ${MAX_REQUEST_BYTES} bytes; connection closed`);
      sock.end(JSON.stringify({ ok: false, error: `request line longer than ${MAX_REQUEST_BYTES} bytes: refused, nothing run` } satisfies HelperAnswer) + '\n');
      setTimeout(() => sock.destroy(), 1000).unref();
    };
    const next = () => {
      if (busy || closing) return;
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length > MAX_REQUEST_BYTES) tooLong();
        return;
      }
      if (nl > MAX_REQUEST_BYTES) return tooLong();
      const line = buf.subarray(0, nl).toString('utf8');
      buf = buf.subarray(nl + 1);
      const req = parseRequest(line.trim());
      if (typeof req === 'string') {
        o.log.warn({ audit: 'helper', conn, result: 'refused', reason: req }, 'refused a request');
        answer({ ok: false, error: req });
        return next();
      }
      busy = true;
      sock.pause();
      sock.setTimeout(0); // a command may rightly take longer than the idle bound: its own timeout holds
      void handle(req, conn).then((a) => {
        answer(a);
        busy = false;
        sock.setTimeout(IDLE_MS);
        sock.resume();
        next();
      });
    };
    sock.on('data', (d: Buffer) => {
      if (closing) return;
      buf = Buffer.concat([buf, d]);
      next();
    });
  };

  /** One request: the service from the config, its command, run once at a time per service. */
  const handle = async (req: HelperRequest, conn: number): Promise<HelperAnswer> => {
    const svc = watch.refresh().byName.get(req.service);
    const audit = { audit: 'helper', conn, verb: req.verb, service: req.service };
    if (svc === undefined || svc === null) {
      const error =
        svc === null
          ? `service "${req.service}" is configured differently on two local targets: refused, nothing run; give them different names`
          : `service "${req.service}" is not a service of a local target in ${o.configFile}: refused, nothing run`;
      o.log.warn({ ...audit, result: 'refused', reason: error }, 'refused a request');
      return { ok: false, error };
    }
    const before = queues.get(svc.name) ?? Promise.resolve();
    const run = before.then(() => runVerb(exec, svc, req));
    queues.set(svc.name, run.catch(() => undefined));
    const a = await run.catch((e: Error) => ({ ok: false as const, error: `could not run: ${e.message}` }));
    if (a.ok) o.log.info({ ...audit, result: a.timed_out ? 'timed out' : a.code === 0 ? 'ok' : `exit ${a.code ?? a.signal}`, argv: a.argv, duration_ms: a.duration_ms }, `${req.verb} ${req.service}`);
    else o.log.warn({ ...audit, result: 'failed', reason: a.error }, `${req.verb} ${req.service}: ${a.error}`);
    return a;
  };

  prepareSocketPath(o.socket);
  const server = createServer({ allowHalfOpen: false, pauseOnConnect: false }, serve);
  // Created 0600 (root's alone), then given to the group: no moment anyone else could connect.
  const mask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.socket, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } finally {
    process.umask(mask);
  }
  chownSync(o.socket, process.getuid?.() ?? 0, o.gid);
  chmodSync(o.socket, 0o660);
  return {
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        void exec.close();
      }),
  };
}

/** The first candidate that exists (a 127 is "no such program": the next), as the actions run them. */
async function runVerb(exec: Executor, svc: ServiceConfig, req: HelperRequest): Promise<HelperAnswer> {
  const candidates = await helperCommands(exec, svc, req.verb);
  if (candidates.length === 0) return { ok: false, error: `the config gives no ${req.verb} command for ${svc.name}${req.verb === 'restart' ? ': ask stop, then start' : ''}; nothing run` };
  // A pid file whose process is gone keeps some daemons from starting: cleared as the actions do.
  if (req.verb === 'start' && svc.pid_file) await clearStalePidFile(exec, svc.pid_file, false);
  let ran: { argv: string[]; result: RunResult } | undefined;
  for (const argv of candidates) {
    ran = { argv, result: await exec.run(argv, { timeoutMs: svc.command_timeout, maxOutputBytes: MAX_OUTPUT_BYTES }) };
    if (ran.result.code !== 127) break;
  }
  const r = ran!.result;
  return {
    ok: true,
    verb: req.verb,
    service: svc.name,
    argv: ran!.argv,
    code: r.code,
    signal: r.signal,
    timed_out: r.timedOut,
    truncated: r.truncated,
    stdout: r.stdout,
    stderr: r.stderr,
    duration_ms: Math.round(r.durationMs),
  };
}
