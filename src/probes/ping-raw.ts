/**
 * ICMP echo over a raw socket (the `raw-socket` addon), for the ping probe when it runs as root
 * on a machine without a ping binary. One socket per run: the kernel hands every ICMP packet to
 * every raw ICMP socket, so replies are matched by a random identifier, the sequence number and a
 * random token in the payload, and several runs at once never take each other's replies.
 */
import { createRequire } from 'node:module';
import { randomBytes, randomInt } from 'node:crypto';

/** What one run measured, in the terms ping's summary uses. */
export interface PingStats {
  transmitted: number;
  received: number;
  /** Round-trip times of the received replies, ms. */
  rttsMs: number[];
  /** The ICMP error seen when no reply came, in check_ping's words ("Host Unreachable"). */
  error?: string | undefined;
  /** Where the ICMP error came from. */
  errorFrom?: string | undefined;
}

export interface EchoOptions {
  packets: number;
  intervalMs: number;
  /** Absolute time (performance.now()) after which stragglers are no longer awaited. */
  deadline: number;
  signal: AbortSignal;
}

// The addon ships no types: the few members used here, typed once.
interface RawSocket {
  on(event: 'message', fn: (buf: Buffer, source: string) => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
  send(buf: Buffer, offset: number, length: number, address: string, before: () => void, after: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: Buffer, length: number): void;
  close(): void;
}
interface RawModule {
  createSocket(opts: { addressFamily: number; protocol: number; bufferSize?: number }): RawSocket;
  createChecksum(buf: Buffer): number;
  writeChecksum(buf: Buffer, offset: number, sum: number): void;
  AddressFamily: { IPv4: number; IPv6: number };
  Protocol: { ICMP: number; ICMPv6: number };
}

let rawModule: RawModule | undefined;
function raw(): RawModule {
  rawModule ??= createRequire(import.meta.url)('raw-socket') as RawModule;
  return rawModule;
}

const TOKEN_BYTES = 8;
const PAYLOAD_BYTES = 56; // ping's default, so packet sizes look familiar in captures

// check_ping's words for ICMP errors (type 3 codes), so the texts read the same.
const unreachText: Record<number, string> = {
  0: 'Network Unreachable',
  1: 'Host Unreachable',
  2: 'Bogus ICMP: Protocol Unreachable',
  3: 'Bogus ICMP: Port Unreachable',
  9: 'Network Prohibited',
  10: 'Host Prohibited',
  13: 'Packet Filtered',
};

function describeError(v6: boolean, type: number, code: number): string {
  if (v6) {
    if (type === 3) return 'Time to live exceeded';
    if (code === 0) return 'Network Unreachable';
    if (code === 1) return 'Packet Filtered';
    if (code === 3) return 'Host Unreachable';
    return 'Destination Unreachable';
  }
  if (type === 11) return 'Time to live exceeded';
  return unreachText[code] ?? 'Destination Unreachable';
}

/** Keeps the kernel from waking us for ICMP types we never read (every raw socket sees all ICMP). */
function installFilter(sock: RawSocket, v6: boolean): void {
  try {
    if (v6) {
      // struct icmp6_filter: 256 bits, a set bit blocks the type.
      const f = Buffer.alloc(32, 0xff);
      for (const t of [1, 3, 129]) f[t >> 3]! &= ~(1 << (t & 7));
      sock.setOption(58 /* IPPROTO_ICMPV6 */, 1 /* ICMP6_FILTER */, f, f.length);
    } else {
      const mask = ~((1 << 0) | (1 << 3) | (1 << 11)) >>> 0;
      const f = Buffer.alloc(4);
      f.writeUInt32LE(mask); // host order on the little-endian machines we run on
      sock.setOption(255 /* SOL_RAW */, 1 /* ICMP_FILTER */, f, f.length);
    }
  } catch {
    // Only an optimisation: every packet is checked below anyway.
  }
}

/**
 * Sends `packets` echo requests `intervalMs` apart to an IP address and waits for the replies
 * until all are in, the deadline passes or the signal aborts. Throws only when the socket cannot
 * be opened (not root); the socket is closed on every path.
 */
export function rawEcho(address: string, family: 4 | 6, opts: EchoOptions): Promise<PingStats> {
  const r = raw();
  const v6 = family === 6;
  const sock = r.createSocket({ addressFamily: v6 ? r.AddressFamily.IPv6 : r.AddressFamily.IPv4, protocol: v6 ? r.Protocol.ICMPv6 : r.Protocol.ICMP });
  installFilter(sock, v6);
  const id = randomInt(0, 0x10000);
  const token = randomBytes(TOKEN_BYTES);
  const sentAt = new Map<number, number>();
  const replied = new Set<number>();
  const stats: PingStats = { transmitted: 0, received: 0, rttsMs: [] };

  return new Promise<PingStats>((resolve) => {
    let done = false;
    let sendTimer: NodeJS.Timeout | undefined;
    let seq = 0;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(sendTimer);
      clearTimeout(deadlineTimer);
      opts.signal.removeEventListener('abort', finish);
      try {
        sock.close();
      } catch {
        /* already closed after an error */
      }
      resolve(stats);
    };
    const deadlineTimer = setTimeout(finish, Math.max(0, opts.deadline - performance.now()));
    opts.signal.addEventListener('abort', finish, { once: true });

    sock.on('error', (err) => {
      stats.error ??= err.message;
      finish();
    });
    sock.on('message', (buf, source) => {
      if (done) return;
      const at = performance.now();
      // IPv4 raw sockets hand us the IP header; IPv6 ones do not.
      const off = v6 ? 0 : (buf[0]! & 0x0f) * 4;
      if (buf.length < off + 8) return;
      const type = buf[off]!;
      if (type === (v6 ? 129 : 0)) {
        if (source !== address || buf.readUInt16BE(off + 4) !== id) return;
        const s = buf.readUInt16BE(off + 6);
        if (buf.length < off + 8 + TOKEN_BYTES || !buf.subarray(off + 8, off + 8 + TOKEN_BYTES).equals(token)) return;
        const t0 = sentAt.get(s);
        if (t0 === undefined || replied.has(s)) return; // a duplicate counts once, as in ping
        replied.add(s);
        stats.received++;
        stats.rttsMs.push(at - t0);
        if (stats.received === opts.packets) finish();
        return;
      }
      // An ICMP error quotes our request: its IP header (IPv4 only) then the echo header.
      const isError = v6 ? type === 1 || type === 3 : type === 3 || type === 11;
      if (!isError) return;
      const inner = off + 8 + (v6 ? 40 : ((buf[off + 8] ?? 0) & 0x0f) * 4);
      if (buf.length < inner + 8 || buf[inner] !== (v6 ? 128 : 8) || buf.readUInt16BE(inner + 4) !== id) return;
      if (!sentAt.has(buf.readUInt16BE(inner + 6))) return;
      stats.error = describeError(v6, type, buf[off + 1]!);
      stats.errorFrom = source;
    });

    const sendOne = () => {
      if (done) return;
      seq++;
      const s = seq;
      const pkt = Buffer.alloc(8 + PAYLOAD_BYTES);
      pkt[0] = v6 ? 128 : 8;
      pkt.writeUInt16BE(id, 4);
      pkt.writeUInt16BE(s, 6);
      token.copy(pkt, 8);
      for (let i = 8 + TOKEN_BYTES; i < pkt.length; i++) pkt[i] = i & 0xff;
      if (!v6) r.writeChecksum(pkt, 2, r.createChecksum(pkt)); // the kernel fills ICMPv6's
      sock.send(
        pkt,
        0,
        pkt.length,
        address,
        () => {
          sentAt.set(s, performance.now());
          stats.transmitted++;
        },
        (err) => {
          if (err && !done) {
            // Sending failed (no route, unreachable net): that is the answer, as ping says it.
            stats.error ??= err.message;
          }
        },
      );
      if (seq < opts.packets) sendTimer = setTimeout(sendOne, opts.intervalMs);
    };
    sendOne();
  });
}
