/**
 * The targets of bench/scale: one nginx listening on 100 loopback address × port pairs
 * (127.0.0.2-127.0.0.11 × 10 ports by default). Many pairs, because a few thousand fresh
 * connections a second to one pair would run out of ephemeral ports in TIME_WAIT; loopback
 * addresses other than 127.0.0.1 need no setup on Linux (all of 127/8 is routed to lo).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit, stopChild, track } from '../lib/procs.ts';

export interface Listener {
  address: string;
  port: number;
}

export interface Listeners {
  pairs: Listener[];
  pid: number;
  stop(): Promise<void>;
}

const INDEX = '<html><head><title>bench</title></head><body><h1>mamoru scale bench</h1><p>All systems nominal.</p></body></html>\n';

function config(dir: string, pairs: Listener[], connections: number): string {
  const listens = pairs.map((p) => `    listen ${p.address}:${p.port} backlog=4096;`).join('\n');
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${connections}; }
http {
  access_log off;
  default_type text/html;
  keepalive_timeout 0;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  types { text/html html; }
  server {
${listens}
    server_name localhost;
    root ${dir}/www;
  }
}
`;
}

/** True when something accepts connections on address:port now. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, address);
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/**
 * Starts nginx on `addresses` × `ports` consecutive ports from a random base in 20000-29999 (a
 * base whose ports are taken makes nginx fail to bind; then another base is tried).
 */
export async function startListeners(addresses: number, ports: number, connections = 4096): Promise<Listeners> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-scale-nginx-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  atExit(removeDir);
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  mkdirSync(join(dir, 'www'), { recursive: true });
  writeFileSync(join(dir, 'www/index.html'), INDEX);
  let child: ChildProcess | undefined;
  for (let attempt = 1; attempt <= 5; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 990) * 10;
    const pairs: Listener[] = [];
    for (let a = 0; a < addresses; a++) for (let p = 0; p < ports; p++) pairs.push({ address: `127.0.0.${a + 2}`, port: base + p });
    writeFileSync(join(dir, 'nginx.conf'), config(dir, pairs, connections));
    child = track(spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' }));
    const deadline = Date.now() + 5000;
    let up = false;
    while (!up && child.exitCode === null && Date.now() < deadline) {
      up = (await Promise.all([pairs[0]!, pairs.at(-1)!].map((p) => accepts(p.address, p.port)))).every(Boolean);
      if (!up) await new Promise((r) => setTimeout(r, 50));
    }
    if (up && (await Promise.all(pairs.map((p) => accepts(p.address, p.port)))).every(Boolean)) {
      const c = child;
      return {
        pairs,
        pid: c.pid!,
        stop: async () => {
          await stopChild(c);
          removeDir();
        },
      };
    }
    await stopChild(child, 0);
    if (attempt === 5) {
      let log = '';
      try {
        log = readFileSync(join(dir, 'error.log'), 'utf8').slice(-1000);
      } catch {
        /* no log */
      }
      removeDir();
      throw new Error(`nginx did not listen on ${pairs.length} address × port pairs: ${log}`);
    }
  }
  throw new Error('unreachable');
}
