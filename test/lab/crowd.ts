/**
 * Many distinct clients for the surge tests: extra addresses on the lab's client host, and slow
 * HTTP clients from them that each hold an Apache worker (a request that never ends).
 */
import type { ChildProcess } from 'node:child_process';
import type { Lab } from './network.ts';

/** Adds `n` addresses (.100, .101, ...) to the client host; returns them. */
export function addCrowd(lab: Lab, n: number): string[] {
  const base = lab.client.ip.split('.').slice(0, 3).join('.');
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    out.push(`${base}.${100 + i}`);
    lab.client.exec(['ip', 'addr', 'add', `${base}.${100 + i}/24`, 'dev', 'eth0']);
  }
  return out;
}

/** One slow client per address against the server's port; prints "held" once all are connected. */
export function slowClientsFrom(lab: Lab, addresses: string[], port: number): ChildProcess {
  const script = `
      const net = require('node:net');
      let up = 0;
      for (const a of ${JSON.stringify(addresses)}) {
        const s = net.connect({ host: ${JSON.stringify(lab.server.ip)}, port: ${port}, localAddress: a }, () => {
          s.write('GET / HTTP/1.1\\r\\nHost: lab-server\\r\\n');
          if (++up === ${addresses.length}) process.stdout.write('held\\n');
        });
        s.on('error', (e) => process.stderr.write(e.message + '\\n'));
      }
      setInterval(() => {}, 1 << 30);`;
  return lab.client.spawn([process.execPath, '-e', script]);
}
