/**
 * The peers of bench/probes, measured in the same run as mamoru: Debian's Nagios plugins (one
 * fork per check, 8 at a time, their CPU read from our reaped-children times) and Prometheus
 * blackbox_exporter (8 concurrent /probe requests, its own CPU read from /proc/<pid>/stat).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { atExit, freePort, processCpu, reapedChildrenCpu, stopChild, track, waitForPort } from './procs.ts';

/** CPU used by one peer for a number of checks. */
export interface PeerFigure {
  peer: string;
  checks: number;
  /** Checks that did not come back OK / probe_success 1 (should be 0; for plugins, 1 = some did), and the first reason. */
  failed: number;
  firstFailure: string | undefined;
  cpu: number;
  wallSeconds: number;
}

/** Runs `work(i)` for i in [0, n), `parallel` at a time (the exporter's client). */
async function closedLoop(n: number, parallel: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, n) }, lane));
}

/**
 * Runs a Nagios plugin `n` times, `parallel` at a time, one fork each, and returns the CPU of
 * the plugin processes and of their forker (user + system). The forker is `xargs -P`, a small C
 * process like a Nagios worker: forking from this Node process would copy its large page tables
 * on every fork and charge the plugins about 1.5 CPU-ms more each. The figure is this process's
 * cutime + cstime, which counts every child reaped in the window, so nothing else of ours may
 * exit meanwhile.
 */
export async function runPlugin(peer: string, argv: string[], n: number, parallel = 8): Promise<PeerFigure> {
  const cpu0 = reapedChildrenCpu();
  const t0 = performance.now();
  // -I with no {} in the command: one run per input line, the line itself not passed on.
  const xargs = track(spawn('xargs', ['-P', String(parallel), '-I{}', ...argv], { stdio: ['pipe', 'ignore', 'pipe'] }));
  let err = '';
  xargs.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  xargs.stdin.end('x\n'.repeat(n)); // blank lines would be skipped
  const code = await new Promise<number | null>((resolve) => xargs.once('close', (c) => resolve(c)));
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = reapedChildrenCpu() - cpu0;
  let firstFailure: string | undefined;
  if (code !== 0) {
    // xargs only says that some run failed (123); one more run shows what the plugin said.
    const probe = track(spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'ignore'] }));
    let out = '';
    probe.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    const pc = await new Promise<number | null>((resolve) => probe.once('close', (c) => resolve(c)));
    firstFailure = `xargs exit ${code}${err ? ` (${err.trim()})` : ''}; a run now: exit ${pc}: ${out.trim()}`;
  }
  return { peer, checks: n, failed: code === 0 ? 0 : 1, firstFailure, cpu, wallSeconds };
}

export interface Exporter {
  pid: number;
  port: number;
  stop(): Promise<void>;
}

const EXPORTER_CONFIG = `modules:
  tcp_connect:
    prober: tcp
    timeout: 5s
  http_2xx:
    prober: http
    timeout: 5s
    http:
      preferred_ip_protocol: ip4
`;

/** Starts blackbox_exporter on a free loopback port with its own config (tcp_connect, http_2xx). */
export async function startExporter(binary: string): Promise<Exporter> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-blackbox-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  atExit(removeDir);
  writeFileSync(join(dir, 'blackbox.yml'), EXPORTER_CONFIG);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = track(spawn(binary, [`--config.file=${join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' }));
    try {
      await waitForPort(port, child, 'blackbox_exporter');
      return {
        pid: child.pid!,
        port,
        stop: async () => {
          await stopChild(child);
          removeDir();
        },
      };
    } catch (e) {
      await stopChild(child, 0);
      if (attempt >= 3) {
        removeDir();
        throw e;
      }
    }
  }
}

/**
 * Makes `n` /probe requests to the exporter, `parallel` at a time over kept-alive connections,
 * and returns the exporter's own CPU for them (the bench's side of the HTTP is not counted).
 */
export async function runExporter(peer: string, exporter: Exporter, module: string, target: string, n: number, parallel = 8): Promise<PeerFigure> {
  const agent = new Agent({ connections: parallel, keepAliveTimeout: 30_000 });
  const url = `http://127.0.0.1:${exporter.port}/probe?module=${encodeURIComponent(module)}&target=${encodeURIComponent(target)}`;
  let failed = 0;
  let firstFailure: string | undefined;
  try {
    const cpu0 = processCpu(exporter.pid);
    const t0 = performance.now();
    await closedLoop(n, parallel, async () => {
      const res = await request(url, { dispatcher: agent });
      const body = await res.body.text();
      if (res.statusCode !== 200 || !/^probe_success 1$/m.test(body)) {
        failed++;
        firstFailure ??= `HTTP ${res.statusCode}: ${/^probe_success .*$/m.exec(body)?.[0] ?? body.slice(0, 200)}`;
      }
    });
    const wallSeconds = (performance.now() - t0) / 1000;
    return { peer, checks: n, failed, firstFailure, cpu: processCpu(exporter.pid) - cpu0, wallSeconds };
  } finally {
    await agent.close();
  }
}
