/**
 * The commands that control a service, chosen the way an operator would type them: the ones
 * configured for it first, else its manager's (`systemctl start X`, `/etc/init.d/X start`), and
 * for Apache its own control program for the graceful reload and the config test
 * (`apache2ctl graceful`, `apachectl -k graceful`; `apache2ctl -t`, `apachectl -t`, `httpd -t`),
 * the first of them that exists on the server. Shared by the service actions and
 * both worker-limit raises. Every command is an argv from the config or from the tables here.
 */
import type { Executor, RunResult } from '../executors/types.ts';
import { trimTrailingSlashes } from '../core/path.ts';
import { lstatPaths, plainAbsolutePath } from '../inspect/file-trust.ts';
import { hasSystemd } from '../inspect/service-state.ts';
import { HELPER_PROGRAM, helperOf, helperRequestOf } from '../helper/client.ts';
import { isApache, type ServiceConfig } from './service-config.ts';

export type Verb = 'start' | 'stop' | 'restart' | 'reload' | 'config_test';

/** Apache's own programs: Debian's apache2ctl, upstream's apachectl, the binary itself. */
const APACHE: Partial<Record<Verb, string[][]>> = {
  reload: [
    ['apache2ctl', 'graceful'],
    ['apachectl', '-k', 'graceful'],
  ],
  config_test: [
    ['apache2ctl', '-t'],
    ['apachectl', '-t'],
    ['httpd', '-t'],
  ],
};

/** Runs a foreground daemon in its own session with its output discarded: the fixed script gets the argv as its arguments. */
const DETACH = 'setsid "$@" </dev/null >/dev/null 2>&1 &';

/**
 * A start or reload command may leave a daemon behind that keeps the command's output open (over
 * SSH the session then lasts until the timeout): its output goes to a temporary file instead,
 * printed once the command itself has exited.
 */
const CAPTURE = 'out=$(mktemp) || exit 125; "$@" </dev/null >"$out" 2>&1; rc=$?; cat "$out"; rm -f "$out"; exit $rc';

/** Verbs whose command may leave a daemon running. */
const LEAVES_DAEMON: Verb[] = ['start', 'restart', 'reload'];

/** What actually runs for a candidate (the daemon-safe wrapping); `describeCommands` shows the candidate itself. */
export function runnable(verb: Verb, argv: string[]): string[] {
  return LEAVES_DAEMON.includes(verb) ? ['sh', '-c', CAPTURE, `mamoru-${verb}`, ...argv] : argv;
}

/**
 * The candidates for a verb, in order; empty when there is none (a restart then is stop + start).
 * Through an executor that has a root helper (`mamoru helper`), one request to it instead: the
 * helper derives the same candidates from its own reading of the config and runs them.
 */
export async function commandsFor(exec: Executor, svc: ServiceConfig, verb: Verb): Promise<string[][]> {
  const direct = await directCommandsFor(exec, svc, verb);
  return direct.length > 0 && helperOf(exec) ? [[HELPER_PROGRAM, verb === 'config_test' ? 'config-test' : verb, svc.name]] : direct;
}

async function directCommandsFor(exec: Executor, svc: ServiceConfig, verb: Verb): Promise<string[][]> {
  const configured = svc[verb];
  if (configured) return [verb === 'start' && svc.start_detached ? ['sh', '-c', DETACH, 'mamoru-start', ...configured] : configured];
  if (isApache(svc) && APACHE[verb] && (verb === 'config_test' || verb === 'reload')) return APACHE[verb]!;
  if (verb === 'config_test') return [];
  if (svc.manager === 'command') return [];
  const systemd = svc.manager === 'systemd' || (svc.manager === 'auto' && (await hasSystemd(exec)));
  if (systemd) return [['systemctl', verb, '--', svc.name]];
  return [[`${trimTrailingSlashes(svc.init_dir)}/${svc.name}`, verb]];
}

export interface Ran {
  argv: string[];
  result: RunResult;
}

/**
 * Runs the first candidate that exists (a shell's 127 means "no such program": try the next).
 * Undefined when there is no candidate at all.
 */
export async function runFirst(exec: Executor, candidates: string[][], timeoutMs: number, signal?: AbortSignal, verb?: Verb): Promise<Ran | undefined> {
  let last: Ran | undefined;
  for (const argv of candidates) {
    const ask = helperRequestOf(argv);
    const helper = ask && helperOf(exec);
    const result = helper ? await helper(ask.verb, ask.service, { timeoutMs, signal }) : await exec.run(verb ? runnable(verb, argv) : argv, { timeoutMs, maxOutputBytes: 256 * 1024, signal });
    last = { argv, result };
    if (result.code !== 127) return last;
  }
  return last;
}

/** What would run, for dry-run and approval texts: the first candidate (the others only if it is missing). */
export function describeCommands(candidates: string[][]): string {
  if (candidates.length === 0) return '(no command configured)';
  const first = candidates[0]!.join(' ');
  return candidates.length > 1 ? `${first} (or ${candidates.slice(1).map((c) => c.join(' ')).join(', or ')})` : first;
}

/**
 * A pid file whose process is gone (or a zombie) makes some daemons refuse to start (Apache's
 * "httpd (pid N) already running"); init scripts remove it first, and so does mamoru, but only
 * what is plainly a stale pid file: a small regular file (not a link, not a directory) holding
 * nothing but a number above 1 whose process is gone. Anything else is left and
 * said, so a configured path can never make root delete some other file. Returns what it found
 * and did.
 */
export async function clearStalePidFile(exec: Executor, pidFile: string, dryRun: boolean): Promise<{ text: string; removed: boolean; pid?: number } | undefined> {
  const bad = plainAbsolutePath(pidFile);
  if (bad) return { text: `left the pid file ${pidFile} alone: it ${bad}`, removed: false };
  const [f] = await lstatPaths(exec, [pidFile]).catch(() => [undefined]);
  if (!f) return undefined;
  const leave = (why: string) => ({ text: `left ${pidFile} alone: ${why}`, removed: false });
  if (f.type !== 'file') return leave(`it is ${f.type === 'link' ? 'a symlink' : f.type === 'dir' ? 'a directory' : 'not a regular file'}, not a pid file`);
  if (f.size > 32) return leave(`it holds ${f.size} bytes, more than a pid`);
  const text = await exec.readFile(pidFile, { maxBytes: 64, timeoutMs: 10_000 }).catch(() => undefined);
  if (text === undefined) return undefined;
  if (!/^\s*\d{1,9}\s*$/.test(text)) return leave('it does not hold a process id');
  const pid = Number(text.trim());
  if (pid <= 1) return leave(`it names pid ${pid}`);
  const stat = await exec.readFile(`/proc/${pid}/stat`, { maxBytes: 1024, timeoutMs: 10_000 }).catch(() => undefined);
  const state = stat?.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (stat !== undefined && state !== 'Z') return undefined;
  if (dryRun) return { text: `would remove the stale pid file ${pidFile} (pid ${pid} is not running)`, removed: false, pid };
  const r = await exec.run(['rm', '-f', '--', pidFile], { timeoutMs: 10_000 });
  return r.code === 0
    ? { text: `removed the stale pid file ${pidFile} (pid ${pid} is not running)`, removed: true, pid }
    : { text: `could not remove the stale pid file ${pidFile}: ${r.stderr.trim()}`, removed: false, pid };
}
