/**
 * dnsmasq in the lab's `server`: an authoritative-looking DNS server for the dns probe, with the
 * records the test gives it and nothing else (no upstream, no /etc/hosts, no system config), so
 * no query for a real name ever leaves this machine. Names under `domain` that have no record
 * are NXDOMAIN (dnsmasq's `--local`); other names are refused. Faults: stop/kill (refused or
 * unanswered queries) and, through `lab.server.dropAll()`, silence for timeouts (dnsmasq cannot
 * delay answers or answer SERVFAIL on its own: a forward to a dead upstream is just silence).
 */
import { type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../network.ts';
import type { LabDaemon } from '../daemon.ts';
import { isRunning, waitFor, waitForTcp } from '../process.ts';

/** The records the server holds. Names are given without the trailing dot. */
export interface DnsRecords {
  /** `name -> IPv4 addresses`. */
  a?: Record<string, string[]>;
  /** `name -> IPv6 addresses`. */
  aaaa?: Record<string, string[]>;
  /** `name -> [preference, exchange]` pairs. */
  mx?: Record<string, [number, string][]>;
  /** `name -> strings` (one TXT record each; no commas: dnsmasq splits a record's strings there). */
  txt?: Record<string, string[]>;
  /** `alias -> target`. */
  cname?: Record<string, string>;
}

export interface DnsmasqOptions {
  /** The zone served locally: unknown names under it are NXDOMAIN. @defaultValue "lab.test" */
  domain?: string;
  records?: DnsRecords;
  /** @defaultValue 53 */
  port?: number;
}

export interface LabDnsmasq extends LabDaemon {
  ip: string;
  port: number;
  domain: string;
  /** The query log so far (dnsmasq's `--log-queries`). */
  log(): string;
}

/** dnsmasq's argv for these records: every option on the command line, no config file read. */
export function dnsmasqArgs(ip: string, port: number, domain: string, records: DnsRecords, logFile: string): string[] {
  const args = [
    'dnsmasq',
    '--no-daemon',
    '--no-resolv',
    '--no-hosts',
    '--no-poll',
    '--conf-file=/dev/null',
    `--listen-address=${ip}`,
    '--bind-interfaces',
    `--port=${port}`,
    `--local=/${domain}/`,
    '--user=root',
    '--log-queries',
    `--log-facility=${logFile}`,
    '--local-ttl=300',
  ];
  // One --host-record per address: given several of one family in one option, dnsmasq keeps the last.
  for (const [name, list] of Object.entries(records.a ?? {})) for (const addr of list) args.push(`--host-record=${name},${addr}`);
  for (const [name, list] of Object.entries(records.aaaa ?? {})) for (const addr of list) args.push(`--host-record=${name},${addr}`);
  for (const [name, list] of Object.entries(records.mx ?? {})) for (const [pref, host] of list) args.push(`--mx-host=${name},${host},${pref}`);
  for (const [name, list] of Object.entries(records.txt ?? {})) for (const text of list) args.push(`--txt-record=${name},${text}`);
  for (const [alias, target] of Object.entries(records.cname ?? {})) args.push(`--cname=${alias},${target}`);
  return args;
}

/** Starts dnsmasq in lab.server and waits until it answers on TCP port 53. */
export async function startDnsmasq(lab: Lab, opts: DnsmasqOptions = {}): Promise<LabDnsmasq> {
  const ip = lab.server.ip;
  const port = opts.port ?? 53;
  const domain = opts.domain ?? 'lab.test';
  const logFile = join(lab.dir, 'dnsmasq.log');
  const argv = dnsmasqArgs(ip, port, domain, opts.records ?? {}, logFile);
  let child: ChildProcess | undefined;
  let stderr = '';

  const pid = () => child?.pid;
  const running = () => isRunning(pid());

  async function start(): Promise<void> {
    if (running()) return;
    stderr = '';
    // `ip netns exec` execs the command: the child's pid is dnsmasq's own.
    const c = lab.server.spawn(argv);
    child = c;
    c.stderr?.on('data', (d: Buffer) => {
      if (stderr.length < 8192) stderr += d.toString();
    });
    c.stdout?.resume();
    try {
      await waitForTcp(ip, port, 10_000);
    } catch (e) {
      throw new Error(`dnsmasq did not start: ${stderr.trim() || (e as Error).message}`);
    }
  }

  async function signal(sig: NodeJS.Signals): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill(sig);
    await Promise.race([exited, waitFor('dnsmasq to stop', () => !isRunning(c.pid), 10_000)]);
  }

  await start();
  const daemon: LabDnsmasq = {
    ip,
    port,
    domain,
    logFile,
    pid,
    isRunning: running,
    start,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
    log() {
      try {
        return readFileSync(logFile, 'utf8');
      } catch {
        return '';
      }
    },
  };
  lab.onDestroy(() => daemon.kill());
  return daemon;
}
