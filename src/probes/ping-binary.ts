/**
 * ICMP echo through the system's ping (iputils) or fping binary, for the ping probe when it does
 * not run as root. Their summaries are parsed into the same PingStats the raw socket gives.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import type { PingStats, EchoOptions } from './ping-raw.ts';

const searchPath = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/local/sbin'];

function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean).concat(searchPath)) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Thrown when neither ping nor fping is installed. */
export class NoPingBinaryError extends Error {
  constructor() {
    super('neither ping nor fping is installed (install iputils-ping or fping, or run mamoru as root for raw sockets)');
    this.name = 'NoPingBinaryError';
  }
}

/** Parses iputils ping's summary (`3 packets transmitted, 2 received, ...` and `rtt min/avg/max/mdev = ...`). */
export function parsePingOutput(out: string): PingStats | undefined {
  const sum = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(out);
  if (!sum) return undefined;
  const stats: PingStats = { transmitted: Number(sum[1]), received: Number(sum[2]), rttsMs: [] };
  const rtt = /= [\d.]+\/([\d.]+)\/[\d.]+/.exec(out.slice(sum.index));
  // Only the average is printed: stand it in for every reply so the mean stays right.
  if (rtt && stats.received > 0) stats.rttsMs = Array(stats.received).fill(Number(rtt[1]));
  const err = /From (\S+?):? icmp_seq=\d+ (Destination Host Unreachable|Destination Net Unreachable|Time to live exceeded|Packet filtered|Destination Host Prohibited|Destination Net Prohibited)/i.exec(out);
  if (err && stats.received === 0) {
    stats.errorFrom = err[1];
    stats.error = ({ 'destination host unreachable': 'Host Unreachable', 'destination net unreachable': 'Network Unreachable', 'packet filtered': 'Packet Filtered', 'destination host prohibited': 'Host Prohibited', 'destination net prohibited': 'Network Prohibited' } as Record<string, string>)[err[2]!.toLowerCase()] ?? err[2];
  }
  return stats;
}

/** Parses fping -q -c's line: `addr : xmt/rcv/%loss = 3/3/0%, min/avg/max = 0.03/0.05/0.07`. */
export function parseFpingOutput(out: string): PingStats | undefined {
  const m = /xmt\/rcv\/%loss = (\d+)\/(\d+)\/\d+%(?:, min\/avg\/max = [\d.]+\/([\d.]+)\/[\d.]+)?/.exec(out);
  if (!m) return undefined;
  const received = Number(m[2]);
  return { transmitted: Number(m[1]), received, rttsMs: m[3] && received > 0 ? Array(received).fill(Number(m[3])) : [] };
}

/**
 * Runs ping (or fping when ping is missing) and parses its summary. On abort the binary gets
 * SIGINT, which makes both print what they have so far; SIGKILL follows if it lingers.
 */
export function binaryEcho(address: string, family: 4 | 6, opts: EchoOptions): Promise<PingStats> {
  const ping = findBinary('ping');
  const fping = ping ? undefined : findBinary('fping');
  if (!ping && !fping) return Promise.reject(new NoPingBinaryError());
  const sendMs = (opts.packets - 1) * opts.intervalMs;
  // Seconds to wait for the last replies after the last request: what is left before the deadline.
  const lingerS = Math.max(1, Math.floor((opts.deadline - performance.now() - sendMs) / 1000));
  const argv = ping
    ? [ping, `-${family}`, '-n', '-c', String(opts.packets), '-i', (opts.intervalMs / 1000).toFixed(3), '-W', String(lingerS), address]
    : [fping!, `-${family}`, '-q', '-c', String(opts.packets), '-p', String(Math.max(10, opts.intervalMs)), '-t', String(lingerS * 1000), address];
  return new Promise<PingStats>((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    let out = '';
    const keep = (d: Buffer) => {
      if (out.length < 65536) out += d.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), 500);
    };
    const deadlineTimer = setTimeout(stop, Math.max(0, opts.deadline - performance.now()));
    opts.signal.addEventListener('abort', stop, { once: true });
    if (opts.signal.aborted) stop();
    const cleanup = () => {
      clearTimeout(deadlineTimer);
      clearTimeout(killer);
      opts.signal.removeEventListener('abort', stop);
    };
    child.on('error', (e) => {
      cleanup();
      reject(e);
    });
    child.on('close', (code) => {
      cleanup();
      const stats = ping ? parsePingOutput(out) : parseFpingOutput(out);
      if (stats) resolve(stats);
      else reject(new Error(`${argv[0]} exited with code ${code}: ${out.trim().split('\n').slice(-1)[0] ?? ''}`));
    });
  });
}
