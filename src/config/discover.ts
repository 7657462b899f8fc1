/**
 * The config mamoru writes for itself on first start: watch this machine. Ping loopback, check
 * disk use of every real mount, a tcp check per listening TCP port, and http where the port
 * answers HTTP. Everything it finds is written as plain YAML the operator can edit.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { hostname } from 'node:os';
import { Document } from 'yaml';

export interface ListeningPort {
  address: string;
  port: number;
}

function decodeV4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function decodeV6(hex: string): string {
  // /proc prints four little-endian 32-bit words.
  const groups: string[] = [];
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8).match(/../g)!.reverse().join('');
    groups.push(word.slice(0, 4), word.slice(4));
  }
  const full = groups.map((g) => parseInt(g, 16).toString(16)).join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  if (full.startsWith('0:0:0:0:0:ffff:')) {
    const v4 = hex.slice(24, 32);
    return decodeV4(v4);
  }
  return full;
}

/** Listening TCP sockets from /proc/net/tcp and tcp6 (state 0A). */
export function listeningPorts(procRoot = '/proc'): ListeningPort[] {
  const out: ListeningPort[] = [];
  for (const [file, v6] of [['net/tcp', false], ['net/tcp6', true]] as const) {
    let text: string;
    try {
      text = readFileSync(`${procRoot}/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue;
      const [addrHex, portHex] = f[1]!.split(':');
      out.push({ address: v6 ? decodeV6(addrHex!) : decodeV4(addrHex!), port: parseInt(portHex!, 16) });
    }
  }
  return out;
}

/** The address to probe a listener on: loopback for wildcard binds, else the bound address. */
function probeAddress(l: ListeningPort): string {
  if (l.address === '0.0.0.0' || l.address === '::') return '127.0.0.1';
  return l.address;
}

/** Does the port answer an HTTP request with an HTTP status line within the time given? */
export function speaksHttp(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: address, port });
    let buf = '';
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.on('connect', () => s.write(`HEAD / HTTP/1.0\r\nHost: ${address.includes(':') ? `[${address}]` : address}\r\nUser-Agent: mamoru-discovery\r\n\r\n`));
    s.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.length >= 5) done(/^HTTP\/\d/.test(buf));
    });
    s.on('error', () => done(false));
    s.on('end', () => done(/^HTTP\/\d/.test(buf)));
  });
}

export interface Discovery {
  name: string;
  ports: { address: string; port: number; http: boolean }[];
}

/**
 * The kernel's range for ephemeral ports: listeners there are almost always short-lived (test
 * servers, editors, debuggers), so the default config leaves them out.
 */
export function ephemeralRange(procRoot = '/proc'): [number, number] {
  try {
    const [lo, hi] = readFileSync(`${procRoot}/sys/net/ipv4/ip_local_port_range`, 'utf8').trim().split(/\s+/).map(Number);
    if (lo && hi) return [lo, hi];
  } catch {
    /* not Linux, or no /proc: use the kernel's default */
  }
  return [32768, 60999];
}

export async function discoverThisMachine(opts: { skipPorts?: number[] } = {}): Promise<Discovery> {
  const seen = new Map<string, { address: string; port: number }>();
  const [lo, hi] = ephemeralRange();
  for (const l of listeningPorts()) {
    if (opts.skipPorts?.includes(l.port) || (l.port >= lo && l.port <= hi)) continue;
    const address = probeAddress(l);
    seen.set(`${address}|${l.port}`, { address, port: l.port });
  }
  // A port bound on several addresses (0.0.0.0 and ::) is one service: keep one check.
  const byPort = new Map<number, { address: string; port: number }>();
  for (const p of seen.values()) if (!byPort.has(p.port) || p.address === '127.0.0.1') byPort.set(p.port, p);
  const ports = await Promise.all(
    [...byPort.values()].sort((a, b) => a.port - b.port).map(async (p) => ({ ...p, http: await speaksHttp(p.address, p.port) })),
  );
  return { name: hostname() || 'localhost', ports };
}

/** YAML text of the default config for what was discovered, with comments that explain it. */
export function defaultConfigText(d: Discovery, web: { host: string; port: number } = { host: '127.0.0.1', port: 8484 }): string {
  const localChecks: Record<string, unknown>[] = [{ type: 'ping', name: 'ping' }, { type: 'disk', name: 'disk' }];
  const byAddress = new Map<string, Record<string, unknown>[]>();
  for (const p of d.ports) {
    const list = p.address === '127.0.0.1' ? localChecks : byAddress.get(p.address) ?? byAddress.set(p.address, []).get(p.address)!;
    list.push({ type: 'tcp', name: `tcp-${p.port}`, port: p.port });
    if (p.http) list.push({ type: 'http', name: `http-${p.port}`, port: p.port });
  }
  const targets: Record<string, unknown>[] = [{ name: d.name.replace(/[^A-Za-z0-9_.:-]/g, '-').replace(/^[^A-Za-z0-9]/, 'h'), address: '127.0.0.1', checks: localChecks }];
  for (const [address, checks] of byAddress) targets.push({ name: `local-${address.replace(/[^A-Za-z0-9]/g, '-')}`, address, checks });
  const doc = new Document({
    defaults: { interval: '60s', retry_interval: '15s', max_attempts: 3, timeout: '10s' },
    store: { type: 'sqlite', path: './data/mamoru.db' },
    web: { host: web.host, port: web.port },
    targets,
  });
  doc.commentBefore =
    ' mamoru configuration, written on first start for this machine.\n' +
    ' Edit freely; check it with "mamoru config validate", apply with SIGHUP or a restart.\n' +
    ' Listening ports in the ephemeral range were left out (they are usually short-lived).\n' +
    ' Editors: "mamoru config schema > mamoru.schema.json" gives a JSON Schema for completion.';
  return doc.toString({ lineWidth: 120 });
}
