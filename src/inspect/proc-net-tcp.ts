/**
 * The kernel's TCP table, `/proc/net/tcp` and `/proc/net/tcp6`, parsed: the same facts
 * `netstat -tan` prints, without needing netstat, from any Linux server through any executor.
 * Shared by the listening and connection inspections (and the guard's connection source).
 *
 * Addresses are printed by the kernel as raw 32-bit words in the machine's byte order; this
 * reads them as little-endian, as on every x86, ARM and ppc64le server.
 */
import type { Executor } from '../executors/types.ts';
import { InspectionError } from './types.ts';
import { formatIpv6Groups } from '../core/ipv6.ts';
import { eachLine, eachLineSliced, words } from './lines.ts';
import { TimeSlice } from './time-slice.ts';

/** TCP states as netstat names them (the kernel's `st` column). */
export const TCP_STATES = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
  '0C': 'NEW_SYN_RECV',
} as const;

export type TcpState = (typeof TCP_STATES)[keyof typeof TCP_STATES];

export interface TcpSocket {
  family: 4 | 6;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  state: TcpState;
  /** For LISTEN: connections waiting in the accept queue (rx) and its size (tx). Else bytes queued. */
  rxQueue: number;
  txQueue: number;
  uid: number;
  inode: number;
}

function ipv4(hex: string): string {
  const n = parseInt(hex, 16) >>> 0;
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** An IPv6 address in its shortest text (RFC 5952); IPv4-mapped ones as plain IPv4. */
export function formatIpv6(bytes: Buffer): string {
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) return [...bytes.subarray(12)].join('.');
  return formatIpv6Groups(Array.from({ length: 8 }, (_, i) => bytes.readUInt16BE(i * 2)));
}

function ipv6(hex: string): string {
  const bytes = Buffer.alloc(16);
  for (let w = 0; w < 4; w++) bytes.writeUInt32LE(parseInt(hex.slice(w * 8, w * 8 + 8), 16) >>> 0, w * 4);
  return formatIpv6(bytes);
}

function endpoint(field: string, family: 4 | 6): { address: string; port: number } | undefined {
  const [addr, port] = field.split(':');
  if (!addr || !port) return undefined;
  if (family === 4 ? addr.length !== 8 : addr.length !== 32) return undefined;
  return { address: family === 4 ? ipv4(addr) : ipv6(addr), port: parseInt(port, 16) };
}

/**
 * The kernel's lines are under 200 characters; a longer one is not the kernel's and is not
 * split (a line of a million words would otherwise become a million strings).
 */
const MAX_LINE = 1024;

/** One line of the table, or undefined for the header and anything odd. */
function parseLine(line: string, family: 4 | 6): TcpSocket | undefined {
  if (line.length > MAX_LINE) return undefined;
  const f = words(line, 10);
  // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
  if (f.length < 10 || !/^\d+:$/.test(f[0]!)) return undefined;
  const local = endpoint(f[1]!, family);
  const remote = endpoint(f[2]!, family);
  const state = TCP_STATES[f[3]!.toUpperCase() as keyof typeof TCP_STATES];
  if (!local || !remote || !state) return undefined;
  const [tx = '0', rx = '0'] = f[4]!.split(':');
  return {
    family,
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    state,
    txQueue: parseInt(tx, 16),
    rxQueue: parseInt(rx, 16),
    uid: Number(f[7]),
    inode: Number(f[9]),
  };
}

/** Parses the text of /proc/net/tcp (family 4) or /proc/net/tcp6 (family 6); odd lines are skipped. */
export function parseProcNetTcp(text: string, family: 4 | 6): TcpSocket[] {
  const out: TcpSocket[] = [];
  eachLine(text, (line) => {
    const s = parseLine(line, family);
    if (s) out.push(s);
  });
  return out;
}

/** The same, in time slices: the table of a server under a SYN flood is 200,000 lines. */
export async function parseProcNetTcpSliced(text: string, family: 4 | 6, slice = new TimeSlice()): Promise<TcpSocket[]> {
  const out: TcpSocket[] = [];
  await eachLineSliced(
    text,
    (line) => {
      const s = parseLine(line, family);
      if (s) out.push(s);
    },
    slice,
  );
  return out;
}

/** How much of the table is read: ~150 bytes a socket, so 200,000 sockets. */
export const TCP_TABLE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Reads and parses both tables through the executor, in time slices. A missing tcp6 (IPv6 off)
 * is no error; an unreadable tcp is, with the reason.
 */
export async function readTcpTable(exec: Executor, opts: { maxBytes?: number; timeoutMs?: number } = {}): Promise<TcpSocket[]> {
  const read = (path: string) => exec.readFile(path, { maxBytes: opts.maxBytes ?? TCP_TABLE_MAX_BYTES, timeoutMs: opts.timeoutMs ?? 30_000 });
  let v4: string;
  try {
    v4 = await read('/proc/net/tcp');
  } catch (e) {
    throw new InspectionError('tcp table', `cannot read /proc/net/tcp on ${exec.name}: ${(e as Error).message}`, { cause: e });
  }
  const v6 = await read('/proc/net/tcp6').catch(() => '');
  const slice = new TimeSlice();
  const sockets = await parseProcNetTcpSliced(v4, 4, slice);
  for (const s of await parseProcNetTcpSliced(v6, 6, slice)) sockets.push(s);
  return sockets;
}
