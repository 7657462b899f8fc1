/**
 * Is the service up, as the field runbook checks it: its master process runs and its ports
 * listen (TCP from the kernel's table, UDP from /proc/net/udp, which the inspections do not
 * read). Shared by the service actions (idempotence, verification) and the runbooks.
 */
import type { Executor } from '../executors/types.ts';
import { inspectListening, isListening } from '../inspect/listening.ts';
import { formatIpv6 } from '../inspect/proc-net-tcp.ts';
import { inspectProcesses, masterProcess, type MasterEvidence } from '../inspect/processes.ts';
import { plural } from '../inspect/types.ts';
import { processNames, type ServiceConfig } from './service-config.ts';

export interface UdpSocket {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
}

export interface ServiceView {
  master: MasterEvidence;
  /** TCP ports of the service that listen / do not. */
  listening: number[];
  notListening: number[];
  udpOpen: number[];
  udpClosed: number[];
  /** Master running and every port open. */
  up: boolean;
  /** Nothing of it: no process, no port. */
  down: boolean;
  summary: string;
}

function ipv4(hex: string): string {
  const n = parseInt(hex, 16) >>> 0;
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function ipv6(hex: string): string {
  const bytes = Buffer.alloc(16);
  for (let w = 0; w < 4; w++) bytes.writeUInt32LE(parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0, w * 4);
  return formatIpv6(bytes);
}

/**
 * Parses /proc/net/udp or udp6: every bound socket (UDP has no LISTEN state; an unconnected
 * bound socket, st 07, is what receives datagrams).
 */
export function parseProcNetUdp(text: string, family: 4 | 6): UdpSocket[] {
  const out: UdpSocket[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || !/^\d+:$/.test(f[0]!) || f[3] !== '07') continue;
    const [addr, port] = f[1]!.split(':');
    if (!addr || !port) continue;
    const localAddress = family === 4 ? ipv4(addr) : ipv6(addr);
    out.push({ family, localAddress, localPort: parseInt(port, 16) });
  }
  return out;
}

/** Bound UDP sockets on the server (IPv4 and IPv6). */
export async function readUdpTable(exec: Executor): Promise<UdpSocket[]> {
  const read = (p: string) => exec.readFile(p, { maxBytes: 8 * 1024 * 1024, timeoutMs: 15_000 }).catch(() => '');
  return [...parseProcNetUdp(await read('/proc/net/udp'), 4), ...parseProcNetUdp(await read('/proc/net/udp6'), 6)];
}

/** Looks at the service's processes and ports. */
export async function observeService(exec: Executor, svc: ServiceConfig): Promise<ServiceView> {
  const [procs, tcp, udp] = await Promise.all([
    inspectProcesses(exec),
    svc.ports.length ? inspectListening(exec) : undefined,
    svc.udp_ports.length ? readUdpTable(exec) : undefined,
  ]);
  const master = masterProcess(procs, processNames(svc), { argsContain: svc.process_match });
  const listening = svc.ports.filter((p) => tcp && isListening(tcp, p));
  const notListening = svc.ports.filter((p) => !listening.includes(p));
  const udpOpen = svc.udp_ports.filter((p) => udp?.some((s) => s.localPort === p));
  const udpClosed = svc.udp_ports.filter((p) => !udpOpen.includes(p));
  const running = master.master !== undefined;
  const up = running && notListening.length === 0 && udpClosed.length === 0;
  const down = !running && listening.length === 0 && udpOpen.length === 0;
  const parts: string[] = [];
  parts.push(running ? `${svc.name} runs (master ${master.master!.pid}, ${plural(master.children.length, 'child', 'children')})` : `no ${svc.name} master process`);
  if (listening.length) parts.push(`TCP ${listening.join(', ')} listening`);
  if (notListening.length) parts.push(`TCP ${notListening.join(', ')} not listening`);
  if (udpOpen.length) parts.push(`UDP ${udpOpen.join(', ')} open`);
  if (udpClosed.length) parts.push(`UDP ${udpClosed.join(', ')} not open`);
  return { master, listening, notListening, udpOpen, udpClosed, up, down, summary: parts.join(', ') };
}

/** Short pause that an abort ends early. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Polls `fn` until it returns a value or `ms` passes (then the last value is returned). */
export async function waitUntil<T>(ms: number, fn: () => Promise<T>, done: (v: T) => boolean, signal?: AbortSignal, everyMs = 250): Promise<T> {
  const end = performance.now() + ms;
  for (;;) {
    const v = await fn();
    if (done(v) || performance.now() >= end || signal?.aborted) return v;
    await pause(everyMs, signal);
  }
}
