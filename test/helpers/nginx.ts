/**
 * A real nginx for the http probe's tests: its own config, temp dir and free loopback ports, HTTP
 * and HTTPS with self-signed certificates made here by openssl (one valid for a year, one for 10
 * days, one long expired, chosen by SNI), a few files, virtual hosts, statuses and redirects.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestNginx {
  /** Plain HTTP port on 127.0.0.1. */
  port: number;
  /** HTTPS port on 127.0.0.1. */
  tlsPort: number;
  dir: string;
  /** Body of `/` on the default server. */
  indexBody: string;
  /** Body of `/` on the `site-a.test` virtual host. */
  siteABody: string;
  /** Size of `/big.bin` in bytes (larger than any probe reads); it ends with `bigTail`. */
  bigSize: number;
  bigTail: string;
  /** Stops nginx and removes its directory. */
  stop(): Promise<void>;
}

/** Server names of the HTTPS virtual hosts and their certificates' lifetimes. */
export const tlsHosts = { valid: 'valid.test', soon: 'soon.test', expired: 'expired.test' } as const;

/** A port nothing listens on right now (listen on 0, read it, close). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => srv.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed certificate for `cn`, valid from now for `days`. */
function selfSigned(dir: string, name: string, cn: string, days: number): void {
  openssl(['req', '-x509', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', String(days), '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`], dir);
}

/** A self-signed certificate that expired long ago (`req -x509` cannot back-date, `ca` can). */
function expiredCert(dir: string, name: string, cn: string): void {
  const ca = join(dir, `${name}-ca`);
  mkdirSync(ca);
  writeFileSync(join(ca, 'ca.cnf'), '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nnew_certs_dir=.\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n');
  writeFileSync(join(ca, 'index.txt'), '');
  writeFileSync(join(ca, 'serial'), '01\n');
  openssl(['req', '-new', ...keyArgs, '-keyout', `../${name}.key`, '-out', 'req.csr', '-subj', `/CN=${cn}`], ca);
  openssl(['ca', '-batch', '-notext', '-config', 'ca.cnf', '-selfsign', '-keyfile', `../${name}.key`, '-in', 'req.csr', '-out', `../${name}.crt`, '-startdate', '20200101000000Z', '-enddate', '20200201000000Z'], ca);
}

function config(dir: string, port: number, tlsPort: number): string {
  const tls = (name: string, host: string, extra = '') => `
  server {
    listen 127.0.0.1:${tlsPort} ssl${extra};
    server_name ${host};
    ssl_certificate ${dir}/${name}.crt;
    ssl_certificate_key ${dir}/${name}.key;
    root ${dir}/www/default;
  }`;
  return `
daemon off;
master_process off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  default_type text/html;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  types { text/html html; application/octet-stream bin; }
  server {
    listen 127.0.0.1:${port} default_server;
    server_name localhost;
    root ${dir}/www/default;
    location = /status/500 { return 500; }
    location = /status/503 { return 503; }
    location = /status/204 { return 204; }
    location = /redirect { return 301 /; }
    location = /redirect-far { return 302 /redirect; }
    location = /loop { return 302 /loop; }
    location = /loop-a { return 302 /loop-b; }
    location = /loop-b { return 302 /loop-a; }
  }
  server {
    listen 127.0.0.1:${port};
    server_name site-a.test;
    root ${dir}/www/site-a;
    location = /moved { return 301 /; }
  }
  ${tls('valid', tlsHosts.valid, ' default_server')}
  ${tls('soon', tlsHosts.soon)}
  ${tls('expired', tlsHosts.expired)}
}
`;
}

async function waitForPort(port: number, child: ChildProcess, dir: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${dir}/error.log`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port} within 5 s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts nginx; call `stop()` in `after` (it is safe to call twice). */
export async function startNginx(): Promise<TestNginx> {
  const dir = mkdtempSync(join(tmpdir(), 'mamoru-nginx-'));
  let child: ChildProcess | undefined;
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const c = child;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      c.kill('SIGTERM');
      const killer = setTimeout(() => c.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const d of ['tmp', 'www/default', 'www/site-a']) mkdirSync(join(dir, d), { recursive: true });
    const indexBody = '<html><body><h1>mamoru test page</h1><p>All systems nominal.</p></body></html>\n';
    const siteABody = '<html><body><h1>Welcome to site A</h1></body></html>\n';
    const bigTail = 'END-OF-BIG-FILE\n';
    const big = Buffer.concat([Buffer.alloc(3 * 1024 * 1024, 'x'), Buffer.from(bigTail)]);
    const bigSize = big.length;
    writeFileSync(join(dir, 'www/default/index.html'), indexBody);
    writeFileSync(join(dir, 'www/site-a/index.html'), siteABody);
    writeFileSync(join(dir, 'www/default/big.bin'), big);
    selfSigned(dir, 'valid', tlsHosts.valid, 365);
    selfSigned(dir, 'soon', tlsHosts.soon, 10);
    expiredCert(dir, 'expired', tlsHosts.expired);
    // A port taken between freePort() and nginx's bind makes nginx exit: try again with new ones.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const tlsPort = await freePort();
      writeFileSync(join(dir, 'nginx.conf'), config(dir, port, tlsPort));
      child = spawn('nginx', ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')], { stdio: 'ignore' });
      try {
        await waitForPort(port, child, dir);
        await waitForPort(tlsPort, child, dir);
        return { port, tlsPort, dir, indexBody, siteABody, bigSize, bigTail, stop };
      } catch (e) {
        if (child.exitCode === null) child.kill('SIGKILL');
        if (attempt >= 3) throw e;
      }
    }
  } catch (e) {
    await stop();
    throw e;
  }
}
