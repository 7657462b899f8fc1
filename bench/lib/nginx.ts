/**
 * The benches' target: one nginx on a free loopback port with its own temp prefix and config,
 * a single process (no master, so `worker_processes 1` in effect), a small static index page and
 * no access log, so the target costs little and the same for every prober.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { atExit, freePort, stopChild, track, waitForPort } from './procs.ts';

export interface BenchNginx {
  port: number;
  pid: number;
  /** Size of the index page body in bytes. */
  indexBytes: number;
  /** Stops nginx and removes its directory; safe to call twice. */
  stop(): Promise<void>;
}

const INDEX = '<html><head><title>bench</title></head><body><h1>mamoru bench page</h1><p>All systems nominal.</p></body></html>\n';

function config(dir: string, port: number): string {
  return `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/html;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  types { text/html html; }
  server {
    listen 127.0.0.1:${port} default_server backlog=1024;
    server_name localhost;
    root ${dir}/www;
  }
}
`;
}

/** Starts nginx; a port taken between freePort() and nginx's bind is retried with a new one. */
export async function startNginx(): Promise<BenchNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-bench-nginx-'));
  let child: ChildProcess | undefined;
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  atExit(removeDir);
  const stop = async () => {
    if (child) await stopChild(child);
    removeDir();
  };
  try {
    mkdirSync(join(dir, 'tmp'), { recursive: true });
    mkdirSync(join(dir, 'www'), { recursive: true });
    writeFileSync(join(dir, 'www/index.html'), INDEX);
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      writeFileSync(join(dir, 'nginx.conf'), config(dir, port));
      child = track(spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' }));
      try {
        await waitForPort(port, child, 'nginx');
        return { port, pid: child.pid!, indexBytes: Buffer.byteLength(INDEX), stop };
      } catch (e) {
        await stopChild(child, 0);
        if (attempt >= 3) throw new Error(`${(e as Error).message}; see ${dir}/error.log`);
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
